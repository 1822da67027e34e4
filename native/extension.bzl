"""One copy of the extension per CPython interpreter of @pythons."""

load("@pythons//:versions.bzl", "PYTHON_VERSIONS")

def native_extensions(name, srcs, hdrs, deps = [], copts = []):
    """Declares, for each interpreter, a library `name + "_" + tag` and the
    extension module `_native` + EXT_SUFFIX; `name` is a filegroup of all."""
    outputs = []
    for version, ext_suffix in PYTHON_VERSIONS:
        tag = version.replace(".", "_")
        native.cc_library(
            name = name + "_" + tag,
            srcs = srcs,
            hdrs = hdrs,
            copts = copts,
            deps = deps + ["@pythons//:headers_" + tag],
            alwayslink = True,
        )
        output = "_native" + ext_suffix
        native.cc_binary(
            name = output,
            linkshared = True,
            linkstatic = True,
            deps = [":" + name + "_" + tag],
        )
        outputs.append(output)
    native.filegroup(name = name, srcs = outputs)

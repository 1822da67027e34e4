"""One wheel per interpreter of @pythons."""

load("@pythons//:versions.bzl", "PYTHON_VERSIONS")

VERSION = "0.1.0"

def wheels(name, package_files):
    """Declares `name + "_" + tag` for each interpreter, and `name`, all."""
    targets = []
    for version, ext_suffix in PYTHON_VERSIONS:
        tag = version.replace(".", "_")
        python_tag = "cp" + version.replace(".", "")
        out = "memory_inventory-%s-%s-%s-linux_x86_64.whl" % (
            VERSION,
            python_tag,
            python_tag,
        )
        extension = "//native:_native" + ext_suffix
        native.genrule(
            name = name + "_" + tag,
            srcs = package_files + [
                extension,
                "//native:memory-inventory-collector",
                "//:LICENSE",
            ],
            outs = [out],
            tools = [
                "build_wheel.py",
                "@pythons//:python_" + tag,
            ],
            cmd = " ".join([
                "$(location @pythons//:python_%s)" % tag,
                "$(location build_wheel.py)",
                "$(@D)",
                VERSION,
                python_tag,
                "$(location %s)" % extension,
                "$(location //native:memory-inventory-collector)",
                "$(location //:LICENSE)",
            ] + ["$(locations %s)" % f for f in package_files]),
        )
        targets.append(":" + name + "_" + tag)
    native.filegroup(name = name, srcs = targets)

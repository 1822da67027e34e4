"""A repository of CPython headers, one cc_library per interpreter.

The interpreters come from the environment variable MEMORY_INVENTORY_PYTHONS
(paths of python executables, separated by spaces). When it is unset, the
pyenv interpreters 3.12.1 and 3.13.0 are used where present, else `python3`.
Each interpreter is asked for its include directory and extension suffix, so
the extension is built against the headers of the interpreter that loads it.
"""

_QUERY = "import sys, sysconfig; print(sysconfig.get_paths()['include']); print(sysconfig.get_config_var('EXT_SUFFIX')); print('%d.%d' % sys.version_info[:2])"

def _default_interpreters(ctx):
    found = []
    home = ctx.os.environ.get("PYENV_ROOT", ctx.os.environ.get("HOME", "/root") + "/.pyenv")
    for version in ["3.12.1", "3.13.0"]:
        candidate = ctx.path(home + "/versions/" + version + "/bin/python3")
        if candidate.exists:
            found.append(str(candidate))
    if not found:
        python3 = ctx.which("python3")
        if python3 == None:
            fail("no Python interpreter found: set MEMORY_INVENTORY_PYTHONS")
        found.append(str(python3))
    return found

def _python_interpreters_impl(ctx):
    requested = [p for p in ctx.os.environ.get("MEMORY_INVENTORY_PYTHONS", "").split(" ") if p]
    interpreters = requested or _default_interpreters(ctx)
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    versions = []
    for interpreter in interpreters:
        result = ctx.execute([interpreter, "-c", _QUERY])
        if result.return_code != 0:
            fail("cannot query %s: %s" % (interpreter, result.stderr))
        include, ext_suffix, version = result.stdout.strip().split("\n")
        tag = version.replace(".", "_")
        ctx.symlink(include, "include_" + tag)
        ctx.symlink(interpreter, "python_" + tag)
        build.append("""cc_library(
    name = "headers_{tag}",
    hdrs = glob(["include_{tag}/**/*.h"]),
    includes = ["include_{tag}"],
)
""".format(tag = tag))
        versions.append((version, ext_suffix))
    if len(versions) != len({v: None for v, _ in versions}):
        fail("two interpreters of the same version in MEMORY_INVENTORY_PYTHONS")
    build.append('exports_files(glob(["python_*"]))')
    ctx.file("BUILD", "\n".join(build))
    ctx.file("versions.bzl", "PYTHON_VERSIONS = %r\n" % [list(v) for v in versions])

python_interpreters = repository_rule(
    implementation = _python_interpreters_impl,
    environ = ["MEMORY_INVENTORY_PYTHONS", "PYENV_ROOT", "HOME"],
    local = True,
)

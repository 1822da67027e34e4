"""Names of types as the reports print them, robust to hostile classes."""

_type_module = type.__dict__['__module__']


def qual_name(cls: type) -> str:
    """`module.Name`, or just `Name` for builtins, like the original.

    Reads type.__module__ through type's own getter, so a metaclass or a
    class attribute cannot substitute something that is not a str."""
    module = _type_module.__get__(cls, type)
    if not isinstance(module, str):
        module = '?'
    name = cls.__name__
    return name if module == 'builtins' else f"{module}.{name}"

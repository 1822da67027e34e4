# The C engine (native/module.c).

# (type, instances, bytes, immortal, interned, refcounts, addresses,
#  dict_instances, dict_bytes, attribute_names)
type TypeRow = tuple[
    type, int, int, int, int, dict[int, int], list[int], int, int,
    dict[str, int],
]
# (type, value, copies, size, immortal, interned, refcounts, addresses)
type DuplicateRow = tuple[
    type, object, int, int, int, int, dict[int, int], list[int],
]

def inventory(
    roots: tuple[object, ...],
    skip_ids: tuple[int, ...],
    skip_types: tuple[type, ...],
    objects_limit: int,
    duplicate_types: tuple[type, ...],
    /,
) -> dict[str, object]: ...
def object_size(obj: object, /) -> int | None: ...
def instance_dict_size(obj: object, /) -> int: ...
def has_instance_dict(obj: object, /) -> bool: ...
def values_equal(a: object, b: object, /) -> bool: ...

"""Builds the wheel of memory_inventory for one interpreter (run by Bazel).

usage: build_wheel.py OUTPUT_DIR VERSION PYTHON_TAG EXTENSION COLLECTOR
                      LICENSE PACKAGE_FILE...

Writes OUTPUT_DIR/memory_inventory-VERSION-TAG-TAG-linux_x86_64.whl
holding the Python package, the extension and the collector program."""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import zipfile

NAME = 'memory_inventory'


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return f"{path},sha256={digest.rstrip(b'=').decode()},{len(data)}"


def main(argv: list[str]) -> int:
    output_dir, version, tag, extension, collector, licence = argv[:6]
    package_files = argv[6:]
    dist_info = f'{NAME}-{version}.dist-info'
    platform = 'linux_x86_64'
    entries: list[tuple[str, bytes, int]] = []
    for path in package_files:
        # python/memory_inventory/trace/tracer.py -> memory_inventory/trace/...
        inside = path.split(f'{NAME}/', 1)[1]
        with open(path, 'rb') as source:
            entries.append((f'{NAME}/{inside}', source.read(), 0o644))
    with open(extension, 'rb') as source:
        entries.append((f'{NAME}/{os.path.basename(extension)}',
                        source.read(), 0o755))
    with open(collector, 'rb') as source:
        entries.append((f'{NAME}/bin/memory-inventory-collector',
                        source.read(), 0o755))
    with open(licence, 'rb') as source:
        entries.append((f'{dist_info}/LICENSE', source.read(), 0o644))
    entries.append((f'{dist_info}/METADATA', (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {version}\n"
        "Summary: Memory inventory and import-memory profiler for CPython,"
        " with its core in C\n"
        "License: EUPL-1.2\n"
        f"Requires-Python: =={tag[2]}.{tag[3:]}.*\n"
    ).encode(), 0o644))
    entries.append((f'{dist_info}/WHEEL', (
        "Wheel-Version: 1.0\n"
        "Generator: memory_inventory tools/wheel/build_wheel.py\n"
        "Root-Is-Purelib: false\n"
        f"Tag: {tag}-{tag}-{platform}\n"
    ).encode(), 0o644))
    record_path = f'{dist_info}/RECORD'
    record = '\n'.join([*(_record_line(p, d) for p, d, _ in entries),
                        f'{record_path},,', ''])
    entries.append((record_path, record.encode(), 0o644))
    wheel = os.path.join(output_dir,
                         f'{NAME}-{version}-{tag}-{tag}-{platform}.whl')
    with zipfile.ZipFile(wheel, 'w', zipfile.ZIP_DEFLATED) as archive:
        for path, data, mode in entries:
            info = zipfile.ZipInfo(path, date_time=(2025, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

"""The writer of recordings, _native.RecordWriter: records packed in C, sent
by a libuv thread to a file, a spawned collector or a Unix socket. The
recordings are decoded with the msgpack package, apart from our C reader.

Named test_engine_* so that tools/test runs it under ASan too."""

from __future__ import annotations

import gc
import math
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import msgpack
import pytest
from memory_inventory._native import RecordWriter

END = 15
#: A hang guard for loops that must not block, not a benchmark.
QUICK = 5.0
GONE = re.compile(
    r"memory_inventory: the collector is gone \((.+)\); (\d+) records? "
    r"(was|were) not sent")

# sys.executable -c COPY OUT: the collector of these tests, which copies
# its stdin into OUT.
COPY = ("import shutil, sys\n"
        "with open(sys.argv[1], 'wb') as out:\n"
        "    shutil.copyfileobj(sys.stdin.buffer, out)\n")

TYPE_STATS: tuple[object, ...] = (
    8, 0, 12, 4096, 294912, 0, 17, {1: 2000, 2: 1500, 7: 596},
    [0x7F0000001000, 0x7F00FFFF0000], 31, 30256,
    {"name": 4000, "value": 1200})
HEADER: tuple[object, ...] = (
    1, "memory_inventory", 1, sys.version, os.getpid(), ["prog", "-x"],
    1.75e9, 12345.678, ["sys", "builtins", "json"])


def decode(data: bytes) -> list[Any]:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    return list(unpacker)


def as_lists(value: Any) -> Any:
    """A record as msgpack gives it back: tuples become lists."""
    if isinstance(value, (list, tuple)):
        return [as_lists(item) for item in value]
    if isinstance(value, dict):
        return {as_lists(k): as_lists(v) for k, v in value.items()}
    return value


def packed(records: list[tuple[object, ...]]) -> bytes:
    """What msgpack-python makes of the records, END included: the
    smallest forms, float 64, str and bin types, as ours."""
    end = (END, len(records), 0)
    return b"".join(msgpack.packb(list(r), use_bin_type=True)
                    for r in [*records, end])


def copy_collector(out: Path) -> list[str]:
    return [sys.executable, "-c", COPY, str(out)]


def run_script(code: str) -> subprocess.CompletedProcess[str]:
    """Runs code in a fresh interpreter that imports this package as we do
    (PYTHONPATH of the ASan run included)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=60, env=os.environ.copy())


# --- Round trips ---------------------------------------------------------


def test_path_round_trip_is_byte_exact(tmp_path: Path) -> None:
    out = tmp_path / "recording.msgpack"
    records = [HEADER, TYPE_STATS, (5, 0, 0.25, 0.125, None, 99000, 1),
               (9, 0, [])]
    writer = RecordWriter(path=str(out))
    assert writer.pid is None
    assert [writer.write(r) for r in records] == [True] * 4
    assert writer.close() is None
    assert writer.records == 4 and writer.dropped == 0
    assert not writer.broken and writer.closed
    data = out.read_bytes()
    assert data == packed(records)
    assert decode(data) == [*as_lists(records), [END, 4, 0]]


INTS = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32,
        2**63 - 1, 2**63, 2**64 - 1, -1, -32, -33, -128, -129, -32768,
        -32769, -2**31, -2**31 - 1, -2**63]
FLOATS = [0.0, -0.0, 1.5, -2.25, 1e308, 5e-324, math.inf, -math.inf]
STRS = ["", "a", "ascii text", "é", "€uro", "𝄞 clef", "ÿ" * 3000,
        "中文" * 700, "mixed é € 𝄞 a", "\x00nul", "a" * 70000]


@pytest.mark.parametrize("values", [INTS, FLOATS, STRS], ids=[
    "ints", "floats", "strs"])
def test_values_round_trip_in_smallest_form(
        tmp_path: Path, values: list[object]) -> None:
    out = tmp_path / "values.msgpack"
    records: list[tuple[object, ...]] = [(2, value) for value in values]
    with RecordWriter(path=out) as writer:
        for record in records:
            assert writer.write(record)
    assert out.read_bytes() == packed(records)


def test_containers_and_scalars_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "nested.msgpack"
    record: list[object] = [
        10, None, True, False, b"", b"\x00\xff" * 40000, [], (), {},
        {1: "a", -1: b"b", "k": [1, (2, {3: None})], b"bin": 1.5,
         None: True, 2.5: False, (1, 2): [3]},
        [[[[[[[[[[["deep"]]]]]]]]]]]]
    with RecordWriter(path=out) as writer:
        assert writer.write(record)
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                use_list=False)
    unpacker.feed(out.read_bytes())
    decoded, end = list(unpacker)
    assert end == (END, 1, 0)
    assert decoded[:9] == (10, None, True, False, b"", b"\x00\xff" * 40000,
                           (), (), {})
    assert decoded[9] == {1: "a", -1: b"b", "k": (1, (2, {3: None})),
                          b"bin": 1.5, None: True, 2.5: False, (1, 2): (3,)}
    assert decoded[10] == ((((((((((("deep",),),),),),),),),),),)


def test_nan_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "nan.msgpack"
    with RecordWriter(path=out) as writer:
        writer.write((2, math.nan))
    assert math.isnan(decode(out.read_bytes())[0][1])


def test_lone_surrogates_become_question_marks(tmp_path: Path) -> None:
    out = tmp_path / "surrogates.msgpack"
    texts = ["\ud800", "a\udfffb", "é\udc80", "𝄞\ud83d", "\ud800" * 2000]
    with RecordWriter(path=out) as writer:
        for text in texts:
            assert writer.write((2, text))
    decoded = [record[1] for record in decode(out.read_bytes())[:-1]]
    assert decoded == [t.encode("utf-8", "replace").decode() for t in texts]


def test_packing_leaves_str_objects_as_they_were(tmp_path: Path) -> None:
    # PyUnicode_AsUTF8() would cache a UTF-8 copy inside each non-ASCII
    # str it encodes, and so grow what the inventory measures.
    texts = ["é" * 50, "€" * 50, "𝄞" * 50]
    sizes = [sys.getsizeof(t) for t in texts]
    with RecordWriter(path=tmp_path / "r.msgpack") as writer:
        writer.write((2, texts, {t: t for t in texts}))
    assert [sys.getsizeof(t) for t in texts] == sizes


def test_spawned_collector_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "collected.msgpack"
    records = [HEADER] + [(8, 0, i, *TYPE_STATS[3:]) for i in range(5000)]
    writer = RecordWriter(spawn=copy_collector(out))
    assert isinstance(writer.pid, int) and writer.pid > 0
    assert all(writer.write(r) for r in records)
    assert writer.close() == 0
    assert writer.records == 5001 and writer.dropped == 0
    assert out.read_bytes() == packed(records)


@pytest.mark.parametrize(("tail", "status"), [
    ("sys.exit(3)", 3),
    ("os.kill(os.getpid(), signal.SIGTERM)", -signal.SIGTERM),
])
def test_close_returns_the_collectors_exit_status(
        tail: str, status: int) -> None:
    code = ("import os, signal, sys\n"
            f"sys.stdin.buffer.read()\n{tail}\n")
    writer = RecordWriter(spawn=[sys.executable, "-c", code])
    assert writer.write(HEADER)
    assert writer.close() == status
    assert writer.close() == status     # again: the same
    assert not writer.broken


def test_socket_mode_round_trip(tmp_path: Path) -> None:
    address = str(tmp_path / "collector.sock")
    received = bytearray()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(address)
        server.listen(1)
        server.settimeout(QUICK * 4)

        def serve() -> None:
            connection, _ = server.accept()
            with connection:
                while chunk := connection.recv(65536):
                    received.extend(chunk)

        thread = threading.Thread(target=serve)
        thread.start()
        records = [HEADER] + [TYPE_STATS] * 3000
        writer = RecordWriter(socket=address)
        assert writer.pid is None
        assert all(writer.write(r) for r in records)
        assert writer.close() is None
        thread.join(QUICK * 4)
    assert not thread.is_alive()
    assert bytes(received) == packed(records)


def test_writes_from_several_threads(tmp_path: Path) -> None:
    out = tmp_path / "threads.msgpack"
    writer = RecordWriter(path=out)

    def work(n: int) -> None:
        for i in range(2000):
            writer.write((3, n, f"thread {n} record {i}"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    decoded = decode(out.read_bytes())
    assert len(decoded) == 8001 and decoded[-1] == [END, 8000, 0]
    for n in range(4):
        mine = [r[2] for r in decoded[:-1] if r[1] == n]
        assert mine == [f"thread {n} record {i}" for i in range(2000)]


# --- What cannot be packed ---------------------------------------------


class Str(str):
    pass


class Int(int):
    pass


class Dict(dict[object, object]):
    def __iter__(self) -> Any:
        raise AssertionError("Python code ran")


class List(list[object]):
    pass


BAD_RECORDS: list[tuple[object, type[Exception]]] = [
    ((), ValueError),
    ([], ValueError),
    ("record", TypeError),
    (List([2, 1]), TypeError),
    ((0,), ValueError),
    ((32,), ValueError),
    ((-1,), ValueError),
    ((2**70,), ValueError),
    ((True,), TypeError),
    (("2",), TypeError),
    ((2.0,), TypeError),
    ((Int(2),), TypeError),
    ((END, 1, 0), ValueError),       # close() writes END
    ((2, object()), TypeError),
    ((2, {1, 2}), TypeError),
    ((2, frozenset()), TypeError),
    ((2, bytearray(b"x")), TypeError),
    ((2, 1j), TypeError),
    ((2, Str("s")), TypeError),
    ((2, Int(5)), TypeError),
    ((2, Dict()), TypeError),
    ((2, List()), TypeError),
    ((2, [1, [2, {3: object()}]]), TypeError),
    ((2, {Str("k"): 1}), TypeError),
    ((2, 2**64), ValueError),
    ((2, -2**63 - 1), ValueError),
    ((2, [10**100]), ValueError),
    ((2, 10**5000), ValueError),     # beyond str()'s digit limit too
]


def label(record: object) -> str:
    try:
        return repr(record)[:40]
    except ValueError:      # beyond the int digit limit of str()
        return "huge int"


@pytest.mark.parametrize(("record", "error"), BAD_RECORDS,
                         ids=[label(r) for r, _ in BAD_RECORDS])
def test_unsupported_records_raise_and_write_nothing(
        tmp_path: Path, record: object, error: type[Exception]) -> None:
    out = tmp_path / "bad.msgpack"
    with RecordWriter(path=out) as writer:
        assert writer.write((2, "before"))
        with pytest.raises(error):
            writer.write(record)  # type: ignore[arg-type]
        assert writer.write((2, "after"))
        assert writer.records == 2 and writer.dropped == 0
    assert out.read_bytes() == packed([(2, "before"), (2, "after")])


def test_cycles_and_deep_nesting_raise_value_error(tmp_path: Path) -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    deep: list[object] = []
    for _ in range(40):
        deep = [deep]
    with RecordWriter(path=tmp_path / "r.msgpack") as writer:
        for value in (cycle, deep):
            with pytest.raises(ValueError, match="nested"):
                writer.write((2, value))
        assert writer.records == 0


def test_error_names_the_field(tmp_path: Path) -> None:
    with RecordWriter(path=tmp_path / "r.msgpack") as writer:
        with pytest.raises(TypeError, match="field 3 of a record of kind 8"
                           r".*type set"):
            writer.write((8, 1, 2, {1}))


# --- The bounded buffer ------------------------------------------------


def test_full_buffer_drops_without_blocking() -> None:
    # A collector that never reads: the pipe fills, then the buffer.
    writer = RecordWriter(spawn=["sleep", "30"], buffer_bytes=64 << 10)
    pid = writer.pid
    assert pid is not None
    try:
        record = (8, 0, 1, "x" * 200, {1: 2})
        started = time.monotonic()
        results = [writer.write(record) for _ in range(20000)]
        assert time.monotonic() - started < QUICK
        assert results[0] and not results[-1]
        assert writer.records == results.count(True)
        assert writer.dropped == results.count(False) > 0
        assert not writer.broken
        # Give the writer thread time to fill the pipe too, so that
        # records are still queued when close() gives up.
        for _ in range(30):
            results += [writer.write(record) for _ in range(1000)]
            time.sleep(0.01)
        assert writer.records + writer.dropped == len(results)
        started = time.monotonic()
        with pytest.warns(RuntimeWarning, match=r"close\(\) timed out"):
            status = writer.close(timeout=0.2)
        assert time.monotonic() - started < QUICK
        assert status is None       # still sleeping
        assert writer.records + writer.dropped == len(results)
        assert writer.records < results.count(True)     # some were lost
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_close_waits_for_the_collector_at_most_timeout() -> None:
    writer = RecordWriter(spawn=["sleep", "30"])
    pid = writer.pid
    assert pid is not None
    try:
        assert writer.write(HEADER)
        started = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("error")      # all was sent: no warning
            assert writer.close(timeout=0.3) is None
        assert 0.3 <= time.monotonic() - started < QUICK
        assert (writer.records, writer.dropped) == (1, 0)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_record_larger_than_the_buffer_is_dropped_whole(
        tmp_path: Path) -> None:
    out = tmp_path / "r.msgpack"
    writer = RecordWriter(path=out, buffer_bytes=100)
    assert writer.write((2, "small"))
    assert not writer.write((2, "x" * 200))
    assert writer.write((2, "small again"))
    assert (writer.records, writer.dropped) == (2, 1)
    writer.close()
    assert decode(out.read_bytes()) == [[2, "small"], [2, "small again"],
                                        [END, 2, 1]]


# --- The collector goes away -------------------------------------------

GONE_SCRIPT = """
    import os, re, signal, sys, time, warnings

    # Python ignores SIGPIPE; the writer must not rely on it.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    from memory_inventory._native import RecordWriter

    collector = [sys.executable, "-c",
                 "import sys, time; sys.stdin.buffer.read(1000); " + {tail!r}]
    writer = RecordWriter(spawn=collector)
    record = (8, 0, 1, "x" * 300)
    results = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        deadline = time.monotonic() + 20
        if {kill!r}:
            results.append(writer.write(record))
            os.kill(writer.pid, signal.SIGKILL)
        while not writer.broken and time.monotonic() < deadline:
            results.append(writer.write(record))
            time.sleep(0.002)
        for _ in range(1000):
            results.append(writer.write(record))
        status = writer.close(timeout=10)
    print("broken", writer.broken)
    print("status", status)
    print("counts", writer.records, writer.dropped, results.count(False),
          len(results))
    for warning in caught:
        print("warning", warning.category.__name__, warning.message)
    print("survived")
"""


@pytest.mark.parametrize(("tail", "kill", "status"), [
    ("sys.exit(0)", False, "0"),
    ("time.sleep(30)", True, str(-signal.SIGKILL)),
], ids=["exits", "killed"])
def test_collector_gone_warns_once_and_the_program_goes_on(
        tail: str, kill: bool, status: str) -> None:
    result = run_script(GONE_SCRIPT.format(tail=tail, kill=kill))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "survived"
    assert "broken True" in lines
    assert f"status {status}" in lines
    warned = [line for line in lines if line.startswith("warning")]
    assert len(warned) == 1, lines
    match = GONE.search(warned[0])
    assert match is not None and "RuntimeWarning" in warned[0], warned
    counts = next(line for line in lines if line.startswith("counts"))
    records, dropped, refused, written = map(int, counts.split()[1:])
    assert records + dropped == written
    assert dropped >= refused >= 1000
    assert int(match.group(2)) <= dropped


def test_socket_peer_closing_breaks_the_writer(tmp_path: Path) -> None:
    address = str(tmp_path / "closing.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(address)
        server.listen(1)
        writer = RecordWriter(socket=address)
        connection, _ = server.accept()
        connection.close()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            deadline = time.monotonic() + QUICK
            while not writer.broken and time.monotonic() < deadline:
                writer.write(TYPE_STATS)
                time.sleep(0.005)
            assert writer.broken
            assert not writer.write(TYPE_STATS)
            assert writer.close() is None
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and GONE.search(messages[0]), messages
    assert re.search(r"broken pipe|connection reset", messages[0])


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_full_disk_stops_the_recording_with_one_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer = RecordWriter(path="/dev/full")    # ENOSPC on every write
        deadline = time.monotonic() + QUICK
        while not writer.broken and time.monotonic() < deadline:
            writer.write(HEADER)
            time.sleep(0.001)
        assert not writer.write(HEADER)
        assert writer.close() is None
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    assert messages[0].startswith(
        "memory_inventory: the recording cannot be written (no space left "
        "on device)")


def test_fifo_without_reader_is_an_os_error(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="no process reads it") as info:
        RecordWriter(path=fifo)
    assert str(fifo) in str(info.value)


def test_fifo_with_reader_round_trip(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        writer = RecordWriter(path=fifo)
        received = bytearray()
        assert writer.write(HEADER)
        writer.close()
        os.set_blocking(reader, True)
        while chunk := os.read(reader, 65536):
            received.extend(chunk)
    finally:
        os.close(reader)
    assert bytes(received) == packed([HEADER])


# --- Construction and life cycle ---------------------------------------


def test_missing_program_is_an_os_error_naming_it() -> None:
    with pytest.raises(OSError) as info:
        RecordWriter(spawn=["memory-inventory-no-such-collector", "-x"])
    assert info.value.errno == 2
    assert "memory-inventory-no-such-collector" in str(info.value)


def test_socket_errors_name_the_path(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.sock")
    with pytest.raises(OSError) as info:
        RecordWriter(socket=missing)
    assert missing in str(info.value)
    refusing = str(tmp_path / "refusing.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bound:
        bound.bind(refusing)        # bound, not listening
        with pytest.raises(ConnectionRefusedError) as refused:
            RecordWriter(socket=refusing)
    assert refusing in str(refused.value)
    too_long = "/tmp/" + "x" * 200
    with pytest.raises(OSError, match="name too long"):
        RecordWriter(socket=too_long)


def test_unwritable_path_is_an_os_error_naming_it(tmp_path: Path) -> None:
    for path in (tmp_path / "no-such-dir" / "r.msgpack", tmp_path):
        with pytest.raises(OSError) as info:
            RecordWriter(path=path)
        assert str(path) in str(info.value)


@pytest.mark.parametrize("kwargs", [
    {}, {"path": "a", "socket": "b"},
    {"path": "a", "spawn": ["true"]},
])
def test_exactly_one_destination(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="exactly one"):
        RecordWriter(**kwargs)


def test_bad_arguments(tmp_path: Path) -> None:
    untyped: Any = RecordWriter
    with pytest.raises(ValueError):
        RecordWriter(path=tmp_path / "r", buffer_bytes=0)
    with pytest.raises(ValueError):
        RecordWriter(spawn=[])
    with pytest.raises(TypeError):
        untyped(spawn="sleep")
    with pytest.raises(TypeError):
        untyped(str(tmp_path / "r"))    # keyword-only
    writer = RecordWriter(path=tmp_path / "r")
    with pytest.raises(ValueError):
        writer.close(timeout=-1)
    writer.close()


def test_write_after_close_raises(tmp_path: Path) -> None:
    writer = RecordWriter(path=tmp_path / "r")
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(HEADER)
    assert writer.close() is None


def test_unclosed_writer_warns_and_closes(tmp_path: Path) -> None:
    out = tmp_path / "r.msgpack"
    writer = RecordWriter(path=out)
    writer.write(HEADER)
    with pytest.warns(ResourceWarning, match="unclosed RecordWriter"):
        del writer
        gc.collect()
    assert out.read_bytes() == packed([HEADER])


def test_end_counts_what_was_written_and_dropped(tmp_path: Path) -> None:
    out = tmp_path / "r.msgpack"
    with RecordWriter(path=out, buffer_bytes=1000) as writer:
        for i in range(10):
            writer.write((2, "y" * (100 if i % 2 else 2000)))
    assert decode(out.read_bytes())[-1] == [END, 5, 5]


def test_recording_survives_a_fork(tmp_path: Path) -> None:
    out = tmp_path / "r.msgpack"
    writer = RecordWriter(path=out)
    writer.write(HEADER)
    with warnings.catch_warnings():
        # The fork of a process with threads: fine here, the child only
        # touches the writer.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 0
        try:
            code = (writer.write(HEADER) is not False) * 10
            code += (writer.close(timeout=1) is not None) * 20
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert writer.write(TYPE_STATS)
    writer.close()
    assert out.read_bytes() == packed([HEADER, TYPE_STATS])

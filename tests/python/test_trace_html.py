"""imports.html as a person sees it: a real traced recording, rebuilt by
the collector, loaded in headless Chromium. The page must draw its chart
(the marker its script sets), raise no script error, show a picture of
several colours where the chart is, and carry each import's figures for
hover and click.

Skipped only when no Chromium is installed (tools/setup installs
Debian's `chromium`)."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import msgpack
import pytest
from memory_inventory import records
from memory_inventory.pipeline import collector_path

# Imported while tracing, in a fresh interpreter: standard modules that
# start-up does not import, and a name no finder can find, which the
# page must escape.
_HOSTILE = 'mi_missing_<b>x</b>'
_TRACED = f'''
import importlib, sys
from memory_inventory.trace import Tracer
with Tracer(sys.argv[1]):
    import json, csv, decimal, fractions, statistics
    import email.parser, xml.dom.minidom, argparse
    try:
        importlib.import_module({_HOSTILE!r})
    except ImportError:
        pass
'''

_WIDTH, _HEIGHT = 1200, 900


def _chromium() -> str | None:
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        found = shutil.which(name)
        if found is not None:
            return found
    return None


@pytest.fixture(scope='module')
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """imports.html of a traced recording, rebuilt by the collector."""
    root = tmp_path_factory.mktemp('trace_html')
    recording = root / 'trace.msgpack'
    traced = subprocess.run([sys.executable, '-c', _TRACED, str(recording)],
                            capture_output=True, text=True, timeout=300)
    assert traced.returncode == 0, traced.stderr
    save = root / 'report'
    result = subprocess.run(
        [collector_path(), 'report', str(recording), '--save-dir',
         str(save), '--quiet'], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return save / 'imports.html'


def _imports(page: Path) -> list[list[Any]]:
    with (page.parent / 'recording.msgpack').open('rb') as stream:
        return [r for r in msgpack.Unpacker(stream, raw=False,
                                            strict_map_key=False)
                if r[0] == records.IMPORT]


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    chromium = _chromium()
    if chromium is None:
        pytest.skip('no Chromium installed (tools/setup installs the '
                    'Debian package chromium)')
    command = [chromium, '--headless', '--no-sandbox', '--disable-gpu',
               f'--user-data-dir={tmp_path / "profile"}',
               f'--window-size={_WIDTH},{_HEIGHT}', '--hide-scrollbars',
               *args]
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr
    return result


def _dom(tmp_path: Path, url: str) -> str:
    return _browser(tmp_path, '--virtual-time-budget=5000', '--dump-dom',
                    url).stdout


def _html_attributes(dom: str) -> dict[str, str]:
    match = re.search(r'<html([^>]*)>', dom)
    assert match is not None, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))


def test_the_collector_writes_one_rectangle_per_import(page: Path) -> None:
    text = page.read_text()
    imports = _imports(page)
    assert len(imports) >= 20
    assert text.count('<g class="node') == len(imports)
    # The name no finder found: escaped, and marked as not found.
    assert '&lt;b&gt;x&lt;/b&gt;' in text
    assert '<b>x</b>' not in text
    assert 'status: not found' in text
    # Self-contained: nothing fetched.
    assert not re.search(r'\ssrc=|<link|url\(|https?:', text)


def test_chromium_draws_the_chart_without_script_errors(
        page: Path, tmp_path: Path) -> None:
    dom = _dom(tmp_path, page.as_uri())
    attributes = _html_attributes(dom)
    assert 'data-script-error' not in attributes, attributes
    assert attributes.get('data-chart') == 'drawn', attributes
    assert attributes.get('data-nodes') == str(len(_imports(page)))
    # The hover figures of every import are in the live DOM.
    titles = re.findall(r'<g class="node[^"]*" id="n\d+"[^>]*>.*?'
                        r'<title>(.*?)</title>', dom, re.S)
    assert len(titles) == len(_imports(page))
    for title in titles:
        assert '\ncumulative: ' in title and '\nself: ' in title, title
        assert '\ntime: ' in title and '\nstatus: ' in title, title


def test_a_click_zooms_into_an_import(page: Path, tmp_path: Path) -> None:
    # The widest root but one: what a click on it does, the page does for
    # #zoom=<its id> on load.
    text = page.read_text()
    roots = re.findall(r'<g class="node[^"]*" id="(n\d+)" data-s="[^"]*">'
                       r'<rect x="([\d.]+)" y="20" width="([\d.]+)"', text)
    assert len(roots) >= 2
    node, _, width = sorted(roots, key=lambda r: -float(r[2]))[1]
    assert float(width) < _WIDTH
    dom = _dom(tmp_path, page.as_uri() + f'#zoom={node}')
    attributes = _html_attributes(dom)
    assert 'data-script-error' not in attributes, attributes
    assert attributes.get('data-zoom') == node
    zoomed = re.search(rf'id="{node}"[^>]*><rect x="([\d.]+)" y="20" '
                       rf'width="([\d.]+)"', dom)
    assert zoomed is not None
    assert (float(zoomed.group(1)), float(zoomed.group(2))) == (0, _WIDTH)
    # Its figures are in the panel, which links to its table.
    name = re.search(rf'id="{node}"[^>]*>.*?<title>([^\n<]*)', text, re.S)
    assert name is not None
    info = re.search(r'<div id="info"[^>]*>(.*?)</div>', dom, re.S)
    assert info is not None
    assert info.group(1).startswith(name.group(1) + '\ncumulative: ')
    assert f'href="#m{node[1:]}"' in dom
    # Imports outside its subtree are hidden; its ancestors span the chart.
    hidden = re.findall(r'<g class="node[^"]* hidden"', dom)
    assert 0 < len(hidden) < len(_imports(page))


# --- the screenshot ------------------------------------------------------

def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _png_rows(data: bytes, rows: int) -> tuple[int, list[bytes]]:
    """The first `rows` rows of an 8-bit RGB or RGBA PNG, unfiltered, and
    its bytes per pixel."""
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    at, idat = 8, b''
    width = height = channels = 0
    while at < len(data):
        (length,) = struct.unpack('>I', data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        at += 12 + length
        if kind == b'IHDR':
            width, height, depth, colour, _, _, interlace = struct.unpack(
                '>IIBBBBB', body)
            assert depth == 8 and interlace == 0, (depth, interlace)
            channels = {2: 3, 6: 4}[colour]
        elif kind == b'IDAT':
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    out: list[bytes] = []
    previous = bytearray(stride)
    for y in range(min(rows, height)):
        start = y * (stride + 1)
        method = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if method == 1:
                line[i] = (line[i] + left) & 0xFF
            elif method == 2:
                line[i] = (line[i] + up) & 0xFF
            elif method == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif method == 4:
                line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
        out.append(bytes(line))
        previous = line
    return channels, out


def test_the_screenshot_shows_a_chart_of_several_colours(
        page: Path, tmp_path: Path) -> None:
    shot = tmp_path / 'imports.png'
    _browser(tmp_path, f'--screenshot={shot}', page.as_uri())
    # The chart: under the header (about 100 pixels), at most as many
    # rows as the drawing has, each 20 units at nearly 1:1.
    text = page.read_text()
    view = re.search(r'viewBox="0 0 1200 (\d+)"', text)
    assert view is not None
    chart_bottom = 100 + int(view.group(1))
    channels, rows = _png_rows(shot.read_bytes(), chart_bottom)
    assert len(rows) == chart_bottom
    colours: dict[tuple[int, ...], int] = {}
    drawn = 0
    for line in rows[60:]:
        for x in range(0, len(line), channels):
            pixel = tuple(line[x:x + 3])
            if pixel != (255, 255, 255):
                drawn += 1
                colours[pixel] = colours.get(pixel, 0) + 1
    area = (chart_bottom - 60) * _WIDTH
    # A picture, not a blank page: a good part of the area is drawn, in
    # several colours each covering a real area (not anti-aliasing).
    assert drawn > area // 5, (drawn, area)
    big = [c for c, n in colours.items() if n >= 400]
    assert len(big) >= 5, sorted(colours.items(), key=lambda i: -i[1])[:10]

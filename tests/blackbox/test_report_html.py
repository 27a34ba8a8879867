"""tests/blackbox/test_report_html.py — the experiment report's HTML page
(`loyaltyctl experiments report NAME --html FILE`) rendered by a real
browser: headless Chromium takes a screenshot, and the PNG must exist, be
the window's size and not be blank; with a sample-ratio mismatch the red
banner must be on screen. Also checks the page is self-contained (no
scripts, links or external resources).

The store is written by bench/bench-report.py (the store's real schema,
seeded). Skipped with a reason when /usr/bin/chromium is absent — CI must
install the `chromium` package.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))
CHROMIUM = "/usr/bin/chromium"
W, H = 1200, 900

PROGRAM = """\
program: report-test
experiments:
  - name: bench-exp
    variants: {control: 50, double: 50}
"""


def report_command():
    dirs = [os.environ.get("LOYALTYD_BUILD"), os.environ.get("top_builddir"), os.getcwd()]
    for d in [d for d in dirs if d]:
        ctl = os.path.join(d, "loyaltyctl")
        if os.access(ctl, os.X_OK) and "experiments report" in subprocess.run(
                [ctl, "experiments", "--help"], capture_output=True, text=True).stdout:
            return [ctl]
    pytest.skip("no loyaltyctl with `experiments` in the build directory")


def make_store(tmp_path, name, customers, purchases, *extra):
    db = str(tmp_path / name)
    subprocess.run([sys.executable, os.path.join(SRCDIR, "bench", "bench-report.py"), db,
                    str(customers), str(purchases), SRCDIR] + list(extra), check=True)
    return db


def render(tmp_path, db, out_name):
    prog = tmp_path / "program.yaml"
    prog.write_text(PROGRAM)
    html = tmp_path / (out_name + ".html")
    r = subprocess.run(report_command() + ["--db", db, "experiments", "report", "bench-exp",
                                           "--rules", str(prog), "--html", str(html)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return html, r


def screenshot(tmp_path, html, out_name):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("%s is absent: install the Debian package chromium to render the report" % CHROMIUM)
    png = tmp_path / (out_name + ".png")
    profile = tmp_path / ("chromium-" + out_name)
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--user-data-dir=%s" % profile, "--screenshot=%s" % png,
                        "--window-size=%d,%d" % (W, H), "file://%s" % html],
                       capture_output=True, text=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    assert png.exists(), "chromium wrote no screenshot (exit %d):\n%s" % (r.returncode, r.stderr[-2000:])
    return png


def decode_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), "unexpected PNG format %d/%d" % (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # PNG filters (RFC 2083, 6.2-6.6)
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def self_contained(text):
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    for bad in (r"<script", r"<link", r"<img", r"<iframe", r"\bsrc\s*=", r"\bhref\s*=",
                r"url\(", r"@import"):
        assert not re.search(bad, text, re.I), "external resource or script: %s" % bad
    assert "<style>" in text and text.count("<svg") == 2


def test_report_page_renders_in_chromium(tmp_path):
    db = make_store(tmp_path, "plain.db", 400, 4000)
    html, r = render(tmp_path, db, "plain")
    text = html.read_text()
    self_contained(text)
    assert "SAMPLE RATIO MISMATCH" not in text and "WARNING" not in r.stderr
    w, h, rows = decode_png(screenshot(tmp_path, html, "plain"))
    assert (w, h) == (W, H)
    colours, ink = set(), 0
    for row in rows[::3]:
        for px in row[::3]:
            colours.add(px)
            if sum(px) < 600:  # anything clearly darker than white
                ink += 1
    sampled = len(rows[::3]) * len(rows[0][::3])
    assert len(colours) > 50, "a blank or flat page: %d colours" % len(colours)
    assert ink > sampled * 0.02, "almost nothing drawn: %d of %d samples" % (ink, sampled)


def test_sample_ratio_mismatch_banner_is_on_screen(tmp_path):
    # 55% of customers into control against configured 50/50: chi-square
    # about 4000 × 0.1² = 40 at 4000 customers, p far below 0.001
    db = make_store(tmp_path, "skew.db", 4000, 8000, "--skew", "5")
    html, r = render(tmp_path, db, "skew")
    text = html.read_text()
    self_contained(text)
    assert 'class="banner" role="alert"' in text
    assert "SAMPLE RATIO MISMATCH" in r.stderr and "SAMPLE RATIO MISMATCH" in r.stdout
    w, h, rows = decode_png(screenshot(tmp_path, html, "skew"))
    # the banner's red (#b00020) in the top third of the first screen
    red = sum(1 for row in rows[:H // 3] for px in row[::2]
              if abs(px[0] - 0xb0) < 12 and px[1] < 20 and abs(px[2] - 0x20) < 12)
    assert red > 2000, "no red banner near the top (%d red samples)" % red

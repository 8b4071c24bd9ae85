"""Text runs from a PDF that Chromium printed, with the standard library only.

Chromium's PDFs draw text as glyph ids (`<0033> Tj`, `[<...> -12 <...>] TJ`) and carry a
ToUnicode map per font. Without a PDF library, each page's glyph ids are decoded once
with every font's map: a line set in one font reads correctly in that font's run (the
others show U+FFFD where it does not apply). Good enough to find a line of text: a
statement's page numbers, the holder's name, the account number.
"""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_SHOWN = re.compile(rb"(?:<[0-9A-Fa-f]+>\s*Tj|\[[^\]]*\]\s*TJ)")
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


def _streams(pdf: bytes) -> list[bytes]:
    found = []
    for match in _STREAM.finditer(pdf):
        try:
            found.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            continue  # not a Flate stream (an image, say)
    return found


def _to_unicode(stream: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    ranges = rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>"
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for low, high, dst in re.findall(ranges, block):
            first = int(dst, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def text_runs(pdf: bytes) -> list[str]:
    """Per page content stream, its text decoded with each font's map in turn."""
    streams = _streams(pdf)
    maps = [_to_unicode(s) for s in streams if b"beginbfchar" in s or b"beginbfrange" in s]
    runs = []
    for stream in streams:
        shown = b"".join(_SHOWN.findall(stream))
        if not shown:
            continue
        codes = [int(h[i : i + 4], 16) for h in _HEX.findall(shown) for i in range(0, len(h), 4)]
        runs += ["".join(m.get(code, "\ufffd") for code in codes) for m in maps]
    return runs

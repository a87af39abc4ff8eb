"""RegexTokenizer's split of ASCII text by a one-character-class pattern, on bytes with NumPy.

Most tokenizer patterns are one character class, repeated or not: ``\\s+`` (the default),
``\\W+``, ``\\s``, ``[^a-z0-9]+``, ``,``. Splitting by such a pattern and dropping empty pieces
(minTokenLength >= 1 drops them all, whatever Java's ``Pattern.split`` keeps) leaves the maximal
runs of characters outside the class, whether or not the class is repeated. On ASCII text that
is a byte table lookup and run boundaries over the whole column's bytes at once, with no regex
engine. Java's class sets (ASCII: ``\\s`` = ``[ \\t\\n\\x0B\\f\\r]``, ``\\w`` = ``[a-zA-Z0-9_]``,
``\\d`` = ``[0-9]``) are from
https://docs.oracle.com/en/java/javase/17/docs/api/java.base/java/util/regex/Pattern.html;
any other pattern (and every non-ASCII row) takes :mod:`~servelib.transformers.text.java_regex`.
"""

from __future__ import annotations

import string
from functools import lru_cache

import numpy as np
import pyarrow as pa

from servelib.transformers.text.token_column import TokenColumn

_SETS = {"d": string.digits, "s": " \t\n\x0b\f\r", "w": string.ascii_letters + string.digits + "_"}
_CONTROL = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_META = set("\\^$.|?*+()[]{}")  # Java's metacharacters outside a class


def separator_table(pattern: str) -> bytes | None:
    """The bytes the pattern's one class matches (ASCII characters; every byte past ASCII is
    listed too: their rows take the per-row path), or None when the pattern is not one class
    optionally followed by ``+``."""
    body = pattern[:-1] if pattern.endswith("+") and not pattern.endswith("\\+") else pattern
    if body.startswith("[") and body.endswith("]") and len(body) > 2:
        chars = _bracket(body[1:-1])
    elif body.startswith("\\") and len(body) == 2:
        chars = _escape(body[1])
    else:
        chars = body if len(body) == 1 and body.isascii() and body not in _META else None
    if chars is None:
        return None
    return bytes(sorted({ord(c) for c in chars} | set(range(128, 256))))


def _escape(esc: str) -> str | None:
    if esc.lower() in _SETS:
        members = _SETS[esc.lower()]
        return "".join(map(chr, range(128))).translate({ord(c): None for c in members}) if (
            esc.isupper()) else members
    if esc in _CONTROL:
        return _CONTROL[esc]
    return esc if esc.isascii() and not esc.isalnum() and esc.isprintable() else None


def _bracket(body: str) -> str | None:
    """A class's inside: literals, ranges of letters or digits, ``\\d \\s \\w``, escaped
    punctuation; optionally negated (no nesting, ``&&``, or negated escapes inside)."""
    negate = body.startswith("^")
    body = body[1:] if negate else body
    chars, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and not body[i + 1].isupper():
            piece = _escape(body[i + 1])
            i += 2
        elif i + 2 < len(body) and body[i + 1] == "-" and ch.isalnum() and body[i + 2].isalnum():
            lo, hi = ord(ch), ord(body[i + 2])
            piece = "".join(map(chr, range(lo, hi + 1))) if ch.isascii() and lo <= hi else None
            i += 3
        else:
            piece = ch if ch.isascii() and ch.isprintable() and ch not in "[]\\^-&" else None
            i += 1
        if piece is None:
            return None
        chars.append(piece)
    if not chars:
        return None
    members = set("".join(chars))
    return "".join(chr(c) for c in range(128) if (chr(c) in members) != negate)


def split_ascii(strings: pa.StringArray, separators: bytes, lower: bool,
                min_len: int) -> TokenColumn:
    """Every row's maximal runs of non-separator bytes (lowercased first if ``lower``) of at
    least ``min_len`` (>= 1) bytes. Right for ASCII rows only (bytes are then characters and
    UTF-16 units); the caller replaces the others. The byte passes are ``bytes`` methods (C
    loops): ``lower`` is ASCII-only, as Java's ``toLowerCase`` is on ASCII."""
    n = len(strings)
    offsets, data = _bytes(strings, lower)
    word = np.frombuffer(data.translate(_word_table(separators)), dtype=bool)
    # a token starts at a word byte after a separator or at its row's start
    start = word.copy()
    start[1:] &= ~word[:-1]
    row_starts = offsets[:-1][np.diff(offsets) > 0]
    start[row_starts] = word[row_starts]
    firsts = np.flatnonzero(start)
    kept = np.cumsum(word, dtype=np.int32)  # word bytes up to and including each position
    token_offsets = np.empty(firsts.size + 1, dtype=np.int32)
    token_offsets[:-1] = kept[firsts] - 1
    token_offsets[-1] = kept[-1] if word.size else 0
    flat = pa.StringArray.from_buffers(firsts.size, pa.py_buffer(token_offsets),
                                       pa.py_buffer(data.translate(None, separators)))
    counts = np.diff(np.searchsorted(firsts, offsets))  # tokens starting in each row
    if min_len > 1:
        keep = np.diff(token_offsets) >= min_len
        rows = np.repeat(np.arange(n), counts)
        flat, counts = flat.filter(pa.array(keep)), np.bincount(rows[keep], minlength=n)
    return TokenColumn.of_flat(counts, flat)


@lru_cache(maxsize=64)
def _word_table(separators: bytes) -> bytes:
    """``bytes.translate`` table: 1 for a word byte, 0 for a separator."""
    return bytes(0 if i in separators else 1 for i in range(256))


def split_ascii_every(strings: pa.StringArray, separators: bytes, lower: bool) -> TokenColumn:
    """Java's ``String.split`` by a one-character class (Tokenizer's ``\\s``): a piece between
    every two separators, empty ones too, then the trailing empty pieces dropped; a row
    without a separator is its one piece, even "". ASCII rows only, as :func:`split_ascii`."""
    n = len(strings)
    offsets, data = _bytes(strings, lower)
    seps = np.flatnonzero(~np.frombuffer(data.translate(_word_table(separators)), dtype=bool))
    before = np.searchsorted(seps, offsets)  # separators before each row's start
    pieces = np.diff(before) + 1  # per row
    first = np.arange(n) + before[:-1]  # each row's first piece
    total = n + seps.size
    sep_row = np.searchsorted(offsets, seps, side="right") - 1
    # piece offsets in the bytes without separators: consecutive pieces abut there
    starts = np.empty(total + 1, dtype=np.int64)
    starts[first] = offsets[:-1] - before[:-1]
    starts[sep_row + np.arange(seps.size) + 1] = seps - np.arange(seps.size)
    starts[-1] = len(data) - seps.size
    lengths = np.diff(starts)
    # the last non-empty piece of each row (-1: none); later ones are trailing empties
    last = np.maximum.reduceat(np.where(lengths > 0, np.arange(total), -1), first) if n else first
    row = np.repeat(np.arange(n), pieces)
    keep = (pieces[row] == 1) | (np.arange(total) <= last[row])
    flat = pa.StringArray.from_buffers(total, pa.py_buffer(starts.astype(np.int32)),
                                       pa.py_buffer(data.translate(None, separators)))
    return TokenColumn.of_flat(np.bincount(row[keep], minlength=n), flat.filter(pa.array(keep)))


def _bytes(strings: pa.StringArray, lower: bool) -> tuple[np.ndarray, bytes]:
    """The rows' offsets (from 0) into their bytes, lowercased (ASCII only) if ``lower``."""
    n = len(strings)
    _, offset_buf, data_buf = strings.buffers()
    offsets = np.frombuffer(offset_buf, dtype=np.int32)[strings.offset : strings.offset + n + 1]
    offsets = offsets.astype(np.int64)
    data = bytes(memoryview(data_buf or b"")[offsets[0] : offsets[-1]])
    offsets -= offsets[0]
    return offsets, data.lower() if lower else data

"""Spark's MurmurHash3 (x86, 32-bit) of a string, as HashingTF and FeatureHasher use it.

https://github.com/apache/spark/blob/v3.5.0/common/unsafe/src/main/java/org/apache/spark/unsafe/hash/Murmur3_x86_32.java
``FeatureHasher.murmur3Hash`` (Spark 3.0+, and HashingTF from 3.0 on):
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/FeatureHasher.scala
A string is hashed as its UTF-8 bytes (``UTF8String.fromString``; an unpaired surrogate
becomes ``?`` as in Java's encoder) with ``hashUnsafeBytes2``, the standard MurmurHash3 tail,
seed 42; blocks are read little-endian (``Platform.getInt`` on x86/ARM). A null term hashes to
the seed itself. The index is ``Utils.nonNegativeMod(hash, numFeatures)``.
"""

from __future__ import annotations

import struct

SEED = 42
_M = 0xFFFFFFFF


def _mix_k1(k: int) -> int:
    k = (k * 0xCC9E2D51) & _M
    k = ((k << 15) | (k >> 17)) & _M
    return (k * 0x1B873593) & _M


def _mix_h1(h: int, k: int) -> int:
    h ^= k
    h = ((h << 13) | (h >> 19)) & _M
    return (h * 5 + 0xE6546B64) & _M


def _fmix(h: int, length: int) -> int:
    h ^= length
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M
    return h ^ (h >> 16)


def hash_bytes(data: bytes, seed: int = SEED) -> int:
    """``Murmur3_x86_32.hashUnsafeBytes2``, as a signed 32-bit int (Java's int)."""
    n = len(data)
    aligned = n - n % 4
    h = seed & _M
    for (k,) in struct.iter_unpack("<I", data[:aligned]):
        h = _mix_h1(h, _mix_k1(k))
    k = 0
    for shift, byte in enumerate(data[aligned:]):
        k ^= byte << (8 * shift)
    h = _fmix(h ^ _mix_k1(k), n)
    return h - (1 << 32) if h & 0x80000000 else h


def hash_string(term: str | None, seed: int = SEED) -> int:
    if term is None:
        return seed
    return hash_bytes(term.encode("utf-8", "replace"), seed)


class TermIndex:
    """``nonNegativeMod(murmur3(term), size)`` with a bounded memo: serving traffic repeats its
    terms, and a dict hit costs a fraction of a hash."""

    __slots__ = ("size", "_memo", "_limit")

    def __init__(self, size: int, limit: int = 1 << 16) -> None:
        self.size = size
        self._memo: dict[str | None, int] = {}
        self._limit = limit

    def __call__(self, term: str | None) -> int:
        index = self._memo.get(term)
        if index is None:
            index = hash_string(term) % self.size  # Python's % is already non-negative
            if len(self._memo) >= self._limit:
                self._memo.clear()
            self._memo[term] = index
        return index

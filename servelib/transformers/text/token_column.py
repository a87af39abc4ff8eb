"""An array<string> column held as Arrow (RegexTokenizer's and StopWordsRemover's batch output).

The canonical form of such a column is an object array of Python lists (see
:mod:`servelib.transformers.batch`); a batch of reviews is ~12 tokens a row, and building,
filtering and hashing those Python strings one by one is most of the text pipeline's batch time.
A :class:`TokenColumn` keeps them as one Arrow ``list<string>`` array that the text stages
process with Arrow compute kernels; ``Batch.column`` hands every other reader the canonical
lists (built once, on first use), and the Arrow output is the array itself.
No row is null and no token is null (the stages that make one raise on null input).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

TOKENS_TYPE = pa.list_(pa.string())


class TokenColumn:
    __slots__ = ("array", "_objects")

    def __init__(self, array: pa.ListArray) -> None:
        self.array = array
        self._objects: np.ndarray | None = None

    @classmethod
    def of_flat(cls, counts: np.ndarray, flat: pa.Array) -> TokenColumn:
        """Rows of ``counts[i]`` consecutive tokens of ``flat``."""
        offsets = np.zeros(counts.shape[0] + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        return cls(pa.ListArray.from_arrays(pa.array(offsets), flat))

    def __len__(self) -> int:
        return len(self.array)

    def counts(self) -> np.ndarray:
        """Tokens per row."""
        return np.diff(self.offsets())

    def kept_counts(self, keep: np.ndarray) -> np.ndarray:
        """Tokens per row among those ``keep`` (one bool per token of :meth:`flat`) marks."""
        kept = np.zeros(keep.shape[0] + 1, dtype=np.int32)
        np.cumsum(keep, out=kept[1:])
        offsets = self.offsets()
        return kept[offsets[1:]] - kept[offsets[:-1]]

    def offsets(self) -> np.ndarray:
        """Row offsets into :meth:`flat` (a sliced array's start at 0)."""
        offsets = self.array.offsets.to_numpy()
        return offsets - offsets[0] if offsets[0] else offsets

    def flat(self) -> pa.Array:
        """Every row's tokens, in row order (``offsets()`` index it from 0)."""
        return self.array.flatten()

    def objects(self) -> np.ndarray:
        """The canonical column: an object array of lists of str."""
        if self._objects is None:
            out = np.empty(len(self.array), dtype=object)
            out[:] = self.array.to_pylist()
            self._objects = out
        return self._objects

    def take(self, index: np.ndarray) -> TokenColumn:
        return TokenColumn(self.array.take(pa.array(index, pa.int64())))

    def row(self, i: int) -> list[str]:
        return self.objects()[i]

    def to_arrow(self) -> pa.Array:
        return self.array.cast(TOKENS_TYPE)


def splice(base: TokenColumn, rows: np.ndarray, lists: list[list[str]]) -> TokenColumn:
    """``base`` with row ``rows[k]`` (ascending) replaced by ``lists[k]``: the runs of
    ``base``'s tokens between replaced rows, and the new tokens, concatenated once."""
    counts, offsets, flat = base.counts(), base.offsets(), base.flat()
    pieces, done = [], 0
    for row, tokens in zip(rows.tolist(), lists):
        pieces.append(flat.slice(done, offsets[row] - done))
        pieces.append(pa.array(tokens, pa.string()))
        done = offsets[row + 1]
    pieces.append(flat.slice(done))
    counts[rows] = [len(tokens) for tokens in lists]
    return TokenColumn.of_flat(counts, pa.concat_arrays(pieces))

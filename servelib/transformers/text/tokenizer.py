"""Tokenizer and RegexTokenizer: a string column to an array<string> column.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/Tokenizer.scala
(the same in v4.0.0). Both are UnaryTransformers, a Scala UDF per row:

* Tokenizer: ``s.toLowerCase.split("\\s")``: Java's ``\\s`` is ASCII whitespace, one character
  per split, so runs of spaces give empty tokens; ``String.split`` drops trailing empty
  strings, and a string with no whitespace (``""`` included) is its own single token.
* RegexTokenizer: lowercase if ``toLowercase``; ``gaps``: ``pattern`` splits the string
  (``Pattern.split``), else the tokens are its matches (``findAllIn``); tokens shorter than
  ``minTokenLength`` (in UTF-16 code units, Java's ``String.length``) are dropped. The pattern
  is Java's regex dialect: see :mod:`servelib.transformers.text.java_regex` for the subset
  servelib translates exactly (the loader refuses the rest).
* A null string makes Spark's UDF fail (NullPointerException); so does anything not a string.
* Lowercasing is Java's ``toLowerCase()`` in the JVM's default locale (not Turkish or
  Lithuanian on a Spark cluster); Python's ``str.lower`` applies the same Unicode full
  case mapping (``İ`` -> ``i̇``, final sigma).

The batch paths split the ASCII rows of an Arrow string column on bytes
(:mod:`~servelib.transformers.text.ascii_split`) into a
:class:`~servelib.transformers.text.token_column.TokenColumn` (RegexTokenizer: when the pattern
allows); the other rows take the per-row function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from servelib.transformers.base import Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.text import java_regex
from servelib.transformers.text.ascii_split import (
    separator_table,
    split_ascii,
    split_ascii_every,
)
from servelib.transformers.text.common import BadValue, RowwiseStage, string, utf16_len
from servelib.transformers.text.token_column import TokenColumn, splice

_JAVA_WHITESPACE = re.compile("[ \t\n\x0b\f\r]")
_SPACES = separator_table("\\s")


@dataclass(frozen=True)
class Tokenizer(RowwiseStage):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.Tokenizer"

    def per_row(self) -> Callable[[Any], list[str]]:
        def tokenize(value: Any) -> list[str]:
            return java_regex.split(_JAVA_WHITESPACE, string(value).lower(), fast=True)

        return tokenize

    def score_columns(self, batch: Batch) -> Scored:
        """ASCII rows of an Arrow string column split on bytes, the others by per_row."""
        scored = _on_bytes(self, batch, lambda strings: split_ascii_every(strings, _SPACES, True))
        return super().score_columns(batch) if scored is None else scored


@dataclass(frozen=True)
class RegexTokenizer(RowwiseStage):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.RegexTokenizer"

    pattern: str = "\\s+"
    gaps: bool = True
    min_token_length: int = 1
    to_lowercase: bool = True
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    # the batch path's separator bytes (ascii_split), when it can split on bytes
    _separators: bytes | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", java_regex.translate(self.pattern))
        on_bytes = self.gaps and self.min_token_length >= 1
        object.__setattr__(self, "_separators",
                           separator_table(self.pattern) if on_bytes else None)

    def score_columns(self, batch: Batch) -> Scored:
        """ASCII rows of an Arrow string column split on bytes (``_separators``: the pattern is
        one character class and the empty pieces Java's split keeps or drops are all shorter
        than minTokenLength); other rows, and other inputs, by the per-row function."""
        seps, lower, min_len = self._separators, self.to_lowercase, self.min_token_length
        scored = None if seps is None else _on_bytes(
            self, batch, lambda strings: split_ascii(strings, seps, lower, min_len))
        return super().score_columns(batch) if scored is None else scored

    def per_row(self) -> Callable[[Any], list[str]]:
        rx, lower, gaps, min_len = self._regex, self.to_lowercase, self.gaps, self.min_token_length
        split, find_all = java_regex.split, java_regex.find_all
        fast = java_regex.never_empty(rx)

        def tokenize(value: Any) -> list[str]:
            s = string(value)
            if lower:
                s = s.lower()
            try:
                if fast:
                    tokens = split(rx, s, fast=True) if gaps else rx.findall(s)
                else:
                    tokens = split(rx, s) if gaps else [m.group() for m in find_all(rx, s)]
            except java_regex.SurrogateStep as exc:
                raise BadValue(str(exc)) from None
            if min_len <= 0:
                return tokens
            if min_len == 1:
                return list(filter(None, tokens))
            return [t for t in tokens if utf16_len(t) >= min_len]

        return tokenize


def _on_bytes(stage: RowwiseStage, batch: Batch,
              split: Callable[[pa.StringArray], TokenColumn]) -> Scored | None:
    """``split`` (an ascii_split function) over an Arrow string column's rows, with the
    non-ASCII rows redone by the stage's per-row function; None for any other input (nulls
    included: the per-row path names the row)."""
    strings = batch.source_strings(stage.input_col)
    if strings is None or strings.null_count:
        return None
    strings = strings.chunk(0) if strings.num_chunks == 1 else strings.combine_chunks()
    strings = strings.cast(pa.string())  # large_string: int32 offsets
    col = split(strings)
    other = np.flatnonzero(~pc.string_is_ascii(strings).to_numpy(zero_copy_only=False))
    if other.size:
        func, lists = stage.per_row(), []
        for i, value in zip(other.tolist(), strings.take(pa.array(other)).to_pylist()):
            try:
                lists.append(func(value))
            except BadValue as exc:
                raise invalid(str(exc), stage, stage.input_col, batch, i) from None
        col = splice(col, other, lists)
    return Scored({stage.output_col: col})

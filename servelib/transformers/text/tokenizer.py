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
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from servelib.transformers.text import java_regex
from servelib.transformers.text.common import BadValue, RowwiseStage, string, utf16_len

_JAVA_WHITESPACE = re.compile("[ \t\n\x0b\f\r]")


@dataclass(frozen=True)
class Tokenizer(RowwiseStage):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.Tokenizer"

    def per_row(self) -> Callable[[Any], list[str]]:
        def tokenize(value: Any) -> list[str]:
            return java_regex.split(_JAVA_WHITESPACE, string(value).lower(), fast=True)

        return tokenize


@dataclass(frozen=True)
class RegexTokenizer(RowwiseStage):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.RegexTokenizer"

    pattern: str = "\\s+"
    gaps: bool = True
    min_token_length: int = 1
    to_lowercase: bool = True
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", java_regex.translate(self.pattern))

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

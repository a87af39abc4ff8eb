"""Java regular expressions (java.util.regex.Pattern, what Spark's RegexTokenizer compiles) run
on Python's ``re``, for the subset both engines read the same way; anything else is refused.

https://docs.oracle.com/en/java/javase/17/docs/api/java.base/java/util/regex/Pattern.html
Both are backtracking engines with leftmost-first alternation and the same greedy, lazy and
possessive quantifiers (possessive and atomic groups need Python 3.11), so a pattern built only
from the constructs below matches the same text in both. The translation makes Java's defaults
explicit where Python's differ:

* ``\\d \\D \\s \\S \\w \\W`` are ASCII in Java (no UNICODE_CHARACTER_CLASS): compiled with
  ``re.ASCII``, whose classes are the same sets (``\\s`` = ``[ \\t\\n\\x0B\\f\\r]``).
* ``.`` excludes every Java line terminator (``\\n \\r \\u0085 \\u2028 \\u2029``), not only ``\\n``.
* POSIX classes ``\\p{Lower} \\p{Upper} \\p{ASCII} \\p{Alpha} \\p{Digit} \\p{Alnum} \\p{Punct}
  \\p{Graph} \\p{Print} \\p{Blank} \\p{Cntrl} \\p{XDigit} \\p{Space}`` (and ``\\P{..}``) are
  ASCII sets in Java, spelled out here.
* ``\\Q...\\E`` quotes; ``\\e`` is ESC; ``\\z`` is Python's ``\\Z``; ``\\xhh``, ``\\uhhhh``.

Supported: literals, escaped punctuation, character classes with ranges and the escapes above
(no nesting, union or ``&&`` intersection), ``^``, ``\\A``, ``\\z``, groups ``( )``, ``(?: )``,
``(?= )``, ``(?! )``, ``(?<= )``, ``(?<! )`` (fixed width), ``(?> )``, alternation, and the
quantifiers ``* + ? {n} {n,} {n,m}`` with an optional lazy ``?`` or possessive ``+``.
Refused (Python reads them differently or not at all): ``$`` and ``\\Z`` (Java also matches
before a final line terminator of any kind), ``\\b \\B`` (Unicode letters in Java 17's word
boundary), Unicode properties ``\\p{L}`` and scripts, inline flags ``(?i)``, named groups,
back-references, octal, ``\\c``, ``\\h \\v \\R \\X \\G``, nested classes and intersections.

Matching then follows Java's ``Matcher.find`` loop (after an empty match the next search starts
one UTF-16 unit later: inside a character beyond U+FFFF, which servelib refuses to emulate,
raising :class:`SurrogateStep`) and ``Pattern.split`` (no leading empty string for a zero-width match at 0;
trailing empty strings removed), see :func:`find_all` and :func:`split`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_DOT = "[^\\n\\r\\x85\\u2028\\u2029]"
_CLASS_ESCAPES = {c: "\\" + c for c in "dDsSwW"}
_CHAR_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "a": "\a", "e": "\x1b"}
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_POSIX = {
    "Lower": "a-z", "Upper": "A-Z", "ASCII": "\\x00-\\x7f", "Alpha": "a-zA-Z", "Digit": "0-9",
    "Alnum": "a-zA-Z0-9", "Punct": re.escape(_PUNCT), "Graph": "a-zA-Z0-9" + re.escape(_PUNCT),
    "Print": "a-zA-Z0-9 " + re.escape(_PUNCT), "Blank": " \\t", "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F", "Space": " \\t\\n\\x0b\\f\\r",
}
_GROUP_OPENERS = ("?:", "?=", "?!", "?<=", "?<!", "?>")
_QUANT = re.compile(r"\{(\d+)(,(\d*))?\}")


class UnsupportedPattern(ValueError):
    """A Java pattern outside the supported subset; the message names the construct."""


class SurrogateStep(ValueError):
    """Input Java would split between the two UTF-16 halves of one character."""


def translate(pattern: str) -> re.Pattern[str]:
    """The Python regex that matches exactly what Java's ``Pattern.compile(pattern)`` does
    (without capturing groups)."""
    out = _Translator(pattern).run()
    try:
        return re.compile(out, re.ASCII)
    except re.error as exc:
        raise UnsupportedPattern(f"Python's re cannot compile it ({exc})") from None


def never_empty(rx: re.Pattern[str]) -> bool:
    """True when ``rx`` cannot match the empty string anywhere (its minimum width, from the
    parser of CPython's re, is positive). Then Python's ``finditer``/``split`` find exactly
    Java's matches (they differ only after an empty match) and run in C."""
    try:
        from re import _parser  # CPython 3.11+; without it every search takes the loop below

        return bool(_parser.parse(rx.pattern, rx.flags).getwidth()[0] > 0)
    except (ImportError, AttributeError, re.error):
        return False


class _Translator:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.out: list[str] = []
        self.depth = 0

    def refuse(self, what: str) -> UnsupportedPattern:
        return UnsupportedPattern(f"{what} at offset {self.i} of {self.p!r}")

    def run(self) -> str:
        quantifiable = False  # whether the last item may take a quantifier
        while self.i < len(self.p):
            ch = self.p[self.i]
            if ch in "*+?{":
                if not quantifiable:
                    raise self.refuse(f"quantifier {ch!r} with nothing to repeat")
                self.quantifier()
                quantifiable = False
                continue
            quantifiable = self.atom(ch)
        if self.depth:
            raise self.refuse("unclosed group")
        return "".join(self.out)

    def quantifier(self) -> None:
        ch = self.p[self.i]
        if ch == "{":
            m = _QUANT.match(self.p, self.i)
            if m is None:
                raise self.refuse("'{' that is not a {n}, {n,} or {n,m} quantifier")
            if m.group(3) and int(m.group(3)) < int(m.group(1)):
                raise self.refuse("quantifier {n,m} with m < n")
            self.out.append(m.group(0))
            self.i = m.end()
        else:
            self.out.append(ch)
            self.i += 1
        if self.i < len(self.p) and self.p[self.i] in "?+":
            self.out.append(self.p[self.i])
            self.i += 1

    def atom(self, ch: str) -> bool:
        """Emit one item; True when a quantifier may follow it."""
        self.i += 1
        if ch == "\\":
            return self.escape()
        if ch == "[":
            self.char_class()
            return True
        if ch == "(":
            rest = self.p[self.i:]
            opener = next((o for o in _GROUP_OPENERS if rest.startswith(o)), None)
            if opener is None and rest.startswith("?"):
                raise self.refuse("inline flags or named groups '(?'")
            self.out.append("(" + (opener or "?:"))  # no captures: re.split would return them
            self.i += len(opener or "")
            self.depth += 1
            return False
        if ch == ")":
            if not self.depth:
                raise self.refuse("unbalanced ')'")
            self.depth -= 1
            self.out.append(")")
            return True
        if ch == "|":
            self.out.append("|")
            return False
        if ch == ".":
            self.out.append(_DOT)
            return True
        if ch == "^":
            self.out.append("^")
            return False
        if ch == "$":
            raise self.refuse("'$' (Java also matches before a final \\r, \\u0085, \\u2028 ...; "
                              "use \\z for the end of input)")
        self.out.append(re.escape(ch))
        return True

    def escape(self) -> bool:
        if self.i >= len(self.p):
            raise self.refuse("trailing backslash")
        ch = self.p[self.i]
        self.i += 1
        if ch == "Q":
            end = self.p.find("\\E", self.i)
            end = len(self.p) if end < 0 else end
            self.out.append(f"(?:{re.escape(self.p[self.i:end])})")
            self.i = min(end + 2, len(self.p))
            return True
        if ch == "A":
            self.out.append("\\A")
            return False
        if ch == "z":
            self.out.append("\\Z")
            return False
        single = self.class_item_escape(ch, in_class=False)
        self.out.append(single if len(single) > 1 else re.escape(single))
        return True

    def class_item_escape(self, ch: str, in_class: bool) -> str:
        """An escape valid alone or inside a class: a class escape (returned as regex text
        longer than one character) or one literal character."""
        if ch in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[ch]
        if ch in _CHAR_ESCAPES:
            return _CHAR_ESCAPES[ch]
        if ch in "pP":
            m = re.compile(r"\{(\w+)\}").match(self.p, self.i)
            if m is None or m.group(1) not in _POSIX:
                raise self.refuse("Unicode property or script \\p (only the ASCII POSIX "
                                  f"classes {sorted(_POSIX)})")
            self.i = m.end()
            if in_class:  # the bare set joins the enclosing class; a negation cannot
                if ch == "P":
                    raise self.refuse("\\P inside a character class")
                return _POSIX[m.group(1)]
            return f"[{'^' if ch == 'P' else ''}{_POSIX[m.group(1)]}]"
        if ch in "xu":
            width = 2 if ch == "x" else 4
            digits = self.p[self.i:self.i + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise self.refuse(f"\\{ch} escape without {width} hex digits")
            self.i += width
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF:
                raise self.refuse("surrogate \\u escape")
            return chr(code)
        if ch.isascii() and ch.isalnum():
            raise self.refuse(f"escape \\{ch}")
        return ch  # an escaped non-alphanumeric character is that character in both

    def char_class(self) -> None:
        parts = ["["]
        if self.p.startswith("^", self.i):
            parts.append("^")
            self.i += 1
        if self.p.startswith("]", self.i):
            raise self.refuse("']' first in a character class")
        items = 0
        while True:
            if self.i >= len(self.p):
                raise self.refuse("unclosed character class")
            ch = self.p[self.i]
            if ch == "]":
                self.i += 1
                break
            if ch == "[" or self.p.startswith("&&", self.i):
                raise self.refuse("nested class, union or intersection in a character class")
            low = self.class_char()
            if (len(low) == 1 and self.p.startswith("-", self.i)
                    and not self.p.startswith("-]", self.i)):
                self.i += 1
                high = self.class_char()
                if len(high) != 1 or ord(high) < ord(low):
                    raise self.refuse("bad range in a character class")
                parts.append(f"{_class_literal(low)}-{_class_literal(high)}")
            else:
                parts.append(_class_literal(low) if len(low) == 1 else low)
            items += 1
        if not items:
            raise self.refuse("empty character class")
        parts.append("]")
        self.out.append("".join(parts))

    def class_char(self) -> str:
        ch = self.p[self.i]
        self.i += 1
        if ch != "\\":
            return ch
        if self.i >= len(self.p):
            raise self.refuse("trailing backslash")
        esc = self.p[self.i]
        self.i += 1
        if esc == "Q":
            raise self.refuse("\\Q inside a character class")
        return self.class_item_escape(esc, in_class=True)


def _class_literal(ch: str) -> str:
    return ch if ch.isalnum() else "\\" + ch if ch.isascii() else ch


def find_all(rx: re.Pattern[str], s: str) -> Iterator[re.Match[str]]:
    """Java's repeated ``Matcher.find()``: after an empty match, the next search starts one
    character later (Python's finditer may instead find a non-empty match at the same spot)."""
    pos, n = 0, len(s)
    while pos <= n:
        m = rx.search(s, pos)
        if m is None:
            return
        yield m
        pos = m.end()
        if m.start() == pos:
            if pos < n and ord(s[pos]) > 0xFFFF:
                raise SurrogateStep(
                    "Java's next search after this empty match starts inside the UTF-16 "
                    f"surrogate pair of {s[pos]!r} (Spark then emits '?'); not reproduced")
            pos += 1


def split(rx: re.Pattern[str], s: str, fast: bool = False) -> list[str]:
    """Java's ``Pattern.split(s)`` (limit 0); ``fast``: ``never_empty(rx)`` holds, so
    ``re.split`` (which also keeps a leading "" for a match at 0) gives the same pieces."""
    if fast:
        parts = rx.split(s)
        if len(parts) == 1:
            return parts  # no match: the input itself, even ""
        while parts and not parts[-1]:
            parts.pop()
        return parts
    index = 0
    parts = []
    for m in find_all(rx, s):
        if index == 0 and m.start() == 0 and m.end() == 0:
            continue  # no leading empty string for a zero-width match at the start
        parts.append(s[index:m.start()])
        index = m.end()
    if index == 0:
        return [s]
    parts.append(s[index:])
    while parts and not parts[-1]:
        parts.pop()
    return parts

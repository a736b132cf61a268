"""Text primitives shared by every tagger: sentence spans and word boundaries.

Everything here works on plain ``str`` and character offsets into it, so that
the facts a tagger reports can always be located with ``text[start:end]``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence

__all__ = [
    "ABBREVIATIONS",
    "FIELDS",
    "Sentences",
    "at_word_boundary",
    "ends_with_abbreviation",
    "fold_bytes",
    "is_word_char",
    "split_sentences",
]

#: The article fields that taggers read, in reading order.
FIELDS: tuple[str, str] = ("title", "body")

#: Abbreviations (lower case, no final stop) after which a full stop does not end a sentence.
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "adm",
        "cmdr",
        "gov",
        "sen",
        "rep",
        "rev",
        "st",
        "jr",
        "sr",
        "inc",
        "corp",
        "co",
        "ltd",
        "vs",
        "etc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "fig",
        "approx",
        "dept",
        "est",
    ]
)

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets)
# followed by whitespace, or at a line break.
_BOUNDARY = re.compile(r"""[.!?]+["'”’)\]]*(?=\s)|\n+""")


def is_word_char(ch: str) -> bool:
    """Return True if *ch* can be part of a word (letters, digits, underscore)."""
    return ch.isalnum() or ch == "_"


def at_word_boundary(text: str, start: int, end: int) -> bool:
    """Return True if ``text[start:end]`` is not glued to letters on either side."""
    if start > 0 and is_word_char(text[start - 1]):
        return False
    return not (end < len(text) and is_word_char(text[end]))


def ends_with_abbreviation(text: str, dot: int) -> bool:
    """Return True if the full stop at *dot* closes an abbreviation or an initial."""
    i = dot
    while i > 0 and (text[i - 1].isalpha() or text[i - 1] == "."):
        i -= 1
    word = text[i:dot].lower()
    if not word:
        return False
    if word in ABBREVIATIONS:
        return True
    # A single capital letter ("J. Smith") is an initial.
    return len(word) == 1 and text[i].isupper()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split *text* into sentence spans ``(start, end)``, whitespace trimmed.

    A sentence ends at ``.``, ``!`` or ``?`` followed by whitespace (but not
    after a known abbreviation such as "Gen." or "U.S." or an initial), or at a
    line break. Spans never overlap, cover every non-space character, and
    ``text[start:end]`` is never empty.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    for m in _BOUNDARY.finditer(text):
        if m.group()[0] == ".":
            # The next word starting lower-case means the stop was not a sentence end.
            nxt = m.end()
            while nxt < n and text[nxt] in " \t":
                nxt += 1
            if ends_with_abbreviation(text, m.start()) or (nxt < n and text[nxt].islower()):
                continue
        end = m.end() if m.group()[0] != "\n" else m.start()
        _append_trimmed(text, start, end, spans)
        start = m.end()
    _append_trimmed(text, start, n, spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


class Sentences:
    """The sentence spans of one text, with a fast offset → sentence lookup."""

    __slots__ = ("_starts", "spans", "text")

    def __init__(self, text: str, spans: Sequence[tuple[int, int]] | None = None) -> None:
        """Split *text* (or take precomputed *spans*) and index the sentence starts."""
        self.text = text
        self.spans: list[tuple[int, int]] = (
            list(spans) if spans is not None else split_sentences(text)
        )
        self._starts = [s for s, _ in self.spans]

    def __len__(self) -> int:
        """Return the number of sentences."""
        return len(self.spans)

    def index(self, offset: int) -> int:
        """Return the index of the sentence holding *offset* (-1 before the first)."""
        return bisect_right(self._starts, offset) - 1

    def span_at(self, offset: int) -> tuple[int, int]:
        """Return the span of the sentence holding *offset* (the whole text if none)."""
        i = self.index(offset)
        if i < 0:
            return (0, len(self.text))
        return self.spans[i]

    def sentence_at(self, offset: int) -> str:
        """Return the text of the sentence holding *offset*."""
        s, e = self.span_at(offset)
        return self.text[s:e]


def fold_bytes(text: str, table: bytes, wide: Callable[[int], int]) -> bytes:
    """Return b" " + *text* with each character as one byte + b" ", for a bytes matcher.

    A character below 256 becomes ``table[code]``, one beyond ``table[wide(code)]``;
    the offsets of the result are the text's plus one. Compiled (``text.pxd``), a C
    loop that writes each byte into the buffer: one pass and one copy, where encode,
    join and translate made three, plus a codec error handler call for each run of
    characters beyond Latin-1. Interpreted it is far slower, so the taggers call it
    only when compiled (each keeps its encode and translate for the source build).
    """
    out = bytearray(len(text) + 2)
    buf = out  # compiled: the bytearray's C buffer
    tbl = table  # compiled: the table's C bytes (table holds the reference)
    buf[0] = 32
    k = 1
    for ch in text:
        code = ord(ch)
        if code < 256:
            buf[k] = tbl[code]
        else:
            buf[k] = tbl[wide(code)]
        k += 1
    buf[k] = 32
    return bytes(out)

"""Text primitives shared by every tagger: sentence spans and word boundaries.

Everything here works on plain ``str`` and character offsets into it, so that
the facts a tagger reports can always be located with ``text[start:end]``.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence

__all__ = [
    "ABBREVIATIONS",
    "FIELDS",
    "Sentences",
    "WordMatcher",
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


# A token's 32-bit FNV-1a hash (the same in C and in Python: masked to 32 bits).
_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619
_MASK32 = 0xFFFFFFFF
_GOLDEN32 = 0x9E3779B1  # mixes the hash for the filter's second bit and edge keys
_MAX_WORD = 255  # a pattern word's length is kept in a byte


class WordMatcher:
    """Find whole-word byte patterns in a folded text: a word-level multi-pattern matcher.

    Every pattern is ``b" " + words + b" "``, its words split by single spaces (a
    pattern may hold an empty word: ``b" st  lucia "``). :meth:`find_matches_as_indexes`
    returns what ahocorasick-rs's method of that name returns for such patterns with
    ``overlapping=True``: ``(pattern index, start, end)`` of every occurrence, by end
    and, at one end, longest first.

    An Aho-Corasick automaton steps through every byte; a pattern that must start
    and end at a space can only start where a word starts. So this reads the
    haystack once, word by word, hashing each word as it goes: a word whose hash
    passes a two-bit filter of the patterns' first words is looked up in a trie of
    words (one open-addressing table of ``(parent node, word)`` edges, each checked
    against the word's bytes), and so are the words that follow while the trie
    goes on. Compiled (``text.pxd``) all of it is C over the haystack's bytes: the
    cost per article is a few instructions a byte plus a look-up per word that may
    start a pattern, whatever the number of patterns. Interpreted it is slow (the
    taggers use it only when compiled), but gives the same matches.
    """

    def __init__(self, patterns: Sequence[bytes]) -> None:
        """Index *patterns* (their positions are the indexes reported)."""
        edges: dict[tuple[int, bytes], int] = {}  # (parent node, word) -> child node
        node_pattern = [-1]  # node -> pattern index ending there, or -1 (node 0: root)
        node_more = [0]  # node -> 1 if edges leave it
        firsts: set[bytes] = set()
        for index, pattern in enumerate(patterns):
            if len(pattern) < 3 or pattern[:1] != b" " or pattern[-1:] != b" ":
                raise ValueError(f"pattern {pattern!r} must be words between spaces")
            words = pattern[1:-1].split(b" ")
            if not words[0] or not words[-1]:
                raise ValueError(f"pattern {pattern!r} must start and end with a word")
            firsts.add(words[0])
            node = 0
            for word in words:
                if len(word) > _MAX_WORD:
                    raise ValueError(f"pattern {pattern!r} has a word over {_MAX_WORD} bytes")
                node_more[node] = 1
                child = edges.get((node, word))
                if child is None:
                    child = edges[(node, word)] = len(node_pattern)
                    node_pattern.append(-1)
                    node_more.append(0)
                node = child
            if node_pattern[node] != -1:
                raise ValueError(f"pattern {pattern!r} is given twice")
            node_pattern[node] = index
        self._patterns = array("i", node_pattern)
        self._more = bytes(node_more)
        # The edge table: 4 unsigned ints an edge (key, parent, child, offset << 8 | length
        # of the word in the blob), at a free slot from key & mask (child 0: a free slot).
        slots = 1 << 10
        while slots < 2 * len(edges):
            slots <<= 1
        self._slot_mask = slots - 1
        table = array("I", bytes(16 * slots))
        blob = bytearray()
        offsets: dict[bytes, int] = {}
        for (parent, word), child in edges.items():
            offset = offsets.get(word)
            if offset is None:
                offset = offsets[word] = len(blob)
                blob += word
            key = _edge_key(_word_hash(word), parent)
            slot = key & self._slot_mask
            while table[4 * slot + 2]:
                slot = (slot + 1) & self._slot_mask
            edge = (key, parent, child, offset << 8 | len(word))
            table[4 * slot : 4 * slot + 4] = array("I", edge)
        self._table = table
        self._blob = bytes(blob)
        # The filter: 2 bits per first word in a table of >= 24 bits per first word.
        bits = 1 << 10
        while bits < 24 * len(firsts):
            bits <<= 1
        self._bit_mask = bits - 1
        self._bit_shift = 32 - (bits.bit_length() - 1)
        filt = bytearray(bits // 8)
        for word in firsts:
            h = _word_hash(word)
            a = h & self._bit_mask
            b = ((h * _GOLDEN32) & _MASK32) >> self._bit_shift
            filt[a >> 3] |= 1 << (a & 7)
            filt[b >> 3] |= 1 << (b & 7)
        self._filter = bytes(filt)

    def find_matches_as_indexes(
        self, haystack: bytes, overlapping: bool = True
    ) -> list[tuple[int, int, int]]:
        """Return ``(pattern index, start, end)`` of every pattern in *haystack*.

        Ordered by end, then start (longest first at one end), as an Aho-Corasick
        scan reports overlapping matches. Only ``overlapping=True`` is supported.
        """
        if not overlapping:
            raise ValueError("WordMatcher reports overlapping matches only")
        out: list[tuple[int, int, int]] = []
        buf = haystack  # compiled: the bytes' C buffer
        filt = self._filter  # compiled: the filter's C bytes
        pats = self._patterns  # compiled: a typed memoryview (an attribute: no copy)
        blob = self._blob
        more = self._more
        mask = self._bit_mask
        shift = self._bit_shift
        n = len(haystack)
        prev = -1  # the last space seen
        h = _FNV_OFFSET
        last_end = 0  # the greatest end reported (matches are found by start)
        for j in range(n):
            c = buf[j]
            if c != 32:
                h = ((h ^ c) * _FNV_PRIME) & _MASK32
                continue
            if prev >= 0 and j > prev + 1:
                a = h & mask
                b = ((h * _GOLDEN32) & _MASK32) >> shift
                if filt[a >> 3] & (1 << (a & 7)) and filt[b >> 3] & (1 << (b & 7)):
                    # Walk the trie from the word at prev + 1 .. j.
                    node = self._child(blob, buf, prev + 1, j, 0, h)
                    stop = j
                    while node:
                        index = pats[node]
                        if index >= 0:
                            if stop + 1 < last_end:
                                # Ends before a longer match found earlier (by start): put it
                                # after the last one that ends no later (rare).
                                at = len(out)
                                while at > 0 and out[at - 1][2] > stop + 1:
                                    at -= 1
                                out.insert(at, (index, prev, stop + 1))
                            else:
                                last_end = stop + 1
                                out.append((index, prev, stop + 1))
                        if not more[node]:
                            break
                        # The next word: stop + 1 .. the next space (none: no match ends).
                        k = stop + 1
                        h2 = _FNV_OFFSET
                        while k < n and buf[k] != 32:
                            h2 = ((h2 ^ buf[k]) * _FNV_PRIME) & _MASK32
                            k += 1
                        if k >= n:
                            break
                        node = self._child(blob, buf, stop + 1, k, node, h2)
                        stop = k
            prev = j
            h = _FNV_OFFSET
        return out

    def _child(self, blob: bytes, buf: bytes, start: int, stop: int, parent: int, h: int) -> int:
        """Return the node reached from *parent* by the word ``buf[start:stop]`` (0: none).

        *blob* is the words' bytes (passed in: compiled, a C pointer taken once per scan).
        Compiled, ``self._table`` is a typed memoryview attribute, read in place.
        """
        key = _edge_key(h, parent)
        slot = key & self._slot_mask
        length = stop - start
        while True:
            base = 4 * slot
            child = self._table[base + 2]
            if not child:
                return 0
            if self._table[base] == key and self._table[base + 1] == parent:
                word = self._table[base + 3]
                if word & 0xFF == length:
                    offset = word >> 8
                    k = 0
                    while k < length and blob[offset + k] == buf[start + k]:
                        k += 1
                    if k == length:
                        return int(child)
            slot = (slot + 1) & self._slot_mask


def _word_hash(word: bytes) -> int:
    """Return the 32-bit FNV-1a hash of *word* (what the matcher's loop computes)."""
    h = _FNV_OFFSET
    for c in word:
        h = ((h ^ c) * _FNV_PRIME) & _MASK32
    return h


def _edge_key(h: int, parent: int) -> int:
    """Return the table key of the edge from node *parent* by a word of hash *h*."""
    return (h ^ ((parent * _GOLDEN32) & _MASK32)) & _MASK32

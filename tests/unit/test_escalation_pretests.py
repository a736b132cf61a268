"""The escalation tagger's cheap pre-tests skip work only where the full rules find nothing."""

from __future__ import annotations

import copy
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.tagging.escalation import (
    EscalationTagger,
    _is_boundary,
    _sentence_span,
    _stops,
    _tail_may_match,
)
from pipeline.tagging.text import ABBREVIATIONS, Sentences

from .test_escalation import countries_in

TAGGER = EscalationTagger.default()


# The same lexicon with the adjacent-cue pre-test switched off: _modality for every phrase.
UNFILTERED = copy.copy(TAGGER)
UNFILTERED._adjacent_end2 = b"\x01" * 65536  # every two bytes pass

# Adjacent cues ("the", "their", "'s", "carried out its"), words ending like them,
# phrases, separators and white space of every kind the folding tells apart.
PIECES = ["the", "The", "their", "its", "his", "her", "our", "any", "this", "these", "those"]
PIECES += ["Russia's", "Russia s", "s", "carried out", "continued", "began", "bathe", "air"]
PIECES += ["attack", "attacks", "shelling", "air strikes", "offensive", "sanctions", "troops"]
PIECES += ["massed", "Russia", "Ukraine", "not", "if", "may", "said", ",", ".", ";", '"', "’"]
PIECES += [" ", "  ", "\n", "\t", "\u00a0", "\u2028", "\x85", "İ", "é", "(", ")", "—"]

pieces_text = st.lists(st.sampled_from(PIECES), max_size=30)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces_text.map(" ".join), pieces_text.map("".join))
def test_adjacent_cue_pretest_changes_no_modality(spaced: str, glued: str) -> None:
    """Skipping _modality by the two characters before a phrase gives the same signals."""
    for body in (spaced, glued):
        countries = countries_in("", body)
        assert TAGGER.tag("", body, countries, []) == UNFILTERED.tag("", body, countries, [])


STOP_PIECES = ["Mr", "U.S", "J", "war", "WAR", "x", ".", "!", "?", " ", "  ", "\t", "\n", "A"]
STOP_PIECES += ["Z", "a", "é", "É", '"', ")", "’", "5", "\u2028", "jan", "Jan", "xjan", "éjan"]
STOP_PIECES += ["years", "began", "Est", "sept", "ept", "ul", "co", "Co", "e.g", "\u212a"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(STOP_PIECES), max_size=25).map("".join))
def test_sentence_end_fast_path_agrees_with_the_splitter(text: str) -> None:
    """". X" decided without the regex: every span is still the shared splitter's."""
    sentences = Sentences(text)
    stops = _stops(text)
    for offset, ch in enumerate(text):
        if ch.isalnum():  # phrases start with a letter or digit
            assert _sentence_span(text, offset, 0, stops) == sentences.span_at(offset)
    for p, ch in enumerate(text):
        if ch in ".!?" and text[p + 1 : p + 2] == " " and text[p + 2 : p + 3].isupper():
            assert _is_boundary(text, p) in (-1, p + 1)


def test_every_abbreviation_and_its_look_alikes_before_each_kind_of_stop() -> None:
    """Each abbreviation, cased and glued to letters, before a stop and a next word: as split."""
    words = sorted(
        {
            form
            for a in ABBREVIATIONS
            for form in (a, a.upper(), a.capitalize(), "x" + a, "é" + a, "5" + a, a[-3:], a[-2:])
        }
        | {"years", "began", "war", "J", "j", "İ", "\u212a"}
    )
    for word in words:
        for stop in (".", "!", "?", '."'):
            for follower in (" The", "  The", "\nThe", " the", "\tThe", " 5", ""):
                text = f"Before {word}{stop}{follower} after."
                sentences = Sentences(text)
                stops = _stops(text)
                for offset in (0, len(text) - 6):
                    assert _sentence_span(text, offset, 0, stops) == sentences.span_at(offset), text


def _plain(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The same regex without possessive quantifiers (the way tails were first written)."""
    return re.compile(pattern.pattern.replace("++", "+").replace("*+", "*"))


TAILS = sorted(
    {p.tail for patterns in (*TAGGER._values, *TAGGER._cue_values) for p in patterns if p.tail},
    key=lambda r: r.pattern,
)
TAIL_WORDS = sorted({w for r in TAILS for w in re.findall(r"[a-z]{3,}", r.pattern)})
# Texts for the tail tests: up to eight of the tails' own words (and a few others), each
# after one or two spaces.
WORDS = st.lists(
    st.sampled_from([*TAIL_WORDS, "x", "the", "attack", "5", "\x80", "\x85"]), max_size=8
)
SPACES = st.lists(st.sampled_from([" ", "  "]), min_size=9, max_size=9)


def _text(words: list[str], spaces: list[str]) -> str:
    """The words, each after its spaces, and a closing space."""
    return "".join(sp + w for sp, w in zip(spaces, words, strict=False)) + " "


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(TAILS),
    WORDS,
    SPACES,
)
def test_possessive_tails_match_as_the_plain_ones(
    tail: re.Pattern[str], words: list[str], spaces: list[str]
) -> None:
    """Possessive gaps and word ends give up nothing a match needs: same end at every start."""
    text = _text(words, spaces)
    plain = _plain(tail)
    for i, ch in enumerate(text):
        if ch == " ":
            m, n = tail.match(text, i), plain.match(text, i)
            assert (m and m.end()) == (n and n.end())


# Each tail with its pre-test (words to scan, first characters), as the phrase scan uses them.
TAIL_TESTS = sorted(
    {
        (p.tail, p.tail_words, p.tail_heads, p.tail_prefixes)
        for patterns in (*TAGGER._values, *TAGGER._cue_values)
        for p in patterns
        if p.tail
    },
    key=lambda case: case[0].pattern,
)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(TAIL_TESTS),
    WORDS,
    SPACES,
)
def test_tail_pretest_rules_out_only_tails_that_fail(
    case: tuple[re.Pattern[str], int, bytes, tuple[bytes, ...] | None],
    words: list[str],
    spaces: list[str],
) -> None:
    """_tail_may_match is False only where the tail regex matches nothing."""
    tail, n_words, heads, prefixes = case
    text = _text(words, spaces)
    folded = text.encode("latin-1")  # the bytes the phrase scan gives the pre-test
    for i, ch in enumerate(text):
        if ch == " " and n_words and tail.match(text, i):
            assert _tail_may_match(folded, i, n_words, heads, prefixes)

"""The word matcher finds what an Aho-Corasick scan finds, for patterns of whole words."""

from __future__ import annotations

import ahocorasick_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.tagging import countries
from pipeline.tagging.text import WordMatcher


def _automaton(patterns: list[bytes]) -> ahocorasick_rs.BytesAhoCorasick:
    """The reference: ahocorasick-rs, overlapping matches, as the tagger used it."""
    return ahocorasick_rs.BytesAhoCorasick(
        patterns,
        matchkind=ahocorasick_rs.MatchKind.Standard,
        implementation=ahocorasick_rs.Implementation.ContiguousNFA,
    )


def _same(patterns: list[bytes], haystack: bytes) -> list[tuple[int, int, int]]:
    """Return the word matcher's matches after checking them against the automaton's."""
    found = WordMatcher(patterns).find_matches_as_indexes(haystack, True)
    assert found == _automaton(patterns).find_matches_as_indexes(haystack, True)
    return found


def test_overlapping_matches_come_by_end_then_longest_first() -> None:
    """Nested and overlapping keys are all reported, ordered as the automaton orders them."""
    patterns = [b" new york ", b" york ", b" new york city ", b" city ", b" new "]
    found = _same(patterns, b" in new york city today ")
    assert [(patterns[i], s, e) for i, s, e in found] == [
        (b" new ", 3, 8),
        (b" new york ", 3, 13),
        (b" york ", 7, 13),
        (b" new york city ", 3, 18),
        (b" city ", 12, 18),
    ]


def test_a_long_match_found_first_is_reported_after_shorter_ones_inside_it() -> None:
    """A key found from an earlier word but ending later comes after those ending before."""
    patterns = [b" united states of america ", b" states ", b" of ", b" america "]
    found = _same(patterns, b" the united states of america and states ")
    assert [patterns[i] for i, _, _ in found] == [
        b" states ",
        b" of ",
        b" united states of america ",
        b" america ",
        b" states ",
    ]


def test_empty_words_and_word_boundaries() -> None:
    """A key with two spaces matches only two spaces; no key matches inside a word."""
    patterns = [b" st  lucia ", b" st lucia ", b" korea ", b" s  korea "]
    found = _same(patterns, b" st  lucia and st lucia s  korea skorea koreas ")
    assert sorted({patterns[i] for i, _, _ in found}) == sorted(patterns)
    assert _same(patterns, b" northkorea koreans ") == []


def test_haystack_edges() -> None:
    """A key at either end of the haystack, a haystack without padding, and empty input."""
    patterns = [b" a b ", b" b "]
    assert _same(patterns, b" a b ") == [(0, 0, 5), (1, 2, 5)]
    assert _same(patterns, b"a b ") == [(1, 1, 4)]
    assert _same(patterns, b" a b") == []
    assert _same(patterns, b"") == []
    assert _same(patterns, b" ") == []


@pytest.mark.parametrize(
    "pattern",
    [b"york ", b" york", b"  york ", b" york  ", b" ", b"", b" " + b"x" * 256 + b" "],
)
def test_rejects_patterns_that_are_not_words_between_spaces(pattern: bytes) -> None:
    """A pattern must be b" " + words + b" ", each word at most 255 bytes."""
    with pytest.raises(ValueError):
        WordMatcher([pattern])


def test_rejects_a_repeated_pattern() -> None:
    """Two equal patterns would share one index: refused."""
    with pytest.raises(ValueError, match="twice"):
        WordMatcher([b" a ", b" a "])


def test_only_overlapping_scans() -> None:
    """The leftmost-first (non-overlapping) mode is not offered."""
    with pytest.raises(ValueError):
        WordMatcher([b" a "]).find_matches_as_indexes(b" a ", False)


_WORDS = st.sampled_from([b"a", b"b", b"ab", b"ba", b"c", b"\xe9", b""])


@given(
    st.lists(
        st.lists(_WORDS, min_size=1, max_size=4).filter(lambda w: bool(w[0] and w[-1])),
        min_size=1,
        max_size=12,
        unique_by=tuple,
    ),
    st.lists(st.sampled_from([b"a", b"b", b"ab", b"ba", b"c", b"\xe9", b"", b"ca"]), max_size=30),
)
@settings(max_examples=400, deadline=None)
def test_same_matches_as_the_automaton(words: list[list[bytes]], text: list[bytes]) -> None:
    """On random keys and texts over a tiny alphabet (many overlaps), both agree exactly."""
    patterns = [b" " + b" ".join(w) + b" " for w in words]
    _same(patterns, b" " + b" ".join(text) + b" ")


def test_same_matches_on_the_country_keys() -> None:
    """With the country tagger's 16,000 keys, both find the same in real sentences."""
    tagger = countries.CountryTagger.build()
    patterns = list(dict.fromkeys(countries._haystack(key) for key in tagger._values))
    assert len(patterns) > 10_000
    matcher = WordMatcher(patterns)
    automaton = _automaton(patterns)
    for text in [
        "The U.S. and the U.K. met in New York, Papua New Guinea and St. Lucia.",
        "North Korean troops; South Korea's Yonhap said; Saint Vincent; Port-au-Prince.",
        "Al Qaeda in the Islamic Maghreb; Washington D.C.; Rio de Janeiro, Brazil.",
        "ZÜRICH, Côte d’Ivoire — São Paulo and Bogotá, the Élysée and the Kremlin.",
    ]:
        hay = countries._haystack(text)
        found = matcher.find_matches_as_indexes(hay, True)
        assert len(found) >= 4
        assert found == automaton.find_matches_as_indexes(hay, True)

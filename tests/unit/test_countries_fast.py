"""The country tagger's fast paths agree with the plain definitions they replace."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.tagging import countries
from pipeline.tagging.countries import CountryTagger


@pytest.fixture(scope="module")
def tagger() -> CountryTagger:
    """One tagger for the module (building it takes a moment)."""
    return CountryTagger.build()


# -- the matcher's haystack ------------------------------------------------------------


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_haystack_keeps_offsets_and_ascii_normalisation(text: str) -> None:
    """One byte a character; where the normalised text is ASCII, the byte is that character."""
    hay = countries._haystack(text)
    assert len(hay) == len(text) + 2
    assert hay[:1] == hay[-1:] == b" "
    normal = countries._normalise(text)
    for i, ch in enumerate(normal):
        if ch.isascii():
            assert hay[i + 1] == ord(ch)
        else:
            assert hay[i + 1] >= 0x80


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_fold_loop_matches_encode_and_translate(text: str) -> None:
    """The compiled fold (one loop) gives the bytes of the codec handler and the table."""
    plain = b"".join((b" ", text.encode("latin-1", countries._FOLD_ERRORS), b" "))
    assert countries._fold(text) == plain.translate(countries._LATIN_TABLE)


def test_haystack_folds_case_and_wide_separators() -> None:
    """Upper and lower case fold alike; typographic punctuation becomes a space."""
    assert countries._haystack("ÖSTERREICH") == countries._haystack("österreich")
    assert countries._haystack("Côte d’Ivoire") == countries._haystack("côte d ivoire")
    assert countries._haystack("a\u00a0b—c") == b" a b c "


def test_fold_collision_is_confirmed_by_the_surface(tagger: CountryTagger) -> None:
    """A surface that only folds like a key (another non-ASCII letter) names nothing."""
    assert tagger.lookup("Zürich") == ("CH", "subdivision")
    assert {c["code"] for c in tagger.tag("", "Talks in Zürich ended.", min_salience=0)} == {"CH"}
    fold = countries._fold_char("ü")
    twin = next(
        chr(i)
        for i in range(0x100, 0x3000)
        if chr(i) != "ü" and chr(i).isalpha() and countries._fold_char(chr(i)) == fold
    )
    text = f"Talks in Z{twin}rich ended."
    assert countries._haystack(text) == countries._haystack("Talks in Zürich ended.")
    assert tagger.tag("", text, min_salience=0) == []


# -- decisions cached per surface ------------------------------------------------------


def test_plan_cache_is_bounded_and_changes_nothing(
    tagger: CountryTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tiny plan cache (cleared again and again) gives the same output as a warm one."""
    texts = [
        ("TURKEY AND CHINA SIGN PACT", "Turkey said on Monday that china exports rose."),
        ("", "The U.S. and the UK, with us, met in New York and Georgia."),
        ("Jordan", "Michael Jordan visited Jordan; <ROK> shares rose in Seoul."),
    ]
    warm = [tagger.tag(t, b, min_salience=0) for t, b in texts]
    fresh = CountryTagger.build()
    monkeypatch.setattr(countries, "_PLAN_CACHE_MAX", 2)
    for _ in range(2):
        assert [fresh.tag(t, b, min_salience=0) for t, b in texts] == warm
    assert all(len(cache) <= 2 for cache in fresh._plan_cache)


# -- the surname rule ------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "Mr.", "Mr", "Dr..", "Ahmed", "AHMED", "ahmed", "Anthony", "Jordan", "Washington",
        "Chad", "Mark", "(Ahmed", "Ahmed's", "the", "in", "Egypt", "Al-", "al", "John.",
    ]
)  # fmt: skip
_GAPS = st.sampled_from([" ", " ", "  ", "\n", ", ", "-", ".", ""])


@given(st.lists(st.tuples(_WORDS, _GAPS), max_size=12))
@settings(max_examples=300, deadline=None)
def test_given_name_offsets_agree_with_the_word_scan(
    tagger: CountryTagger, parts: list[tuple[str, str]]
) -> None:
    """The offsets the matcher notes are those where _after_given_name holds."""
    text = "".join(w + g for w, g in parts)
    _, after_given = tagger._hits(text)
    expected = {s for s in range(1, len(text) + 1) if tagger._after_given_name(text, s)}
    assert after_given == expected


def test_surname_rule_examples(tagger: CountryTagger) -> None:
    """A country word after a given name or an honorific is a surname."""
    for body in ("Anthony Washington spoke.", "Mr. Jordan spoke.", "Dr Chad Smith spoke."):
        assert tagger.tag("", body, min_salience=0) == [], body
    assert [c["code"] for c in tagger.tag("", "He spoke in Jordan.", min_salience=0)] == ["JO"]


# -- the lead ---------------------------------------------------------------------------

_AFTER_STOP = re.compile(r"[\"'”’)\]]*\s+[\"'“‘(]?[A-Z0-9]")
_CLOSERS = frozenset(" \n\t\"')]”’")


def _reference_lead_end(body: str) -> int:
    """The lead's end by its definition: first paragraph break or accepted sentence stop."""
    breaks = [k for b in ("\n\n", "\n  ", "\n\t", "\n \n") if (k := body.find(b)) != -1]
    limit = min(breaks, default=len(body))
    i = 0
    while i < limit:
        if body[i] in ".!?":
            after = i + 1
            while after < limit and body[after] in ".!?":
                after += 1
            if (
                body[after : after + 1] in _CLOSERS
                and _AFTER_STOP.match(body, after)
                and not (body[i] == "." and countries._abbreviation_before(body, i))
            ):
                return after
            i = after
        else:
            i += 1
    return limit


_LEAD_PARTS = st.sampled_from(
    [
        "U.S.", "Gen.", "Mr.", "A.", "word", "Word", "1.5", "9", " ", " ", "\n", "\n\n",
        "\n  ", "\n \n", "\t", "\r", "\u00a0", ".", "..", "!", "?", "\"", "”", "’", ")", "(",
    ]
)  # fmt: skip


@given(st.lists(_LEAD_PARTS, max_size=30))
@settings(max_examples=500, deadline=None)
def test_lead_end_matches_its_definition(parts: list[str]) -> None:
    """One regex search finds the lead's end the definition gives."""
    body = "".join(parts)
    assert countries._lead_end(body) == _reference_lead_end(body)


def test_lookup_tables_are_what_lookup_reads_and_read_only() -> None:
    """lookup_tables() gives the two tables lookup() answers from, and they cannot be changed."""
    tagger = CountryTagger.default()
    exact, folded = tagger.lookup_tables()
    for surface in list(exact)[::97]:
        assert tagger.lookup(surface) == exact[surface]
    for surface in [s for s in folded if " " in s][::31]:
        assert tagger.lookup(surface.upper()) == folded[surface] or surface.upper() in exact
    with pytest.raises(TypeError):
        exact["Atlantis"] = ("XX", "name")  # type: ignore[index]


# -- ticker suffixes ---------------------------------------------------------------------

_RIC_DEFINITION = re.compile(r"\.([A-Z]{1,3})[>)]")
_RIC_PIECES = st.sampled_from(
    [".", ">", ")", "<", "(", "A", "B", "Z", "x", "7", " ", "\n", "TF", ".T>", "(7203.T)"]
)


@given(st.lists(_RIC_PIECES, max_size=20))
@settings(max_examples=500, deadline=None)
def test_ric_suffixes_are_the_definitions_matches(parts: list[str]) -> None:
    """Suffixes checked before each ">" or ")" are the regex's matches over the whole text."""
    text = "".join(parts)
    found = [(m.start(), m.end(1), m.group(1)) for m in countries._ric_suffixes(text)]
    assert found == [(m.start(), m.end(1), m.group(1)) for m in _RIC_DEFINITION.finditer(text)]


# -- headline-like text ------------------------------------------------------------------

_TITLE_PIECES = st.sampled_from(
    ["Word", "word", "W", "w", "É", "é", "1", ".", " ", " ", "\n", "\u00a0", "\u2003", "ǅ"]
)


@given(st.lists(_TITLE_PIECES, max_size=200))
@settings(max_examples=500, deadline=None)
def test_titleish_counts_the_first_61_words_as_split_gives_them(parts: list[str]) -> None:
    """One pass over the characters agrees with the words of text.split(maxsplit=60)."""
    text = "".join(parts)
    words = text.split(maxsplit=60)
    expected = len(words) < 2 or sum(1 for w in words if w[:1].isupper()) >= 0.6 * len(words)
    assert countries._titleish(text) == expected


@given(st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 0.1 + 0.2, 0.3]), max_size=12))
@settings(max_examples=300, deadline=None)
def test_by_score_is_the_stable_sort_by_score(scores: list[float]) -> None:
    """Codes by score, highest first, ties in their order: as the sort by -score."""
    stats = {f"C{i}": [score, 0.0] for i, score in enumerate(scores)}
    assert countries._by_score(stats) == sorted(stats, key=lambda c: -stats[c][0])


@given(st.floats(min_value=0.0, max_value=1.0))
@settings(max_examples=2000, deadline=None)
def test_round4_is_round(x: float) -> None:
    """The salience's rounding gives round(x, 4), bit for bit."""
    assert countries._round4(x).hex() == round(x, 4).hex()


def test_round4_near_halves() -> None:
    """Near a half of the last digit (where the shortcut defers to round())."""
    for k in range(10_000):
        for offset in (-1e-9, -1e-13, 0.0, 1e-13, 1e-9):
            x = min(1.0, max(0.0, (k + 0.5) / 10_000 + offset))
            assert countries._round4(x).hex() == round(x, 4).hex()

"""The escalation tagger's fast paths agree with the plain rules they stand in for."""

from __future__ import annotations

import json
import math
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.tagging.escalation import (
    _FOLD_ERRORS,
    _NO_PREFILTER,
    _NORMALISE_STOPS,
    _OTHER,
    _OTHER_SPACE,
    _PLAIN_ENDS,
    _SPACE_CHARS,
    DATA_PATH,
    EscalationTagger,
    _actors,
    _fold,
    _fold_marked,
    _marked,
    _ordered_actors,
    _plain_end,
    _round1,
    _sentence_mentions,
    _sentence_span,
    _stops,
)
from pipeline.tagging.text import ABBREVIATIONS, Sentences

from .test_escalation import countries_in

TAGGER = EscalationTagger.default()

# Every abbreviation in three cases, glued to a letter or not, around stops,
# quotes, line breaks and non-ASCII letters (İ lower-cases to two characters,
# the Kelvin sign to "k", ſ to itself).
ABBREVIATION_PIECES = sorted(
    {form for a in ABBREVIATIONS for form in (a, a.upper(), a.capitalize(), "x" + a)}
)
SENTENCE_PIECES = [*ABBREVIATION_PIECES, ".", ".", ".", " ", " ", "  ", "\t", "\n", "!", "?"]
SENTENCE_PIECES += ['"', "”", "’", ")", "J", "war", "War", "é", "İ", "\u212a", "ſt", "5", "\u2028"]

sentence_text = st.lists(st.sampled_from(SENTENCE_PIECES), max_size=25).map("".join)


@settings(max_examples=500, deadline=None)
@given(sentence_text)
def test_sentence_span_from_each_previous_end_matches_the_splitter(text: str) -> None:
    """Chained as the tagger chains it (from the last sentence end), it cuts as split_sentences."""
    sentences = Sentences(text)
    stops = _stops(text)
    s1 = 0
    for offset, ch in enumerate(text):
        if ch.isalnum() and offset >= s1:
            span = _sentence_span(text, offset, s1, stops)
            assert span == sentences.span_at(offset)
            s1 = span[1]


@given(st.text(max_size=80))
def test_stops_mark_exactly_the_sentence_stops(text: str) -> None:
    """One character per character, "." exactly where the text has . ! ? or a line break."""
    stops = _stops(text)
    assert len(stops) == len(text)
    assert [i for i, c in enumerate(stops) if c == "."] == [
        i for i, ch in enumerate(text) if ch in ".!?\n"
    ]


def _fold_char(ch: str) -> str:
    """The folding rule for one non-ASCII character, written out."""
    low = ch.lower()[0]
    if low in _SPACE_CHARS:
        return " "
    if low.isascii():
        return low
    return _OTHER_SPACE if low.isspace() else _OTHER


# Stops, Latin-1 letters and spaces, the handler's own bytes, wider characters.
FOLD_PIECES = st.sampled_from("aZ .!?\n,;é\xa0\x80\x85«\u2028\u212aİ…")


@given(st.text(FOLD_PIECES | st.characters(), max_size=80))
def test_marked_bytes_give_the_folded_text_and_the_stops(text: str) -> None:
    """One translate of the Latin-1 bytes marking the stops, then stops to spaces: the
    folded text, and its b"." where _stops puts them (the phrase scan and the sentence
    ends share one pass; a Latin-1 text needs no error handler call).
    """
    marked = b"".join((b" ", text.encode("latin-1", _FOLD_ERRORS), b" ")).translate(
        _NORMALISE_STOPS
    )
    assert marked.replace(b".", b" ").decode("latin-1") == " " + _fold(text) + " "
    stops = _stops(text)
    assert [i for i, b in enumerate(marked[1:-1]) if b == 46] == [
        i for i, c in enumerate(stops) if c == "."
    ]


# FOLD_PIECES and typographic quotes and dashes, beyond Latin-1 like "İ" and the Kelvin sign.
MARK_PIECES = FOLD_PIECES | st.sampled_from("\u2018\u2019\u201c\u201d\u2014\u0101\U0001f600\r\t")


@given(st.text(MARK_PIECES | st.characters(), max_size=80))
@settings(max_examples=300, deadline=None)
def test_one_pass_fold_gives_the_translated_bytes(text: str) -> None:
    """The character loop (compiled path) and encode + translate (plain path): same bytes."""
    expected = b"".join((b" ", text.encode("latin-1", _FOLD_ERRORS), b" ")).translate(
        _NORMALISE_STOPS
    )
    assert _fold_marked(text) == expected
    assert _marked(text) == expected


@given(st.text(alphabet=st.characters(min_codepoint=128), max_size=40))
def test_cached_fold_table_follows_the_rule(text: str) -> None:
    """The fold of non-ASCII characters (through the on-demand table) is the per-character rule."""
    expected = "".join(_fold_char(ch) for ch in text).translate(
        {i: " " for i in range(128) if not chr(i).isalnum()}
    )
    assert _fold(text) == expected
    assert _fold(text) == expected  # again, from the filled table


@given(st.text(max_size=80))
def test_no_prefilter_keys_never_occur_in_folded_text(text: str) -> None:
    """The DFA's extra keys (bytes below 0x20) cannot match any folded field."""
    folded = _fold(text).encode("latin-1")
    assert not any(key in folded for key in _NO_PREFILTER)


PIECES = ["Russia", "Ukraine", "North Korea", "attacked", "the attack", "troops massed", "if"]
PIECES += ["not", "shelling", "sanctions", "U.S.", "Mr.", "said", ",", ".", "\n", "  ", "İ"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=30).map(" ".join))
def test_score_while_tagging_equals_score_of_the_signals(body: str) -> None:
    """tag() gathers the score while tagging: it equals score() of the signals it returns."""
    escalation = TAGGER.tag("Russia attacked", body, countries_in("Russia attacked", body), [])
    assert escalation["score"] == TAGGER.score(escalation["signals"])


def test_adjacent_cue_after_double_space_and_without() -> None:
    """The one-character pre-test keeps adjacent cues: "the  attack" and "their attacks"."""
    for body in ("Officials described the  attack on the city.", "They continued their attacks."):
        signal = TAGGER.tag("", body, [], [])["signals"][0]
        expected = "presupposed" if "the  attack" in body else "asserted"
        assert signal["modality"] == expected


def test_actors_one_country_and_several() -> None:
    """One country needs no ordering; several: agent before, target after, then the rest."""
    text = "Russia attacked Ukraine and Russia"
    one = [(0, 6, "RU"), (28, 34, "RU")]
    assert _actors(text, 7, 15, one) == ["RU"]
    several = [(0, 6, "RU"), (16, 23, "UA"), (28, 34, "RU")]
    assert _actors(text, 7, 15, several) == ["RU", "UA"]


ACTOR_TEXT = "Attacks by the army from Russia on Ukraine, Belarus and by Russia"
actor_span = st.tuples(
    st.integers(0, len(ACTOR_TEXT)), st.integers(0, 12), st.sampled_from(["RU", "UA", "BY", "KP"])
).map(lambda t: (t[0], t[0] + t[1], t[2]))


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(actor_span, max_size=6),
    st.integers(0, len(ACTOR_TEXT)),
    st.integers(1, 10),
    st.randoms(use_true_random=False),
)
def test_actors_two_country_path_equals_the_general_rule_in_any_order(
    spans: list[tuple[int, int, str]], start: int, length: int, rnd: random.Random
) -> None:
    """The one-pass path for one or two countries gives what the general ordering gives,
    and the order of the sentence's mentions does not matter (they come sorted by start only).
    """
    end = start + length
    expected = _ordered_actors(ACTOR_TEXT, start, end, sorted(spans)) if spans else []
    shuffled = list(spans)
    rnd.shuffle(shuffled)
    assert _actors(ACTOR_TEXT, start, end, sorted(spans)) == expected
    assert _actors(ACTOR_TEXT, start, end, shuffled) == expected


def test_actors_agent_after_the_phrase_with_by_or_from() -> None:
    """ "attacks from ... Russian": the mention after "from" is the agent, with two countries
    as with three.
    """
    text = "Ukraine was hit by attacks from the Russian army near Belarus"
    assert text.index("Belarus") == 54
    spans = [(0, 7, "UA"), (36, 43, "RU")]
    assert _actors(text, 19, 26, spans) == ["RU", "UA"]
    assert _actors(text, 19, 26, [*spans, (54, 61, "BY")]) == ["RU", "UA", "BY"]
    assert _actors(text, 19, 26, [(54, 61, "BY"), *spans]) == ["RU", "UA", "BY"]


def test_sentence_mentions_sort_the_field_s_mentions_into_their_sentences() -> None:
    """Mentions of the field only, by the sentence they start in, in the order given."""
    countries: list[Any] = [
        {"code": "UA", "evidence": [
            {"field": "body", "start": 30, "end": 37},
            {"field": "title", "start": 5, "end": 7},
            {"field": "body", "start": 5, "end": 12},
            {"field": "body", "start": 21, "end": 24},
        ]},
        {"code": "RU", "evidence": [{"field": "body", "start": 5, "end": 9}]},
    ]
    entities: list[Any] = [
        {"country": "RU", "mentions": [{"field": "body", "start": 20, "end": 25}]},
        {"country": None, "mentions": [{"field": "body", "start": 6, "end": 8}]},
        {"country": "BY", "mentions": [{"field": "body", "start": 40, "end": 44}]},
    ]
    by_sentence = _sentence_mentions(countries, entities, "body", [(5, 21), (30, 38)])
    assert by_sentence == [
        [(5, 12, "UA"), (5, 9, "RU"), (20, 25, "RU")],
        [(30, 37, "UA")],
    ]
    assert _sentence_mentions(countries, entities, "title", [(0, 8)]) == [[(5, 7, "UA")]]
    assert _sentence_mentions([], [], "body", [(0, 8), (9, 12)]) == [[], []]


def test_non_ascii_lexicon_takes_the_pyahocorasick_path() -> None:
    """A lexicon with a non-ASCII key is scanned by pyahocorasick, with the same rules."""
    lexicon = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    lexicon["categories"][0]["phrases"].append("bombardé")
    lexicon["modality_cues"][0]["cues"].append("pas")
    tagger = EscalationTagger(lexicon)
    assert tagger._matcher is None
    signals = tagger.tag("", "Russia bombardé Kyiv. They did pas bombardé Lviv.", [], [])["signals"]
    assert [(s["term"], s["modality"]) for s in signals] == [
        ("bombardé", "asserted"),
        ("bombardé", "negated"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abyz09AZ.é ſ\u212a", max_size=8))
def test_plain_end_is_the_set_test(text: str) -> None:
    """_plain_end(text, p) is ``text[p - 2 : p] in _PLAIN_ENDS`` at every offset."""
    for p in range(len(text)):
        assert _plain_end(text, p) == (text[p - 2 : p] in _PLAIN_ENDS)


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.floats(min_value=-10.0, max_value=2e6),
        st.sampled_from([math.nan, math.inf, -0.0, 0.0]),
        st.integers(min_value=0, max_value=4000).map(lambda i: i / 40),  # ties: x.x5, quarters
        st.integers(min_value=0, max_value=4000).map(lambda i: math.nextafter(i / 40, 1e9)),
        st.integers(min_value=0, max_value=4000).map(lambda i: math.nextafter(i / 40, -1e9)),
    )
)
def test_round1_is_round_to_one_decimal(value: float) -> None:
    """_round1 gives round(value, 1) to the bit (ties, signs of zero and NaN included)."""
    got, expected = _round1(value), round(value, 1)
    assert repr(got) == repr(expected)


def test_one_cue_scan_finds_each_sentences_own_cues() -> None:
    """_all_cues (one scan of the joined sentences) equals a scan of each sentence alone."""
    rng = random.Random(7)
    words = ["not", "could", "if", "reportedly", "according", "to", "denied", "the", "attack"]
    words += ["but", ",", "said", "troops", "may", "no", "reports", "of", "allegedly", "."]
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 60)))
        folded = _marked(text).replace(b".", b" ")
        padded = folded.decode("latin-1")
        stops = _stops(text)
        sentences: list[tuple[int, int]] = []
        s1 = 0
        for offset in sorted(rng.sample(range(len(text)), min(4, len(text)))):
            if offset >= s1 and not text[offset].isspace():
                sentences.append(_sentence_span(text, offset, s1, stops))
                s1 = sentences[-1][1]
        joined = TAGGER._all_cues(folded, padded, text, sentences)
        alone = [TAGGER._sentence_cues(folded, padded, text, s0, s1) for s0, s1 in sentences]
        assert [(c.cues, c.breaks) for c in joined] == [(c.cues, c.breaks) for c in alone]


def test_the_cue_automaton_finds_what_the_cue_dfa_finds() -> None:
    """The automaton path (fields that are not folded to bytes) gives the DFA path's cues."""
    rng = random.Random(11)
    words = ["not", "could", "if", "reportedly", "according", "to", "denied", "the", "attack"]
    words += ["but", ",", "said", "troops", "may", "no", "reports", "of", "allegedly", "."]
    found = 0
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 60)))
        folded = _marked(text).replace(b".", b" ")
        padded = folded.decode("latin-1")
        by_dfa = TAGGER._sentence_cues(folded, padded, text, 0, len(text))
        by_automaton = TAGGER._sentence_cues(None, padded, text, 0, len(text))
        assert (by_automaton.cues, by_automaton.breaks) == (by_dfa.cues, by_dfa.breaks)
        found += bool(by_dfa.cues)
    assert found > 50  # the texts do carry cues

"""Property tests of the escalation tagger: offsets, sentences, score and level invariants."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.tagging.escalation import (
    _OTHER,
    _OTHER_SPACE,
    MODALITIES,
    EscalationTagger,
    _fold,
    _normalise,
    _sentence_span,
    level_for,
)
from pipeline.tagging.text import Sentences
from pipeline.tagging.types import LEVELS, Country

from .test_escalation import countries_in

# Words and phrases that hit the lexicon, its cues and its suppressors, plus
# fillers, country names and awkward characters (İ lower-cases to two chars).
PIECES = [
    "attacked",
    "troops massed",
    "air strikes",
    "shelling",
    "mobilised",
    "sanctions",
    "warned against arming",
    "supplying weapons to",
    "no concrete reports of",
    "could potentially",
    "denied sending troops",
    "not",
    "the attack",
    "heart attack",
    "according to",
    "if",
    "but",
    "killed",
    "fight against corruption",
    "Russia",
    "North Korea",
    "Ukraine",
    "the",
    "government",
    "said",
    "on Monday",
    "Mr.",
    "U.S.",
    "İstanbul",
    "cease-fire",
    "won’t",
    "«war»",
    "—",
    ",",
    ".",
    "!",
    "?",
    "\n",
    '"',
    "(",
    ")",
]

text_strategy = st.lists(st.sampled_from(PIECES), max_size=40).map(" ".join)
thresholds_strategy = st.lists(
    st.floats(min_value=0, max_value=100, allow_nan=False), min_size=4, max_size=4
).map(lambda xs: tuple(sorted(xs)))

TAGGER = EscalationTagger.default()


def _countries(title: str, body: str) -> list[Country]:
    """Hand-made country facts for the names among the pieces."""
    return countries_in(title, body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text_strategy, body=text_strategy, thresholds=thresholds_strategy)
def test_signal_invariants(
    title: str, body: str, thresholds: tuple[float, float, float, float]
) -> None:
    """Offsets locate terms, sentences match the shared splitter, score and level agree."""
    countries = _countries(title, body)
    escalation = TAGGER.tag(title, body, countries, [], thresholds=thresholds)
    assert 0.0 <= escalation["score"] <= 100.0
    assert escalation["level"] in LEVELS
    assert escalation["level"] == level_for(escalation["score"], thresholds)
    codes = {c["code"] for c in countries}
    keys = []
    for signal in escalation["signals"]:
        text = title if signal["field"] == "title" else body
        assert 0 <= signal["start"] < signal["end"] <= len(text)
        assert text[signal["start"] : signal["end"]] == signal["term"]
        assert signal["sentence"] == Sentences(text).sentence_at(signal["start"])
        assert signal["modality"] in MODALITIES
        assert signal["negated"] == (signal["modality"] not in ("asserted", "reported"))
        assert signal["weight"] >= 0
        assert set(signal["actors"]) <= codes
        assert len(set(signal["actors"])) == len(signal["actors"])
        keys.append((signal["field"] == "body", signal["start"]))
    assert keys == sorted(keys)
    if not escalation["signals"]:
        assert escalation["score"] == 0.0


@settings(max_examples=200, deadline=None)
@given(body=text_strategy)
def test_score_is_monotone_in_added_signals(body: str) -> None:
    """Appending an asserted violent sentence never lowers the score."""
    before = TAGGER.tag("", body, [], [])["score"]
    after = TAGGER.tag("", body + "\nRebels attacked the town.", [], [])["score"]
    assert after >= before


SENTENCE_PIECES = ["a", "B", "Mr.", "U.S.", "J.", "x.", "e.g.", ".", "..", "!", "?", '?"', ")"]
SENTENCE_PIECES += ["\n", "\n\n", " ", "\t", "word", "Word", "etc.", "“q.”", "’", "5.2", "İ", ".a"]
SENTENCE_PIECES += ["approx.", "Approx.", "Statement.", "xu.s.", "longword", "a.b.c.d.e.f.g."]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(SENTENCE_PIECES), max_size=30).map("".join))
def test_local_sentence_span_matches_the_shared_splitter(text: str) -> None:
    """The tagger's local sentence scan cuts exactly where split_sentences does."""
    sentences = Sentences(text)
    for offset, ch in enumerate(text):
        if ch.isalnum():
            assert _sentence_span(text, offset) == sentences.span_at(offset)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60) | text_strategy | st.sampled_from(["a\u2028b", "x\x85İ y"]))
def test_fold_agrees_with_normalise(text: str) -> None:
    """The fast fold keeps offsets and agrees with the slow normalisation on ASCII."""
    folded, normal = _fold(text), _normalise(text)
    assert len(folded) == len(text)
    assert set(folded) <= {chr(i) for i in range(128)} | {_OTHER, _OTHER_SPACE}
    assert [len(w) for w in folded.split()] == [len(w) for w in normal.split()]
    for f, n in zip(folded, normal, strict=True):
        if n.isascii():
            assert f == n
        else:
            assert f == (_OTHER_SPACE if n.isspace() else _OTHER)

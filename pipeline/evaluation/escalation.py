"""Evaluate escalation tagging against labelled sentences (CAMEO PentaClass).

Input: a JSON Lines file whose records have ``text`` (a sentence) and
``label`` (int 0-4): 0 make statement/appeal, 1 verbal cooperation, 2
material cooperation, 3 verbal conflict, 4 material conflict (e.g. the
ConfliBERT ``cameo_class`` sentences, see ``shared/data/README.md``).

Two tasks, scored by precision, recall and F1 of the positive class:

``material``
    label 4 positive, labels 0-2 negative; label 3 sentences are left out.
``any_conflict``
    labels 3-4 positive, labels 0-2 negative.

A sentence is predicted positive when its escalation has at least one
asserted signal (``negated`` false) and a level other than ``none``; the
same rule serves both tasks. ``tagger`` is ``"brinkwatch"`` (the full
:class:`pipeline.tagging.Tagger` on ``title="", body=text`` when the country
and entity taggers are installed, else the escalation tagger alone with no
countries or entities; ``mode`` says which) or ``"keywords"`` (a naive
baseline: positive when any word of :data:`KEYWORDS` occurs, as a bag of
words). ``sentences_per_s`` counts tagging time only, in CPU seconds of the
calling thread (a per-core figure).
"""

from __future__ import annotations

import pathlib
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from pipeline.errors import DataError
from pipeline.evaluation.common import prf, read_jsonl

__all__ = ["KEYWORDS", "TAGGERS", "evaluate", "render"]

#: The taggers :func:`evaluate` knows.
TAGGERS = ("brinkwatch", "keywords")

#: The naive baseline's conflict words, with their common inflections.
KEYWORDS = frozenset(
    (
        "attack",
        "attacks",
        "attacked",
        "attacking",
        "war",
        "wars",
        "threat",
        "threats",
        "threaten",
        "threatened",
        "threatens",
        "sanction",
        "sanctions",
        "sanctioned",
        "protest",
        "protests",
        "protested",
        "protesters",
        "kill",
        "kills",
        "killed",
        "killing",
        "killings",
        "troops",
        "troop",
        "military",
        "bomb",
        "bombs",
        "bombed",
        "bombing",
        "fight",
        "fights",
        "fought",
        "fighting",
        "clash",
        "clashes",
        "clashed",
        "strike",
        "strikes",
        "shot",
        "shooting",
        "violence",
        "riot",
        "riots",
        "arrest",
        "arrested",
        "missile",
        "missiles",
        "weapon",
        "weapons",
        "army",
        "soldiers",
    )
)

_MATERIAL_POS = frozenset({4})
_ANY_POS = frozenset({3, 4})
_NEGATIVE = frozenset({0, 1, 2})
_WORD = re.compile(r"[a-z]+")

# A tagger under test: text -> predicted positive.
_Predict = Callable[[str], bool]


def _read(path: pathlib.Path, limit: int | None) -> list[tuple[str, int]]:
    """Read and check the labelled sentences (all of them, or the first *limit*)."""
    records: list[tuple[str, int]] = []
    for line_no, record in read_jsonl(path, limit):
        text, label = record.get("text"), record.get("label")
        if not isinstance(text, str):
            raise DataError(str(path), line_no, "'text' must be a string")
        if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label <= 4:
            raise DataError(str(path), line_no, "'label' must be an integer 0-4")
        records.append((text, label))
    return records


def _brinkwatch() -> tuple[_Predict, str]:
    """Return the brinkwatch predictor and its mode ("full" or "escalation-only")."""
    try:
        from pipeline.tagging import Tagger

        tagger = Tagger()
    except (ImportError, DataError):
        from pipeline.tagging.escalation import EscalationTagger

        escalation = EscalationTagger.default()

        def predict_alone(text: str) -> bool:
            return _positive(escalation.tag("", text, [], []))

        return predict_alone, "escalation-only"

    def predict_full(text: str) -> bool:
        return _positive(tagger.tag("", text).escalation)

    return predict_full, "full"


def _positive(escalation: Any) -> bool:
    """The decision rule: an asserted signal and a level above "none"."""
    return escalation["level"] != "none" and any(
        not signal["negated"] for signal in escalation["signals"]
    )


def _keywords(text: str) -> bool:
    """The naive baseline: any conflict keyword in the bag of words."""
    return not KEYWORDS.isdisjoint(_WORD.findall(text.lower()))


def evaluate(
    path: pathlib.Path, *, tagger: str = "brinkwatch", limit: int | None = None
) -> dict[str, Any]:
    """Tag every sentence of *path* and score both tasks (see the module docstring)."""
    if tagger not in TAGGERS:
        raise ValueError(f"unknown tagger {tagger!r}; expected one of {TAGGERS}")
    records = _read(path, limit)
    predict: _Predict
    if tagger == "keywords":
        predict, mode = _keywords, "keywords"
    else:
        predict, mode = _brinkwatch()

    began = time.thread_time()
    predictions = [predict(text) for text, _ in records]
    seconds = time.thread_time() - began

    counts: dict[str, Counter[str]] = {"material": Counter(), "any_conflict": Counter()}
    by_label: Counter[int] = Counter()
    positive_by_label: Counter[int] = Counter()
    for (_, label), positive in zip(records, predictions, strict=True):
        by_label[label] += 1
        positive_by_label[label] += positive
        for task, positives in (("material", _MATERIAL_POS), ("any_conflict", _ANY_POS)):
            if label in positives:
                counts[task]["tp" if positive else "fn"] += 1
            elif label in _NEGATIVE and positive:
                counts[task]["fp"] += 1
    return {
        "tagger": tagger,
        "mode": mode,
        "data": str(path),
        "sentences": len(records),
        "material": prf(**{k: counts["material"][k] for k in ("tp", "fp", "fn")}),
        "any_conflict": prf(**{k: counts["any_conflict"][k] for k in ("tp", "fp", "fn")}),
        "positive_rate_by_label": {
            str(label): round(positive_by_label[label] / by_label[label], 4)
            for label in sorted(by_label)
        },
        "seconds": round(seconds, 4),
        "sentences_per_s": round(len(records) / seconds, 1) if seconds > 0 else 0.0,
    }


def render(result: dict[str, Any]) -> str:
    """Format an :func:`evaluate` result as a short plain-text report."""
    lines = [
        f"escalation evaluation: {result['tagger']} ({result['mode']}) on {result['data']}",
        f"sentences: {result['sentences']}, {result['sentences_per_s']:,.0f} sentences/s",
        "",
        f"{'task':<14}{'precision':>10}{'recall':>8}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}",
    ]
    for task in ("material", "any_conflict"):
        s = result[task]
        lines.append(
            f"{task:<14}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"
            f"{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"
        )
    rates = ", ".join(f"{k}: {v:.2f}" for k, v in result["positive_rate_by_label"].items())
    lines += ["", f"predicted positive by label: {rates}"]
    return "\n".join(lines)

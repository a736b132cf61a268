"""Evaluate country tagging against labelled stories (e.g. Reuters-21578).

Input: a JSON Lines file whose records have ``title``, ``body`` and a gold
field (default ``countries``) holding a list of ISO 3166-1 alpha-2 codes.

Figures (keys of the dict :func:`evaluate` returns):

``micro``
    precision, recall and F1 over all (story, country) pairs: the predicted
    set of a story is what the tagger reports for routing (``tag()`` with its
    default ``min_salience``), the gold set is the story's gold field.
``micro_excluding``
    the same with the ``exclude`` codes removed from both predicted and gold
    sets (``--exclude US``: "how well are the other countries found").
``macro_f1`` / ``macro_countries`` / ``per_country``
    F1 per country, averaged over the countries with at least
    :data:`MACRO_MIN_SUPPORT` gold stories. Computed on the full label sets
    (``exclude`` does not apply), so a country that is excluded from the
    micro figures still counts here.
``focus_accuracy`` / ``focus_articles``
    over the ``focus_articles`` stories that keep at least one gold label
    after removing the ``exclude`` codes: the share whose focus country is
    one of the story's gold labels (the full gold set, excluded codes
    included). A story for which the tagger reports no country counts as a
    miss. ``focus_accuracy_predicted`` divides by the stories that got a
    prediction instead (``focus_predicted`` of them) and ``focus_coverage``
    is the share of stories that got one.
``articles_per_s``
    stories tagged per CPU second of tagging (the thread's CPU time, so a per-core
    figure that other processes on the machine do not move; reading and scoring
    excluded).

``tagger`` is ``"brinkwatch"`` (:class:`pipeline.tagging.countries.CountryTagger`)
or ``"geotext"`` (baseline: geotext's ``country_mentions`` of title + body,
keyed by geotext's own country codes; focus = the most mentioned, ties to the
first mentioned).
"""

from __future__ import annotations

import pathlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pipeline.errors import DataError
from pipeline.evaluation.common import prf, read_jsonl

__all__ = ["MACRO_MIN_SUPPORT", "TAGGERS", "evaluate", "render"]

#: A country needs this many gold stories to enter the macro average.
MACRO_MIN_SUPPORT = 10

#: The taggers :func:`evaluate` knows.
TAGGERS = ("brinkwatch", "geotext")

# A tagger under test: (title, body) -> (predicted codes, focus code or None).
_Predict = Callable[[str, str], tuple[set[str], str | None]]


def _brinkwatch() -> _Predict:
    """Return the Brinkwatch country tagger as a predictor."""
    from pipeline.tagging.countries import CountryTagger

    tagger = CountryTagger.default()

    def predict(title: str, body: str) -> tuple[set[str], str | None]:
        countries = tagger.tag(title, body)
        focus = next((c["code"] for c in countries if c["focus"]), None)
        return {c["code"] for c in countries}, focus

    return predict


def _geotext() -> _Predict:
    """Return geotext's country mentions as a predictor (the baseline)."""
    from geotext import GeoText

    def predict(title: str, body: str) -> tuple[set[str], str | None]:
        mentions = GeoText(f"{title}\n{body}").country_mentions
        if not mentions:
            return set(), None
        focus = max(mentions, key=lambda c: mentions[c])  # first of the most mentioned
        return set(mentions), focus

    return predict


def _read(
    path: pathlib.Path, gold_field: str, limit: int | None
) -> list[tuple[str, str, list[str]]]:
    """Read (title, body, gold codes) records; raise DataError on a bad line."""
    records: list[tuple[str, str, list[str]]] = []
    for line_no, record in read_jsonl(path, limit):
        for name in ("title", "body"):
            if not isinstance(record.get(name), str):
                raise DataError(str(path), line_no, f"missing or non-string {name!r}")
        gold = record.get(gold_field)
        if not isinstance(gold, list) or not all(isinstance(c, str) for c in gold):
            raise DataError(str(path), line_no, f"missing or non-list-of-strings {gold_field!r}")
        records.append((record["title"], record["body"], [c.upper() for c in gold]))
    return records


def evaluate(
    path: pathlib.Path,
    *,
    gold_field: str = "countries",
    exclude: Sequence[str] = (),
    tagger: str = "brinkwatch",
    limit: int | None = None,
) -> dict[str, Any]:
    """Tag every story of *path* and score the tags against *gold_field*.

    See the module docstring for the definition of every figure. Raises
    :class:`~pipeline.errors.DataError` (file and line) on a bad record and
    ``ValueError`` for an unknown *tagger*.
    """
    if tagger not in TAGGERS:
        raise ValueError(f"unknown tagger {tagger!r}; expected one of {', '.join(TAGGERS)}")
    records = _read(pathlib.Path(path), gold_field, limit)
    predict = _brinkwatch() if tagger == "brinkwatch" else _geotext()
    excluded = {c.upper() for c in exclude}

    predictions: list[tuple[set[str], str | None]] = []
    started = time.thread_time()
    for title, body, _ in records:
        predictions.append(predict(title, body))
    elapsed = time.thread_time() - started

    tp = fp = fn = 0
    tp_x = fp_x = fn_x = 0
    support: Counter[str] = Counter()
    c_tp: Counter[str] = Counter()
    c_fp: Counter[str] = Counter()
    focus_stories = focus_predicted = focus_right = 0
    for (_, _, gold_list), (predicted, focus) in zip(records, predictions, strict=True):
        gold = set(gold_list)
        tp += len(predicted & gold)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
        gold_x, predicted_x = gold - excluded, predicted - excluded
        tp_x += len(predicted_x & gold_x)
        fp_x += len(predicted_x - gold_x)
        fn_x += len(gold_x - predicted_x)
        support.update(gold)
        c_tp.update(predicted & gold)
        c_fp.update(predicted - gold)
        if gold_x:
            focus_stories += 1
            if focus is not None:
                focus_predicted += 1
                focus_right += focus in gold

    per_country: dict[str, dict[str, float]] = {}
    for code, n in sorted(support.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < MACRO_MIN_SUPPORT:
            continue
        scores = prf(c_tp[code], c_fp[code], n - c_tp[code])
        per_country[code] = {"gold": n, "predicted": c_tp[code] + c_fp[code], **scores}
    macro = sum(s["f1"] for s in per_country.values()) / len(per_country) if per_country else 0.0
    result: dict[str, Any] = {
        "tagger": tagger,
        "data": str(path),
        "gold_field": gold_field,
        "articles": len(records),
        "micro": prf(tp, fp, fn),
        "macro_f1": round(macro, 4),
        "macro_countries": len(per_country),
        "macro_min_support": MACRO_MIN_SUPPORT,
        "per_country": per_country,
        "focus_accuracy": round(focus_right / focus_stories, 4) if focus_stories else 0.0,
        "focus_articles": focus_stories,
        "focus_accuracy_predicted": (
            round(focus_right / focus_predicted, 4) if focus_predicted else 0.0
        ),
        "focus_predicted": focus_predicted,
        "focus_coverage": round(focus_predicted / focus_stories, 4) if focus_stories else 0.0,
        "articles_per_s": round(len(records) / elapsed, 1) if elapsed > 0 else 0.0,
        "tagging_seconds": round(elapsed, 4),
    }
    if excluded:
        result["micro_excluding"] = {"excluded": sorted(excluded), **prf(tp_x, fp_x, fn_x)}
    if tagger == "brinkwatch":
        from pipeline.tagging.countries import DEFAULT_MIN_SALIENCE, CountryTagger

        result["min_salience"] = DEFAULT_MIN_SALIENCE
        result["data_version"] = CountryTagger.default().data_version
    return result


def render(result: dict[str, Any]) -> str:
    """Return the figures of :func:`evaluate` as a plain-text table."""
    rows: list[tuple[str, str]] = [
        ("tagger", str(result["tagger"])),
        ("articles", str(result["articles"])),
    ]
    micro = result["micro"]
    rows.append(
        (
            "micro P / R / F1",
            f"{micro['precision']:.3f} / {micro['recall']:.3f} / {micro['f1']:.3f}",
        )
    )
    if "micro_excluding" in result:
        mx = result["micro_excluding"]
        label = f"micro excl. {','.join(mx['excluded'])} P / R / F1"
        rows.append((label, f"{mx['precision']:.3f} / {mx['recall']:.3f} / {mx['f1']:.3f}"))
    rows.append(
        (
            f"macro F1 ({result['macro_countries']} countries"
            f" with >= {result.get('macro_min_support', MACRO_MIN_SUPPORT)} stories)",
            f"{result['macro_f1']:.3f}",
        )
    )
    rows.append(
        (
            f"focus accuracy ({result['focus_articles']} stories)",
            f"{result['focus_accuracy']:.3f}"
            f" (on the {result.get('focus_predicted', 0)} with a prediction:"
            f" {result.get('focus_accuracy_predicted', 0.0):.3f},"
            f" coverage {result.get('focus_coverage', 0.0):.3f})",
        )
    )
    rows.append(("articles/s (tagging only)", f"{result['articles_per_s']:,.0f}"))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    per_country = result.get("per_country") or {}
    if per_country:
        lines.append("")
        lines.append(f"{'country':<8}{'gold':>6}{'pred':>6}{'P':>7}{'R':>7}{'F1':>7}")
        for code, s in per_country.items():
            lines.append(
                f"{code:<8}{int(s['gold']):>6}{int(s['predicted']):>6}"
                f"{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
            )
    return "\n".join(lines)

"""Evaluate entity tagging against a CoNLL-style corpus (exact-span micro P/R/F1).

Input: a JSON Lines file whose records have ``text`` (scored as the article
body, with an empty title) and ``entities``: ``[{start, end, type, text}]``
with character offsets into ``text`` and ``type`` one of PER, ORG, LOC, MISC
(the shape of ``conll2003-dev.jsonl``).

Scoring:

* a predicted mention counts when its span and type match a gold entity
  exactly (``PER`` is ``PERSON``); micro precision, recall and F1 overall and
  per type PERSON, ORG, LOC;
* ``MISC`` is ignored on both sides: gold MISC entities are dropped, and a
  prediction whose span is exactly a gold MISC span is neither a hit nor a
  false alarm (the taggers have no MISC type);
* CoNLL annotates a country named in the text as LOC, while Brinkwatch reports
  countries through the country tagger, not as entities. So the country
  tagger's evidence spans that name a country (``via`` ``name`` or ``alias``)
  count as predicted LOC mentions, unless they lie inside a predicted entity
  ("Bank of England"); a leading "the" is left out of the span as CoNLL
  does ("the Netherlands"). Demonyms are MISC in CoNLL and never count;
* ``words_per_s`` is whitespace-separated tokens divided by the time spent in
  the entity tagger's ``tag()`` alone over one pass (the country tagging that
  feeds it is timed separately as ``country_words_per_s``). The built-in
  tagger caches its reading of each distinct capitalised run, so a first pass
  from a fresh process is its slowest case; ``words_per_s_warm`` times a
  second pass over the same documents (every run cached), the long-running
  worker's best case. A real stream sits between the two. Times are CPU
  seconds of the calling thread (:func:`time.thread_time`): per-core figures
  that do not move when other processes share the machine.
"""

from __future__ import annotations

import pathlib
import time
from typing import Any

from pipeline.errors import DataError
from pipeline.evaluation.common import prf, read_jsonl
from pipeline.tagging.types import Country

__all__ = ["TYPES", "evaluate", "render"]

#: The entity types scored, in report order.
TYPES: tuple[str, ...] = ("PERSON", "ORG", "LOC")

_GOLD_TYPES = {"PER": "PERSON", "PERSON": "PERSON", "ORG": "ORG", "LOC": "LOC"}
_COUNTRY_VIAS = frozenset({"name", "alias"})

# One document: text, gold (start, end, type) set, gold MISC spans.
_Doc = tuple[str, set[tuple[int, int, str]], set[tuple[int, int]]]


def _load(path: pathlib.Path, limit: int | None) -> list[_Doc]:
    """Read and check the corpus; raise DataError on the first bad line."""
    return [_parse(record, str(path), line_no) for line_no, record in read_jsonl(path, limit)]


def _parse(record: Any, path: str, line_no: int) -> _Doc:
    """Turn one record into (text, gold, misc), checking every field."""
    if not isinstance(record, dict):
        raise DataError(path, line_no, "record is not an object")
    text = record.get("text")
    if not isinstance(text, str):
        raise DataError(path, line_no, "'text' missing or not a string")
    entities = record.get("entities")
    if not isinstance(entities, list):
        raise DataError(path, line_no, "'entities' missing or not a list")
    gold: set[tuple[int, int, str]] = set()
    misc: set[tuple[int, int]] = set()
    for k, ent in enumerate(entities):
        if not isinstance(ent, dict):
            raise DataError(path, line_no, f"entities[{k}] is not an object")
        start, end, kind = ent.get("start"), ent.get("end"), ent.get("type")
        if (
            not isinstance(start, int)
            or not isinstance(end, int)
            or not 0 <= start < end <= len(text)
        ):
            raise DataError(path, line_no, f"entities[{k}] has bad offsets {start!r}..{end!r}")
        if kind == "MISC":
            misc.add((start, end))
        elif kind in _GOLD_TYPES:
            gold.add((start, end, _GOLD_TYPES[kind]))
        else:
            raise DataError(path, line_no, f"entities[{k}] has unknown type {kind!r}")
    return text, gold, misc


def _predicted(
    entities: list[Any], countries: list[Country], misc: set[tuple[int, int]]
) -> set[tuple[int, int, str]]:
    """Return the predicted (start, end, type) body mentions, MISC spans left out."""
    pred: set[tuple[int, int, str]] = set()
    for ent in entities:
        for m in ent["mentions"]:
            if m["field"] == "body":
                pred.add((m["start"], m["end"], ent["type"]))
    spans = sorted((s, e) for s, e, _ in pred)
    for country in countries:
        for ev in country["evidence"]:
            if ev["field"] != "body" or ev["via"] not in _COUNTRY_VIAS:
                continue
            s, e = ev["start"], ev["end"]
            if ev["text"].startswith(("the ", "The ")):
                s += 4  # CoNLL spans leave out the article: "the Netherlands"
            if any(ps <= s and e <= pe for ps, pe in spans):
                continue
            pred.add((s, e, "LOC"))
    return {p for p in pred if (p[0], p[1]) not in misc}


def evaluate(
    path: pathlib.Path,
    *,
    backend: str = "builtin",
    spacy_model: str = "en_core_web_sm",
    limit: int | None = None,
) -> dict[str, Any]:
    """Score the entity tagger (*backend*) on the corpus at *path*; see the module doc."""
    from pipeline.tagging.countries import CountryTagger
    from pipeline.tagging.entities import get_entity_tagger

    docs = _load(path, limit)
    tagger = get_entity_tagger(backend, spacy_model)
    country_tagger = CountryTagger.default()
    counts = {t: [0, 0, 0] for t in TYPES}
    words = 0
    tag_time = 0.0
    country_time = 0.0
    all_countries: list[list[Country]] = []
    for text, gold, misc in docs:
        words += len(text.split())
        t0 = time.thread_time()
        countries = country_tagger.tag("", text, min_salience=0.0)
        all_countries.append(countries)
        t1 = time.thread_time()
        entities = tagger.tag("", text, countries)
        t2 = time.thread_time()
        country_time += t1 - t0
        tag_time += t2 - t1
        pred = _predicted(list(entities), countries, misc)
        for kind in TYPES:
            p = {x for x in pred if x[2] == kind}
            g = {x for x in gold if x[2] == kind}
            hits = len(p & g)
            counts[kind][0] += hits
            counts[kind][1] += len(p) - hits
            counts[kind][2] += len(g) - hits
    warm_time = 0.0
    for (text, _gold, _misc), countries in zip(docs, all_countries, strict=True):
        t0 = time.thread_time()
        tagger.tag("", text, countries)
        warm_time += time.thread_time() - t0
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return {
        "backend": backend,
        "model": spacy_model if backend == "spacy" else None,
        "data_version": getattr(tagger, "data_version", None),
        "path": str(path),
        "documents": len(docs),
        "words": words,
        "overall": prf(*total),
        "per_type": {kind: prf(*counts[kind]) for kind in TYPES},
        "tag_seconds": round(tag_time, 4),
        "words_per_s": round(words / tag_time) if tag_time > 0 else None,
        "words_per_s_warm": round(words / warm_time) if warm_time > 0 else None,
        "country_words_per_s": round(words / country_time) if country_time > 0 else None,
    }


def render(result: dict[str, Any]) -> str:
    """Format an :func:`evaluate` result as a short plain-text report."""
    backend = result["backend"] + (f" ({result['model']})" if result.get("model") else "")
    lines = [
        f"entity tagging: {backend} on {result['documents']} documents, {result['words']} words",
        f"{'type':8} {'P':>6} {'R':>6} {'F1':>6} {'tp':>6} {'fp':>6} {'fn':>6}",
    ]
    rows = [("overall", result["overall"])] + [(kind, result["per_type"][kind]) for kind in TYPES]
    for name, r in rows:
        lines.append(
            f"{name:8} {r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f}"
            f" {r['tp']:6d} {r['fp']:6d} {r['fn']:6d}"
        )
    speed, warm = result.get("words_per_s"), result.get("words_per_s_warm")
    if speed:
        lines.append(
            f"speed: {speed:,} words/s first pass, {warm or 0:,} words/s second pass"
            " (entity tagger alone)"
        )
    else:
        lines.append("speed: n/a")
    return "\n".join(lines)

"""Tagging alone, in this process: articles per second per core, words per second, and scaling.

Times are CPU seconds of the calling thread (:func:`time.thread_time`), so a
figure is "per core" and moves little when other processes share the
machine; each figure is the fastest of several rounds over the articles.
Each tagger is timed on its own over the same articles, with the inputs it
needs (countries for the entity tagger, countries and entities for
the escalation tagger) computed beforehand; ``all`` is the three as the
worker calls them: :meth:`~pipeline.tagging.Tagger.tag_batch` over batches
of ``BRINKWATCH_BATCH_MAX`` articles, each tagger over the batch in turn.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pipeline.settings import Settings

__all__ = ["by_gazetteer", "by_size", "tagging_throughput"]

Article = dict[str, Any]
T = TypeVar("T")


def _timed_loop(articles: Sequence[T], step: Callable[[T], object]) -> float:
    """Return the CPU seconds of *step* over *articles*, each result dropped as it comes.

    The worker serialises an article's facts and lets them go; a benchmark that
    kept every result alive would make the cyclic collector walk the growing
    heap, and time it (about 85 µs per article over 2,000 kept results).
    """
    t0 = time.thread_time()
    for a in articles:
        step(a)
    return time.thread_time() - t0


def _rounds(articles: Sequence[T], min_seconds: float, step: Callable[[T], object],
            *, min_rounds: int = 3) -> tuple[int, float]:
    """Time *step* over *articles*, round after round, for *min_seconds* and *min_rounds*.

    Returns ``(len(articles), seconds)`` of the fastest round: another process
    or the collector can only add time to a round, never take it away, so the
    fastest round is the best estimate of the code's own cost (as ``timeit``).
    """
    best, spent, rounds = float("inf"), 0.0, 0
    while spent < min_seconds or rounds < min_rounds:
        seconds = _timed_loop(articles, step)
        best = min(best, seconds)
        spent += seconds
        rounds += 1
    return len(articles), best


def tagging_throughput(articles: Sequence[Article], *, min_seconds: float = 2.0) -> dict[str, Any]:
    """Return articles/s and words/s per core of each tagger and of all three."""
    from pipeline.tagging import Tagger

    tagger = Tagger()
    for a in articles[:20]:  # warm the per-process caches the way a running worker has them
        tagger.tag(a["title"], a["body"])
    countries = [tagger.countries.tag(a["title"], a["body"], min_salience=tagger.min_salience)
                 for a in articles]
    entities = [tagger.entities.tag(a["title"], a["body"], c)
                for a, c in zip(articles, countries, strict=True)]
    inputs = {id(a): (c, e) for a, c, e in zip(articles, countries, entities, strict=True)}

    def country_step(a: Article) -> object:
        return tagger.countries.tag(a["title"], a["body"], min_salience=tagger.min_salience)

    def entity_step(a: Article) -> object:
        return tagger.entities.tag(a["title"], a["body"], inputs[id(a)][0])

    def escalation_step(a: Article) -> object:
        c, e = inputs[id(a)]
        return tagger.escalation.tag(a["title"], a["body"], c, e, thresholds=tagger.thresholds)

    # "all" as the worker runs it: batches through each tagger in turn (Tagger.tag_batch).
    batch = Settings.from_env().batch_max
    batches = [[(a["title"], a["body"]) for a in articles[i : i + batch]]
               for i in range(0, len(articles), batch)]

    def all_step(pairs: list[tuple[str, str]]) -> object:
        return tagger.tag_batch(pairs)

    per_core: dict[str, float] = {}
    # The inputs above are the benchmark's own (every article's countries and entities):
    # the worker holds nothing like them. Out of the collector's sight, as the worker keeps
    # what it built before it runs (gc.freeze), so that no round times a full collection
    # walking them: that made "all" cost ~100 us more per article than its three taggers.
    gc.collect()
    gc.freeze()
    try:
        for name, step in (("countries", country_step), ("entities", entity_step),
                           ("escalation", escalation_step)):
            n, seconds = _rounds(articles, min_seconds, step)
            per_core[name] = round(n / seconds, 1)
        _, seconds = _rounds(batches, min_seconds, all_step)
        per_core["all"] = round(len(articles) / seconds, 1)
    finally:
        gc.unfreeze()  # collectable again once this returns
    words = sum(len(a["title"].split()) + len(a["body"].split()) for a in articles)
    mean_words = words / len(articles)
    return {
        "articles_per_s_per_core": per_core,
        "words_per_s_per_core": {k: round(mean_words * rate, 1) for k, rate in per_core.items()},
        "words_per_s": round(mean_words * per_core["all"], 1),
        "articles": len(articles),
        "mean_words": round(words / len(articles), 1),
    }


def by_size(corpora: Mapping[str, Sequence[Article]], *, min_seconds: float = 1.0
            ) -> dict[str, dict[str, float]]:
    """Return µs per article and per KB (1,000 bytes of title + body) of all taggers, per corpus."""
    from pipeline.bench.corpus import article_size
    from pipeline.tagging import Tagger

    tagger = Tagger()
    out: dict[str, dict[str, float]] = {}
    for label, articles in corpora.items():
        for a in articles[:5]:
            tagger.tag(a["title"], a["body"])
        n, seconds = _rounds(articles, min_seconds, lambda a: tagger.tag(a["title"], a["body"]))
        kb = sum(article_size(a) for a in articles) / len(articles) / 1000.0
        us = seconds / n * 1e6
        out[label] = {
            "mean_kb": round(kb, 2),
            "us_per_article": round(us, 1),
            "us_per_kb": round(us / kb, 1),
        }
    return out


def _country_step(tagger: Any) -> Callable[[Article], object]:
    def step(a: Article) -> object:
        return tagger.tag(a["title"], a["body"])

    return step


def by_gazetteer(articles: Sequence[Article], *, scales: Sequence[int] = (1, 2),
                 min_seconds: float = 1.0, rounds: int = 3) -> dict[str, dict[str, float]]:
    """Return µs per article of the country tagger built with each gazetteer scale.

    ``CountryTagger.build(gazetteer_scale=2)`` holds twice the entries (the
    extra ones never match), so a flat figure means the cost does not grow
    with the gazetteer. The scales are timed in turn, *rounds* times, and the
    best round of each counts, so that a busy moment of the machine does not
    land on one scale only.
    """
    from pipeline.tagging.countries import CountryTagger

    taggers = {scale: CountryTagger.build(gazetteer_scale=scale) for scale in scales}
    best: dict[int, float] = {}
    for tagger in taggers.values():
        for a in articles[:5]:
            tagger.tag(a["title"], a["body"])
    for _ in range(rounds):
        for scale, tagger in taggers.items():
            n, seconds = _rounds(articles, min_seconds / rounds, _country_step(tagger))
            us = seconds / n * 1e6
            best[scale] = min(us, best.get(scale, us))
    return {f"scale_{scale}": {"us_per_article": round(us, 1)} for scale, us in best.items()}

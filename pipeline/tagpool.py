"""Tagging in child processes, so that one worker uses more than one core.

Faust runs every agent in one asyncio thread: tagging, which is pure CPU
work, then holds that thread, and the consuming, producing and committing
wait for it. With ``BRINKWATCH_TAGGING_PROCESSES=N`` the worker hands each
batch of messages (their value bytes) to one of *N* child processes (started with ``spawn``: the
worker has threads, which ``fork`` does not copy safely), each with its own
:class:`~pipeline.enrich.Enricher`, which decodes, validates and tags each
one, and gets back :class:`~pipeline.enrich.Prepared` results (serialised
events and a few scalars, cheap to pickle) or the
:class:`~pipeline.errors.InvalidArticle` that sends a message to the dead
letters. The worker runs N + 1 enrich actors so that every
child always has a batch while the worker publishes another.

Nothing here imports Kafka; it is the enrich path, moved to other processes.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pipeline.enrich import Enricher, Prepared
from pipeline.errors import InvalidArticle
from pipeline.model import Article, decode_article
from pipeline.settings import Settings
from pipeline.tagging import build_kind

__all__ = ["Item", "Outcome", "TaggingPool", "prepare_batch"]

log = logging.getLogger("brinkwatch.tagpool")

#: One input message: its value bytes (None for a tombstone) and when it was received.
Item = tuple[bytes | None, float]
#: What one message gives: its prepared messages, why it is invalid, or the error tagging raised.
Outcome = Prepared | InvalidArticle | BaseException

_enricher: Enricher | None = None


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """End this process once *parent* is gone (a SIGKILLed worker must not leave it behind)."""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(0)


def _start_child(settings: Settings, parent: int) -> None:
    """Load the taggers once in a child process (its ``initializer``); watch the worker."""
    global _enricher
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _enricher = Enricher(settings)


def prepare_batch(enricher: Enricher, items: list[Item], max_bytes: int) -> list[Outcome]:
    """Decode, validate and prepare every ``(value, received_at)`` of *items*, in order.

    A message that is not a valid article gives its
    :class:`~pipeline.errors.InvalidArticle` (values over *max_bytes* are
    ``too_large``); one whose tagging fails (a tagger bug) gives that error.
    Neither loses the others of its batch.
    """
    out: list[Outcome | None] = []
    clock = time.perf_counter
    # (index in out, article, received_at, decode seconds) of each article decoded.
    decoded: list[tuple[int, Article, float, float]] = []
    for value, received_at in items:
        t0 = clock()
        try:
            article = decode_article(value, max_bytes)
        except InvalidArticle as err:
            out.append(err)
            continue
        decoded.append((len(out), article, received_at, clock() - t0))
        out.append(None)
    # The whole batch through each tagger in turn (see Tagger.tag_batch: cache-friendly).
    tagged = enricher.tagger.tag_batch([(a.title, a.body) for _, a, _, _ in decoded])
    for (i, article, received_at, decode_s), (tags, tag_s) in zip(decoded, tagged, strict=True):
        if isinstance(tags, Exception):  # reported per article, as the worker's dead letter
            out[i] = tags
            continue
        try:
            out[i] = enricher.prepare(
                article, received_at, decode_seconds=decode_s, tags=tags, tag_seconds=tag_s
            )
        except Exception as exc:
            out[i] = exc
    # Every decoded article got its outcome above; None would be a bug here, and is
    # reported as that article's error rather than dropped.
    return [RuntimeError("article left untagged") if o is None else o for o in out]


def _child_prepare(items: list[Item], max_bytes: int) -> list[Outcome]:
    if _enricher is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("tagging process started without its initializer")
    return prepare_batch(_enricher, items, max_bytes)


def _child_versions() -> dict[str, str]:
    if _enricher is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("tagging process started without its initializer")
    return {**_enricher.versions, "taggers": build_kind()}


class TaggingPool:
    """*processes* child processes that prepare batches of articles (see the module doc)."""

    def __init__(self, settings: Settings, processes: int) -> None:
        """Start the children; each loads the taggers before it takes work."""
        if processes < 1:
            raise ValueError(f"a tagging pool needs at least one process, got {processes}")
        self.settings = settings
        self.processes = processes
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(self.settings, os.getpid()),
        )

    def warm_up(self) -> dict[str, str]:
        """Block until the children have started and loaded their taggers; return their versions.

        The versions are the worker's ``brinkwatch_build_info`` (the data files the
        children tag with).
        """
        futures = [self._executor.submit(_child_versions) for _ in range(self.processes * 2)]
        versions = [f.result() for f in futures]  # every child, not just the first to answer
        return versions[0]

    async def prepare(self, items: list[Item]) -> list[Outcome]:
        """Prepare *items* in a child process; if the pool broke (a child died), restart it once.

        A second failure raises: the caller tags the batch itself.
        """
        loop = asyncio.get_running_loop()
        limit = self.settings.max_message_bytes
        try:
            return await loop.run_in_executor(self._executor, _child_prepare, items, limit)
        except BrokenProcessPool:
            log.error("a tagging process died; restarting the pool of %d", self.processes)
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor()
            return await loop.run_in_executor(self._executor, _child_prepare, items, limit)

    def pids(self) -> list[int]:
        """Return the process ids of the children started so far."""
        procs = getattr(self._executor, "_processes", None) or {}
        return sorted(procs)

    def close(self) -> None:
        """Stop the children (pending work is dropped: its offsets were never acknowledged)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

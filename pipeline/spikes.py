"""Per-country spike detection: is this window's escalation well above the country's baseline?

Pure arithmetic, no Faust: the worker keeps the windows in Faust tables and
asks :func:`assess` what to do. A window's *total* is the sum of the
escalation scores of the articles tagged with the country in it (so both
more articles and more intense articles raise it).

A spike fires when all of these hold:

* the window has at least ``min_articles`` articles (one article cannot raise it);
* ``z = (total - mean) / max(std, sqrt(mean), 10)`` is at least ``z_threshold``,
  where ``mean`` and ``std`` are over the previous ``baseline_windows`` windows
  (empty windows count as 0, so a calm country has a low, steady baseline; the
  floor on the deviation keeps a perfectly flat baseline from turning any wobble
  into an infinite z);
* ``total >= ratio * mean``.

After firing, the country stays quiet (``active``) until its z falls below
half the threshold: one alert per surge, not one per article.

The windows themselves are :class:`SpikeWindows`: per country, a small map
of event-time buckets (one per hop) holding ``[articles, total]``. A window is
the last ``size / step`` buckets, the baseline the whole windows before it.
The worker keeps one such map per country in one Faust table, so an update
writes one changelog record (hopping windowed tables write one per
overlapping window and per table).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["SpikeAssessment", "SpikeWindows", "WindowView", "assess"]

#: The smallest deviation used in z, in score points.
MIN_DEVIATION = 10.0


@dataclass(frozen=True, slots=True)
class SpikeAssessment:
    """The verdict on one window: its z-score, whether to fire, and the new quiet state."""

    z: float
    baseline_mean: float
    baseline_std: float
    fire: bool
    active: bool


def assess(
    articles: int,
    total: float,
    baseline: list[float],
    *,
    active: bool,
    z_threshold: float,
    ratio: float,
    min_articles: int,
) -> SpikeAssessment:
    """Assess a window of *articles* with escalation *total* against *baseline* totals.

    *active* says whether the country is already in a spike (quiet period).
    """
    n = len(baseline)
    mean = sum(baseline) / n if n else 0.0
    var = sum((b - mean) ** 2 for b in baseline) / n if n else 0.0
    std = math.sqrt(var)
    z = (total - mean) / max(std, math.sqrt(mean), MIN_DEVIATION)
    surging = articles >= min_articles and z >= z_threshold and total >= ratio * mean
    if active:
        still = z >= z_threshold / 2
        return SpikeAssessment(z, mean, std, fire=False, active=still)
    return SpikeAssessment(z, mean, std, fire=surging, active=surging)


def _by_number(buckets: dict[Any, list[float]]) -> dict[int, list[float]]:
    """Return *buckets* keyed by int (as kept in memory), converting string keys (from JSON)."""
    if buckets and type(next(iter(buckets))) is not int:
        return {int(k): v for k, v in buckets.items()}
    return buckets


@dataclass(frozen=True, slots=True)
class WindowView:
    """A country's current window and the baseline windows before it."""

    articles: int
    total: float
    baseline: list[float]
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class SpikeWindows:
    """Event-time buckets of *step* seconds; a window is *per_window* buckets.

    A country's state is a dict ``{"b": {bucket: [articles, total]}, "active":
    bool}`` (bucket = ``floor(event_time / step)``, an int key in memory; a string
    key in JSON: :meth:`to_json` writes it, and a state read back is accepted as it is).
    Only the buckets of the current window and its *baseline_windows* windows
    are kept, so the state stays small (at most ``per_window × (baseline + 1)``
    buckets). The current window ends with the latest bucket the country has
    seen: a late record counts in its own bucket (if still kept) but never
    moves the window back.
    """

    step: float
    per_window: int
    baseline_windows: int

    @classmethod
    def of(cls, size: float, step: float, baseline_windows: int) -> SpikeWindows:
        """Return the geometry for a window of *size* seconds hopping by *step* seconds.

        *size* is rounded to a whole number of steps (at least one).
        """
        if step <= 0 or size <= 0:
            raise ValueError(f"window size and step must be > 0, got {size} and {step}")
        return cls(step, max(1, round(size / step)), max(0, baseline_windows))

    def bucket(self, event_time: float) -> int:
        """Return the bucket number of *event_time* (seconds since the epoch)."""
        return math.floor(event_time / self.step)

    def add(
        self, state: dict[str, Any] | None, bucket: int, articles: int, total: float
    ) -> dict[str, Any]:
        """Return a new state with *articles* and *total* added to *bucket* (old ones pruned).

        The new state's buckets are keyed by int; *state* may also be one read back
        from JSON (string keys, see :meth:`to_json`).
        """
        old = _by_number(state["b"]) if state else {}
        if old:
            latest = max(bucket, max(old))
            keep_from = latest - self.per_window * (self.baseline_windows + 1) + 1
            if min(old) >= keep_from:
                buckets = dict(old)
            else:
                buckets = {k: v for k, v in old.items() if k >= keep_from}
        else:
            keep_from = bucket
            buckets = {}
        if bucket >= keep_from:
            n, t = buckets.get(bucket, (0, 0.0))
            buckets[bucket] = [int(n) + articles, float(t) + total]
        return {"b": buckets, "active": bool(state and state.get("active"))}

    @staticmethod
    def to_json(state: dict[str, Any]) -> dict[str, Any]:
        """Return *state* ready for JSON: its bucket numbers as string keys, in the same order."""
        return {"b": {str(k): v for k, v in state["b"].items()}, "active": state["active"]}

    def view(self, state: dict[str, Any]) -> WindowView:
        """Return the current window (ending with the latest bucket) and its baseline totals."""
        by_number = _by_number(state["b"])
        if not by_number:
            return WindowView(0, 0.0, [0.0] * self.baseline_windows, 0.0, 0.0)
        latest = max(by_number)
        w = self.per_window
        # Window i (0: current) holds the buckets latest - w*i - w + 1 .. latest - w*i. One
        # pass over the kept buckets, in ascending order: each window's sum adds them in the
        # order a bucket-by-bucket walk of that window would.
        counts = [0] * (self.baseline_windows + 1)
        totals = [0.0] * (self.baseline_windows + 1)
        for b in sorted(by_number):
            i = (latest - b) // w
            if i <= self.baseline_windows:
                got = by_number[b]
                counts[i] += int(got[0])
                totals[i] += float(got[1])
        articles, total = counts[0], totals[0]
        baseline = totals[1:]
        return WindowView(
            articles,
            total,
            baseline,
            start=(latest - w + 1) * self.step,
            end=(latest + 1) * self.step,
        )

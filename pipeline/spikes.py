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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["SpikeAssessment", "assess"]

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

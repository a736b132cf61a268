"""Small statistics for the benchmark: percentiles and latency summaries."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["latency_summary", "percentile"]


def percentile(values: Sequence[float], q: float) -> float:
    """Return the *q*-th percentile (0-100) of *values*, linearly interpolated.

    The same definition as ``numpy.percentile(values, q)`` (numpy's default
    "linear" method): rank ``(n - 1) * q / 100`` between the sorted values.
    Raises ValueError on an empty sequence or a *q* outside 0..100.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0 or math.isnan(q):
        raise ValueError(f"percentile {q} is not within 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    lo = math.floor(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Return p50, p95, p99 and max of latencies given in seconds, in milliseconds."""
    return {
        "p50": round(percentile(seconds, 50) * 1000.0, 2),
        "p95": round(percentile(seconds, 95) * 1000.0, 2),
        "p99": round(percentile(seconds, 99) * 1000.0, 2),
        "max": round(max(seconds) * 1000.0, 2),
    }

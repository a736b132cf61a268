"""Spike assessment: fire once on a surge above the baseline, then stay quiet."""

from __future__ import annotations

from pipeline.spikes import assess

KW = {"z_threshold": 3.0, "ratio": 2.0, "min_articles": 5}


def test_burst_over_calm_baseline_fires() -> None:
    """Ten strong articles over a calm baseline raise a spike."""
    v = assess(10, 600.0, [20.0, 25.0, 15.0, 20.0], active=False, **KW)
    assert v.fire and v.active
    assert v.z > 3


def test_too_few_articles_never_fire() -> None:
    """Below the minimum article count, even a huge score does not fire."""
    v = assess(1, 100.0, [0.0] * 12, active=False, **KW)
    assert not v.fire and not v.active


def test_busy_baseline_absorbs_a_normal_window() -> None:
    """A window like the baseline does not fire."""
    v = assess(30, 900.0, [850.0, 950.0, 900.0, 880.0, 920.0], active=False, **KW)
    assert not v.fire


def test_quiet_while_active_until_it_falls_back() -> None:
    """While active it never fires again; it re-arms once z falls below half the threshold."""
    base = [20.0] * 12
    still = assess(12, 700.0, base, active=True, **KW)
    assert not still.fire and still.active
    calm = assess(5, 30.0, base, active=True, **KW)
    assert not calm.fire and not calm.active

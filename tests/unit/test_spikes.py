"""Spike assessment: fire once on a surge above the baseline, then stay quiet."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.spikes import SpikeWindows, assess

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


# -- SpikeWindows: event-time buckets behind the windows ---------------------------------

WIN = SpikeWindows.of(size=900, step=300, baseline_windows=2)


def _fill(records: list[tuple[float, int, float]]) -> dict[str, Any]:
    state: dict[str, Any] | None = None
    for t, n, total in records:
        state = WIN.add(state, WIN.bucket(t), n, total)
    assert state is not None
    return state


def test_window_sums_the_last_buckets_and_baseline_the_windows_before() -> None:
    """The window is the last size/step buckets; each baseline window the whole one before."""
    state = _fill([(0, 1, 10.0), (300, 1, 20.0), (900, 2, 5.0), (1800, 3, 30.0), (2400, 1, 7.0)])
    view = WIN.view(state)
    # Buckets 0..8; latest 8: window 6..8, baselines 3..5 and 0..2.
    assert (view.articles, view.total) == (4, 37.0)
    assert view.baseline == [5.0, 30.0]
    assert (view.start, view.end) == (1800.0, 2700.0)


def test_old_buckets_are_pruned_and_late_records_never_move_the_window_back() -> None:
    """Only window + baseline buckets are kept; a late record lands in its own bucket."""
    state = _fill([(0, 1, 10.0), (9000, 1, 50.0)])
    assert set(state["b"]) == {30}  # bucket 0 is 30 buckets older: pruned
    late = WIN.add(state, WIN.bucket(8500), 2, 8.0)  # bucket 28: within the current window
    view = WIN.view(late)
    assert (view.articles, view.total) == (3, 58.0)
    too_late = WIN.add(late, WIN.bucket(100), 1, 99.0)  # beyond the kept range: ignored
    assert WIN.view(too_late).total == 58.0
    assert WIN.view(too_late).end == 9300.0


def test_active_flag_survives_updates_and_state_is_json_ready() -> None:
    """The quiet flag is carried; to_json gives string keys, as JSON round-trips them."""
    state = {**_fill([(0, 1, 1.0), (300, 2, 3.0)]), "active": True}
    state = WIN.add(state, 0, 1, 1.0)
    assert state["active"] is True
    written = WIN.to_json(state)
    assert written == {"b": {"0": [2, 2.0], "1": [2, 3.0]}, "active": True}
    assert json.loads(json.dumps(written)) == written


def test_a_state_read_back_from_json_goes_on_as_the_one_in_memory() -> None:
    """A state recovered from the changelog (string keys) adds and views like the original."""
    state = _fill([(0, 1, 10.0), (300, 1, 20.0), (900, 2, 5.0), (1800, 3, 30.0)])
    recovered = json.loads(json.dumps(WIN.to_json(state)))
    assert WIN.view(recovered) == WIN.view(state)
    assert WIN.add(recovered, 8, 1, 7.0) == WIN.add(state, 8, 1, 7.0)


def test_window_size_is_rounded_to_whole_steps() -> None:
    """A size that is not a multiple of the step is rounded; bad geometry is refused."""
    assert SpikeWindows.of(1000, 300, 4).per_window == 3
    assert SpikeWindows.of(100, 300, 4).per_window == 1
    with pytest.raises(ValueError):
        SpikeWindows.of(900, 0, 4)


def test_burst_in_buckets_fires_through_assess() -> None:
    """A calm hour then a burst: the view's figures make assess fire."""
    win = SpikeWindows.of(900, 300, 8)
    state = None
    for i in range(16):
        state = win.add(state, win.bucket(i * 600.0), 1, 4.0)
    for i in range(8):
        state = win.add(state, win.bucket(16 * 600.0 + i * 30), 1, 80.0)
    assert state is not None
    view = win.view(state)
    v = assess(view.articles, view.total, view.baseline, active=False, **KW)
    assert v.fire, view


def _walked_view(windows: SpikeWindows, state: dict[str, Any]) -> tuple[int, float, list[float]]:
    """The window sums by the definition: walk each window bucket by bucket."""
    by_number = {int(k): v for k, v in state["b"].items()}
    latest = max(by_number)
    w = windows.per_window

    def window(end: int) -> tuple[int, float]:
        n, total = 0, 0.0
        for b in range(end - w + 1, end + 1):
            if b in by_number:
                n += int(by_number[b][0])
                total += float(by_number[b][1])
        return n, total

    n, total = window(latest)
    return n, total, [window(latest - w * i)[1] for i in range(1, windows.baseline_windows + 1)]


@given(
    st.integers(1, 4),
    st.integers(0, 5),
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(1, 5), st.floats(0, 100, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
)
@settings(max_examples=300, deadline=None)
def test_view_sums_as_a_bucket_by_bucket_walk(
    per_window: int, baseline: int, records: list[tuple[int, int, float]]
) -> None:
    """The one-pass view gives exactly (same floats) the sums of walking every window."""
    windows = SpikeWindows(300.0, per_window, baseline)
    state: dict[str, Any] | None = None
    for bucket, articles, total in records:
        state = windows.add(state, bucket, articles, total)
        view = windows.view(state)
        assert (view.articles, view.total, view.baseline) == _walked_view(windows, state)
        # Through JSON and back (a worker restarted from the changelog): the same sums.
        assert windows.view(json.loads(json.dumps(windows.to_json(state)))) == view

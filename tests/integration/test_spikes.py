"""Per-country spike alerts on a real broker: calm baseline, then a burst, in event time."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from pipeline.model import iso_time
from pipeline.runner import WorkerProcess
from pipeline.serde import load_schema
from pipeline.settings import Settings
from tests.integration.conftest import article_bytes, collect, produce

pytestmark = pytest.mark.integration

T0 = 1_717_200_000.0  # 2024-06-01T00:00:00Z: event times come from published_at, not the clock

CALM = (
    "Chile's Trade Ministry said on Tuesday that copper exports rose in the last quarter, "
    "and officials in Santiago expect a good harvest season."
)
BURST = (
    "Chilean troops opened fire on protesters in Santiago, killing at least twelve people, "
    "and the army launched air strikes on rebel positions as fighting spread across Chile."
)


def _article(i: int, t: float, body: str, title: str) -> tuple[bytes, bytes]:
    aid = f"cl-{i}"
    return aid.encode(), article_bytes(
        id=aid, title=title, body=body, published_at=iso_time(t), source="test wire"
    )


def test_burst_after_calm_baseline_raises_one_spike_that_survives_restart(
    settings: Settings, start_worker: Callable[..., WorkerProcess]
) -> None:
    """A burst raises exactly one spike alert; after a restart the table state keeps it quiet."""
    s = dataclasses.replace(
        settings,
        spike_window_s=900,
        spike_step_s=300,
        spike_baseline_windows=8,
        spike_min_articles=5,
        spike_z=3.0,
        spike_ratio=2.0,
    )
    worker = start_worker(s)
    calm = [_article(i, T0 + i * 600, CALM, f"Chile trade update {i}") for i in range(16)]
    produce(s, calm)
    collect(s, s.topic_enriched, lambda got: len(got) >= len(calm))
    calm_alerts = collect(s, s.topic_alerts, lambda got: False, timeout=3)
    assert not [a for a in calm_alerts if a["kind"] == "spike"], "a calm baseline raises nothing"

    burst_t = T0 + 16 * 600
    burst = [
        _article(100 + i, burst_t + i * 30, BURST, f"Deadly clashes in Chile {i}") for i in range(8)
    ]
    produce(s, burst)

    def spikes(got: list[Any]) -> list[Any]:
        return [a for a in got if a["kind"] == "spike"]

    alerts = collect(s, s.topic_alerts, lambda got: len(spikes(got)) >= 1, timeout=60)
    alerts = collect(s, s.topic_alerts, lambda got: False, timeout=3)  # and nothing more follows
    found = spikes(alerts)
    assert len(found) == 1, found
    spike = found[0]
    Draft202012Validator(load_schema("alert"), format_checker=FormatChecker()).validate(spike)
    assert spike["countries"] == ["CL"]
    assert spike["spike"]["articles"] >= 5
    assert spike["spike"]["z"] >= 3.0
    assert spike["level"] in ("elevated", "high", "critical")

    # Restart: the windows and the quiet flag come back from the changelog topics,
    # so more of the same burst does not raise a second spike.
    worker.stop()
    start_worker(s)
    more = [
        _article(200 + i, burst_t + 300 + i * 20, BURST, f"Clashes go on in Chile {i}")
        for i in range(6)
    ]
    produce(s, more)
    collect(s, s.topic_enriched, lambda got: len(got) >= len(calm) + len(burst) + len(more))
    after = collect(s, s.topic_alerts, lambda got: False, timeout=4)
    assert len(spikes(after)) == 1, spikes(after)

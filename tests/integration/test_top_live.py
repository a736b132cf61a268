"""`brinkwatch top` against a live pipeline: the alerts consumer and the metrics poll together."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from rich.console import Console

from pipeline.cli import main
from pipeline.runner import WorkerProcess
from pipeline.settings import Settings
from pipeline.top import AlertFeed, run
from tests.conftest import SEED

pytestmark = pytest.mark.integration

StartWorker = Callable[..., WorkerProcess]


def test_top_shows_the_seed_alert_and_the_workers_numbers(
    settings: Settings, start_worker: StartWorker
) -> None:
    """The seed's alert reaches AlertFeed from the alerts topic, and run() draws it with metrics."""
    start_worker(settings)
    assert main(["feed", str(SEED), "-b", settings.bootstrap_servers,
                 "--topic", settings.topic_articles]) == 0  # fmt: skip
    title = SEED.read_text(encoding="utf-8").partition("\n")[0].strip()

    feed = AlertFeed(settings.bootstrap_servers, settings.topic_alerts).start()
    try:
        rows = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not rows:
            rows = feed.drain()
            time.sleep(0.2)
        assert feed.status == "ok"
    finally:
        feed.stop()
    assert [row.kind for row in rows] == ["article"]
    assert rows[0].headline == title
    assert rows[0].level in ("elevated", "high", "critical")

    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None, force_terminal=False)
    url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
    assert run(settings, url, refresh_s=1.0, console=console, max_frames=8) == 0
    frame = out.getvalue()
    assert "1 total" in frame  # one article in, one enriched
    assert title[:40] in frame
    assert "metrics:" not in frame

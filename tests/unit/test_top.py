"""Tests of pipeline.top: metrics parsing, the pure state, one rendered frame and run()."""

from __future__ import annotations

import io
import math
import socket
import threading
import time
from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from rich.console import Console

from pipeline.broker import free_port
from pipeline.metrics import Metrics, MetricsServer
from pipeline.settings import Settings
from pipeline.top import (
    AlertFeed,
    AlertRow,
    Samples,
    TopState,
    _listening,
    fetch_metrics,
    histogram_quantile,
    merge_samples,
    parse_metrics,
    render,
    run,
)


def _scrape(metrics: Metrics) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """The samples a scrape of ``metrics`` would return, parsed back."""
    return parse_metrics(generate_latest(metrics.registry).decode())


def _text(renderable: object) -> str:
    """Render to plain text, as a 120-column terminal would show it."""
    console = Console(record=True, width=120, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.fixture
def metrics() -> Metrics:
    """A Metrics on a fresh registry."""
    return Metrics(CollectorRegistry(), process_collectors=False)


def test_parse_metrics_reads_names_labels_and_values(metrics: Metrics) -> None:
    """Counters keep their _total names, labels become sorted pairs, values are floats."""
    metrics.articles_received.inc(7)
    metrics.set_lag("news.articles", 3, 42)
    samples = _scrape(metrics)
    assert samples["brinkwatch_articles_received_total"] == {(): 7.0}
    lag = samples["brinkwatch_consumer_lag_messages"]
    assert lag == {(("partition", "3"), ("topic", "news.articles")): 42.0}
    reasons = samples["brinkwatch_articles_deadlettered_total"]
    assert (("reason", "not_json"),) in reasons


def test_parse_metrics_of_empty_text_is_empty() -> None:
    """No exposition, no samples."""
    assert parse_metrics("") == {}


def test_merge_samples_sums_series_across_workers() -> None:
    """Two workers' snapshots add up series by series, like PromQL sum()."""
    a = parse_metrics("brinkwatch_articles_received_total 3\nbrinkwatch_worker_ready 1\n")
    b = parse_metrics("brinkwatch_articles_received_total 4\nbrinkwatch_worker_ready 0\n")
    merged = merge_samples([a, b])
    assert merged["brinkwatch_articles_received_total"] == {(): 7.0}
    assert merged["brinkwatch_worker_ready"] == {(): 1.0}


def test_histogram_quantile_interpolates_like_promql() -> None:
    """Linear inside the bucket, 0 as the lowest bound, the top finite bound for +Inf."""
    buckets = {"0.1": 50.0, "0.2": 100.0, "+Inf": 100.0}
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.1)
    assert histogram_quantile(0.25, buckets) == pytest.approx(0.05)
    assert histogram_quantile(0.75, buckets) == pytest.approx(0.15)
    assert histogram_quantile(0.99, {"1.0": 1.0, "+Inf": 10.0}) == 1.0
    assert histogram_quantile(0.5, {"1.0": 0.0, "+Inf": 0.0}) is None
    assert histogram_quantile(0.5, {}) is None


def test_state_turns_snapshots_into_rates_and_window_totals(metrics: Metrics) -> None:
    """Rates come from the last two snapshots; countries and latency from the window."""
    state = TopState(window_s=60.0)
    metrics.articles_received.inc(10)
    metrics.observe_article(["FR"], 50.0)
    state.observe(_scrape(metrics), 1000.0)
    metrics.articles_received.inc(20)
    metrics.articles_enriched.inc(15)
    metrics.articles_deadlettered.labels(reason="schema").inc(5)
    metrics.observe_article(["UA", "RU"], 80.0)
    metrics.observe_article(["UA"], 40.0)
    for seconds in (0.01, 0.02, 0.03, 0.04):
        metrics.end_to_end_latency.observe(seconds)
    metrics.set_lag("news.articles", 0, 9)
    metrics.ready.set(1)
    state.observe(_scrape(metrics), 1010.0)

    assert state.received_total == 30.0
    assert state.in_rate == pytest.approx(2.0)
    assert state.out_rate == pytest.approx(1.5)
    assert state.deadletter_rate == pytest.approx(0.5)
    assert state.deadletters["schema"] == 5.0
    assert state.lag == {("news.articles", "0"): 9.0}
    assert state.workers_ready == 1.0
    # FR's 50 happened before the window's first snapshot, so it is not in the window.
    assert state.top_countries == [("UA", 120.0, 2.0), ("RU", 80.0, 1.0)]
    assert state.window_covered_s == 10.0
    assert state.latency_p50 is not None and 0.01 < state.latency_p50 <= 0.025
    assert state.latency_p99 is not None and 0.025 < state.latency_p99 <= 0.05


def test_state_window_slides_and_counter_resets_are_survived(metrics: Metrics) -> None:
    """Snapshots older than the window are dropped; a restarted worker's counters count anew."""
    state = TopState(window_s=30.0)
    for t in range(0, 100, 10):
        metrics.articles_received.inc(10)
        state.observe(_scrape(metrics), float(t))
    assert [t for t, _ in state.history] == [60.0, 70.0, 80.0, 90.0]
    assert state.window_covered_s == 30.0
    restarted = Metrics(process_collectors=False)
    restarted.articles_received.inc(5)
    state.observe(_scrape(restarted), 100.0)
    assert state.in_rate == pytest.approx(0.5)
    assert not math.isnan(state.in_rate)


def test_alert_rows_are_built_from_alert_messages() -> None:
    """Article alerts keep their headline; spike alerts describe the window and baseline."""
    article = AlertRow.from_message(
        {
            "kind": "article",
            "level": "high",
            "score": 71.5,
            "countries": ["UA", "RU"],
            "headline": "Troops mass on the border",
            "created_at": "2026-01-02T03:04:05Z",
        }
    )
    assert article.countries == ("UA", "RU") and article.score == 71.5
    spike = AlertRow.from_message(
        {
            "kind": "spike",
            "level": "critical",
            "score": 90,
            "countries": ["UA"],
            "headline": "",
            "created_at": "2026-01-02T03:05:00Z",
            "spike": {"articles": 7, "mean_score": 61.2, "baseline_mean": 12.0, "z": 5.3},
        }
    )
    assert spike.headline.startswith("spike: 7 articles, mean 61.2 vs baseline 12.0 (z=5.3)")
    assert AlertFeed._decode(b"not json").headline == "(undecodable alert)"


def test_state_keeps_only_the_newest_alerts() -> None:
    """add_alerts orders by creation time and keeps max_alerts of them."""
    state = TopState(max_alerts=3)
    rows = [
        AlertRow(f"2026-01-01T00:00:0{i}Z", "article", "low", 1.0, (), f"a{i}") for i in range(5)
    ]
    state.add_alerts(rows[3:])
    state.add_alerts(rows[:3])
    assert [r.headline for r in state.alerts] == ["a2", "a3", "a4"]


def test_render_one_frame_from_a_known_state(metrics: Metrics) -> None:
    """A frame shows throughput, lag, dead letters, top countries and the latest alerts."""
    state = TopState(
        metrics_url="http://worker:9108/metrics",
        bootstrap_servers="kafka:9092",
        alerts_topic="news.alerts",
        window_s=300.0,
    )
    state.observe(_scrape(metrics), 0.0)
    metrics.articles_received.inc(1234)
    metrics.articles_enriched.inc(1200)
    metrics.articles_deadlettered.labels(reason="not_json").inc(30)
    metrics.articles_deduplicated.inc(4)
    metrics.observe_article(["UA"], 95.0)
    metrics.observe_article(["FR"], 12.0)
    metrics.set_lag("news.articles", 2, 321)
    metrics.end_to_end_latency.observe(0.02)
    state.observe(_scrape(metrics), 10.0)
    state.kafka_status = "ok"
    state.add_alerts(
        [
            AlertRow.from_message(
                {
                    "kind": "article",
                    "level": "critical",
                    "score": 95,
                    "countries": ["UA"],
                    "headline": "Shelling resumes along the front line",
                    "created_at": "2026-01-02T03:04:05+00:00",
                }
            )
        ]
    )
    text = _text(render(state))
    assert "brinkwatch top" in text and "http://worker:9108/metrics" in text
    assert "123.4/s" in text and "1,234 total" in text  # in: 1234 articles over 10 s
    assert "120.0/s" in text  # enriched
    assert "news.articles/2" in text and "321" in text
    assert "not_json" in text and "30" in text
    assert "UA Ukraine" in text and "FR France" in text
    assert text.index("UA Ukraine") < text.index("FR France")
    assert "Shelling resumes along the front line" in text and "03:04:05" in text
    assert "critical" in text
    assert "metrics:" not in text  # no error line when all is well
    assert all(len(line) <= 120 for line in text.splitlines())


def test_render_reports_problems_instead_of_numbers() -> None:
    """A failing metrics poll and a broker that is down are said, not hidden."""
    state = TopState(metrics_url="http://nowhere:1/metrics", alerts_topic="news.alerts")
    state.metrics_failed("URLError: connection refused")
    state.kafka_status = "KafkaTimeoutError: Unable to bootstrap"
    text = _text(render(state))
    assert "metrics: URLError: connection refused" in text
    assert "alerts: KafkaTimeoutError" in text
    assert "no alerts yet" in text and "no escalation in this window" in text


def test_run_polls_a_real_metrics_server(metrics: Metrics) -> None:
    """run() scrapes a live MetricsServer over HTTP and draws frames; no broker is needed."""
    metrics.articles_received.inc(5)
    settings = Settings(bootstrap_servers=f"127.0.0.1:{free_port()}", topic_alerts="news.alerts")
    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None, force_terminal=False)
    polls: list[int] = []

    def fetch_after_an_article(urls: Sequence[str]) -> Samples:
        """Between two polls the worker enriches one more German article."""
        if polls:
            metrics.observe_article(["DE"], 33.0)
        polls.append(len(urls))
        return fetch_metrics(urls)

    with MetricsServer(metrics, host="127.0.0.1", port=0) as server:
        url = f"http://127.0.0.1:{server.port}/metrics"
        code = run(
            settings,
            url,
            refresh_s=0.05,
            console=console,
            max_frames=3,
            fetch=fetch_after_an_article,
        )
    assert polls == [1, 1, 1]
    assert code == 0
    frame = out.getvalue()
    assert "5 total" in frame
    assert "DE Germany" in frame and "66" in frame  # two articles of 33 in the window
    assert "metrics:" not in frame


def test_run_survives_an_unreachable_metrics_endpoint() -> None:
    """With nothing listening, run() shows the error and still exits cleanly."""
    settings = Settings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None, force_terminal=False)
    url = f"http://127.0.0.1:{free_port()}/metrics"
    assert run(settings, url, refresh_s=0.01, console=console, max_frames=2) == 0
    assert "metrics: URLError" in out.getvalue()


def test_alert_feed_without_a_broker_says_so_and_leaves_no_thread() -> None:
    """With nothing listening, the feed reports it, makes no Kafka client, and stops at once.

    (A kafka-python consumer that fails to bootstrap leaves its network thread behind.)
    """
    before = {t.ident for t in threading.enumerate()}
    feed = AlertFeed(f"127.0.0.1:{free_port()}", "news.alerts").start()
    deadline = time.monotonic() + 10
    while "no broker listening" not in feed.status and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "no broker listening" in feed.status
    feed.stop(timeout=5.0)
    time.sleep(0.2)
    left = [t.name for t in threading.enumerate() if t.ident not in before]
    assert left == []


def test_listening_tells_an_open_port_from_a_closed_one() -> None:
    """The feed's pre-check connects to the first server that answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert _listening([f"127.0.0.1:{free_port()}", f"127.0.0.1:{port}"])
    assert not _listening([f"127.0.0.1:{free_port()}", "nonsense"])

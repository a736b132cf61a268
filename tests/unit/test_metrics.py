"""Tests of pipeline.metrics: the metric set, its naming conventions and the HTTP server."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from pipeline.metrics import (
    ALERT_KINDS,
    DEADLETTER_REASONS,
    STAGES,
    Metrics,
    MetricsServer,
    country_label,
)
from pipeline.tagging.types import LEVELS

#: The metric families the worker, the dashboard and the alert rules are written against.
EXPECTED_FAMILIES = {
    "brinkwatch_articles_received": "counter",
    "brinkwatch_articles_enriched": "counter",
    "brinkwatch_articles_deadlettered": "counter",
    "brinkwatch_articles_deduplicated": "counter",
    "brinkwatch_alerts": "counter",
    "brinkwatch_escalation_score": "histogram",
    "brinkwatch_country_articles": "counter",
    "brinkwatch_country_escalation_score": "counter",
    "brinkwatch_stage_duration_seconds": "histogram",
    "brinkwatch_end_to_end_latency_seconds": "histogram",
    "brinkwatch_consumer_lag_messages": "gauge",
    "brinkwatch_worker_ready": "gauge",
    "brinkwatch_build": "info",
}

#: Base units a metric name may end with (Prometheus naming: base units, plural).
UNIT_SUFFIXES = ("_seconds", "_messages", "_bytes", "_score", "_ratio")


@pytest.fixture
def metrics() -> Metrics:
    """A Metrics on a fresh registry, without the process collectors."""
    return Metrics(CollectorRegistry(), process_collectors=False)


@pytest.fixture
def served(metrics: Metrics) -> Iterator[tuple[MetricsServer, dict[str, bool]]]:
    """A started MetricsServer on an ephemeral port whose readiness a test can flip."""
    state = {"ready": True}
    server = MetricsServer(metrics, host="127.0.0.1", port=0, ready=lambda: state["ready"])
    server.start()
    try:
        yield server, state
    finally:
        server.close()


def _get(url: str, accept: str | None = None) -> tuple[int, str, str]:
    """GET ``url``; return (status, content type, body) even for an error status."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode()


def test_every_expected_family_is_registered_with_its_type(metrics: Metrics) -> None:
    """The registry holds exactly the documented families, each with its documented type."""
    families = {f.name: f.type for f in metrics.registry.collect()}
    assert families == EXPECTED_FAMILIES


def test_naming_conventions(metrics: Metrics) -> None:
    """Prefix, snake case, ``_total`` on counters only, and a unit on timings and gauges."""
    metrics.set_lag("articles", 0, 3)
    metrics.set_build_info(version="1")
    metrics.observe_article(["US"], 10.0)
    for family in metrics.registry.collect():
        assert re.fullmatch(r"brinkwatch_[a-z0-9_]+", family.name), family.name
        assert family.documentation.strip(), f"{family.name} has no help text"
        assert "milli" not in family.name and not family.name.endswith("_ms"), family.name
        sample_names = {s.name for s in family.samples}
        if family.type == "counter":
            assert f"{family.name}_total" in sample_names, family.name
        else:
            assert not any(n.endswith("_total") for n in sample_names), family.name
        if family.type == "histogram":
            assert family.name.endswith(UNIT_SUFFIXES), family.name
            if "duration" in family.name or "latency" in family.name:
                assert family.name.endswith("_seconds"), family.name
        if family.type == "gauge" and family.name != "brinkwatch_worker_ready":
            assert family.name.endswith(UNIT_SUFFIXES), family.name
        if family.type == "info":
            assert sample_names == {f"{family.name}_info"}, sample_names


def test_bounded_label_sets_exist_from_the_start(metrics: Metrics) -> None:
    """Every reason, kind x level and stage series exists (at zero) before anything happens."""
    get = metrics.registry.get_sample_value
    for reason in DEADLETTER_REASONS:
        assert get("brinkwatch_articles_deadlettered_total", {"reason": reason}) == 0.0
    for kind in ALERT_KINDS:
        for level in LEVELS:
            assert get("brinkwatch_alerts_total", {"kind": kind, "level": level}) == 0.0
    for stage in STAGES:
        assert get("brinkwatch_stage_duration_seconds_count", {"stage": stage}) == 0.0
    assert get("brinkwatch_articles_received_total") == 0.0
    assert get("brinkwatch_end_to_end_latency_seconds_count") == 0.0


def test_counters_keep_the_received_invariant(metrics: Metrics) -> None:
    """Counting each outcome keeps received = enriched + deadlettered + deduplicated."""
    get = metrics.registry.get_sample_value
    metrics.articles_received.inc(5)
    metrics.articles_enriched.inc(2)
    metrics.articles_deadlettered.labels(reason="not_json").inc()
    metrics.articles_deadlettered.labels(reason="schema").inc()
    metrics.articles_deduplicated.inc()
    deadlettered = sum(
        get("brinkwatch_articles_deadlettered_total", {"reason": r}) or 0.0
        for r in DEADLETTER_REASONS
    )
    assert get("brinkwatch_articles_received_total") == 5.0
    assert (
        get("brinkwatch_articles_enriched_total")
        + deadlettered
        + get("brinkwatch_articles_deduplicated_total")
        == 5.0
    )


def test_observe_article_counts_each_country_once_and_sums_scores(metrics: Metrics) -> None:
    """Duplicate and lower-case codes collapse; the score lands in the histogram and the sums."""
    get = metrics.registry.get_sample_value
    metrics.observe_article(["US", "us", "FR"], 42.0)
    metrics.observe_article(["US"], 7.5)
    assert get("brinkwatch_country_articles_total", {"country": "US"}) == 2.0
    assert get("brinkwatch_country_articles_total", {"country": "FR"}) == 1.0
    assert get("brinkwatch_country_escalation_score_total", {"country": "US"}) == 49.5
    assert get("brinkwatch_country_escalation_score_total", {"country": "FR"}) == 42.0
    assert get("brinkwatch_escalation_score_count") == 2.0
    assert get("brinkwatch_escalation_score_sum") == 49.5
    assert get("brinkwatch_escalation_score_bucket", {"le": "5.0"}) == 0.0
    assert get("brinkwatch_escalation_score_bucket", {"le": "10.0"}) == 1.0
    assert get("brinkwatch_escalation_score_bucket", {"le": "50.0"}) == 2.0


def test_observe_article_without_countries_still_records_the_score(metrics: Metrics) -> None:
    """An article that names no country feeds the score histogram and no country series."""
    metrics.observe_article([], 0.0)
    assert metrics.registry.get_sample_value("brinkwatch_escalation_score_count") == 1.0
    countries = [
        s
        for f in metrics.registry.collect()
        if f.name == "brinkwatch_country_articles"
        for s in f.samples
    ]
    assert countries == []


def test_country_labels_are_bounded_to_iso_alpha2(metrics: Metrics) -> None:
    """Anything that is not an ISO 3166-1 alpha-2 code is counted under ``other``."""
    assert country_label("de") == "DE"
    assert country_label("XK") == "other"  # Kosovo: user-assigned, not in ISO 3166-1
    assert country_label("USA") == "other"
    assert country_label("") == "other"
    metrics.observe_article(["ZZ", "<script>", "Q1"], 10.0)
    labels = {
        s.labels["country"]
        for f in metrics.registry.collect()
        if f.name == "brinkwatch_country_articles"
        for s in f.samples
    }
    assert labels == {"other"}
    get = metrics.registry.get_sample_value
    assert get("brinkwatch_country_articles_total", {"country": "other"}) == 1.0


@pytest.mark.parametrize("score", [-1.0, float("nan"), float("inf")])
def test_observe_article_rejects_scores_a_counter_cannot_hold(
    metrics: Metrics, score: float
) -> None:
    """Negative or non-finite scores raise instead of corrupting the counters."""
    with pytest.raises(ValueError, match="escalation score"):
        metrics.observe_article(["US"], score)
    assert metrics.registry.get_sample_value("brinkwatch_escalation_score_count") == 0.0


def test_timings_fall_into_the_documented_buckets(metrics: Metrics) -> None:
    """Stage buckets start at 50 µs and end at 5 s; end-to-end buckets span 1 ms to 60 s."""
    get = metrics.registry.get_sample_value
    metrics.stage_seconds.labels(stage="tag").observe(0.00004)
    metrics.stage_seconds.labels(stage="tag").observe(3.0)
    metrics.end_to_end_latency.observe(45.0)
    assert get("brinkwatch_stage_duration_seconds_bucket", {"stage": "tag", "le": "5e-05"}) == 1.0
    assert get("brinkwatch_stage_duration_seconds_bucket", {"stage": "tag", "le": "2.5"}) == 1.0
    assert get("brinkwatch_stage_duration_seconds_bucket", {"stage": "tag", "le": "5.0"}) == 2.0
    assert get("brinkwatch_end_to_end_latency_seconds_bucket", {"le": "0.001"}) == 0.0
    assert get("brinkwatch_end_to_end_latency_seconds_bucket", {"le": "30.0"}) == 0.0
    assert get("brinkwatch_end_to_end_latency_seconds_bucket", {"le": "60.0"}) == 1.0


def test_lag_ready_and_build_info(metrics: Metrics) -> None:
    """set_lag labels by topic and partition (clamped at 0); build info carries the versions."""
    get = metrics.registry.get_sample_value
    metrics.set_lag("articles", 2, 17)
    metrics.set_lag("articles", 3, -4)
    metrics.ready.set(1)
    metrics.set_build_info(version="0.1.0", countries_data="2024.1", entities_data="3")
    lag = "brinkwatch_consumer_lag_messages"
    assert get(lag, {"topic": "articles", "partition": "2"}) == 17.0
    assert get(lag, {"topic": "articles", "partition": "3"}) == 0.0
    assert get("brinkwatch_worker_ready") == 1.0
    info = {"version": "0.1.0", "countries_data": "2024.1", "entities_data": "3"}
    assert get("brinkwatch_build_info", info) == 1.0


def test_registries_are_isolated() -> None:
    """Two Metrics objects never share a series (each test and worker gets its own)."""
    first = Metrics(process_collectors=False)
    second = Metrics(process_collectors=False)
    first.articles_received.inc()
    assert first.registry is not second.registry
    assert second.registry.get_sample_value("brinkwatch_articles_received_total") == 0.0


def test_process_collectors_are_optional() -> None:
    """process_collectors=True adds the process/platform/GC families, False leaves them out."""
    with_them = {f.name for f in Metrics(CollectorRegistry()).registry.collect()}
    without = {f.name for f in Metrics(process_collectors=False).registry.collect()}
    assert "python_info" in with_them
    assert "python_gc_objects_collected" in with_them
    assert not {n for n in without if not n.startswith("brinkwatch_")}
    assert without < with_them


def test_server_serves_metrics_as_prometheus_text(
    served: tuple[MetricsServer, dict[str, bool]], metrics: Metrics
) -> None:
    """GET /metrics returns the text exposition that Prometheus's own parser reads back."""
    server, _ = served
    assert server.port > 0
    metrics.articles_received.inc(3)
    status, content_type, body = _get(f"http://127.0.0.1:{server.port}/metrics")
    assert status == 200
    assert content_type.startswith("text/plain")
    values = {s.name: s.value for f in text_string_to_metric_families(body) for s in f.samples}
    assert values["brinkwatch_articles_received_total"] == 3.0


def test_server_speaks_openmetrics_when_asked(
    served: tuple[MetricsServer, dict[str, bool]],
) -> None:
    """An OpenMetrics Accept header gets the OpenMetrics format, ending with # EOF."""
    server, _ = served
    status, content_type, body = _get(
        f"http://127.0.0.1:{server.port}/metrics", accept="application/openmetrics-text"
    )
    assert status == 200
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith("# EOF")


def test_server_health_and_readiness(served: tuple[MetricsServer, dict[str, bool]]) -> None:
    """/healthz is 200 always; /readyz follows the ready callable (200, then 503)."""
    server, state = served
    base = f"http://127.0.0.1:{server.port}"
    assert _get(f"{base}/healthz")[::2] == (200, "ok\n")
    assert _get(f"{base}/readyz")[0] == 200
    state["ready"] = False
    assert _get(f"{base}/readyz")[0] == 503
    assert _get(f"{base}/healthz")[0] == 200
    assert _get(f"{base}/nope")[0] == 404


def test_readiness_callable_that_raises_means_not_ready(metrics: Metrics) -> None:
    """A ready() that raises answers 503 instead of killing the request thread."""

    def broken() -> bool:
        raise RuntimeError("consumer gone")

    with MetricsServer(metrics, host="127.0.0.1", port=0, ready=broken) as server:
        assert _get(f"http://127.0.0.1:{server.port}/readyz")[0] == 503


def test_close_frees_the_port_and_is_idempotent(metrics: Metrics) -> None:
    """After close() the port is free to bind again, and a second close() is harmless."""
    server = MetricsServer(metrics, host="127.0.0.1", port=0)
    server.start()
    port = server.port
    with pytest.raises(RuntimeError):
        server.start()
    server.close()
    server.close()
    again = MetricsServer(metrics, host="127.0.0.1", port=port)
    again.start()
    try:
        assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    finally:
        again.close()

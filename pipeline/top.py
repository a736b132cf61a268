"""``brinkwatch top``: a live terminal view of a running pipeline.

It polls the workers' ``/metrics`` endpoints (one URL, or several separated by
commas: their samples are summed, as Prometheus would with ``sum()``) and
follows the alerts topic with a group-less Kafka consumer, and redraws with
:class:`rich.live.Live` until Ctrl-C.

The pieces are separate so that each can be tested on its own:

* :func:`parse_metrics` reads the Prometheus text exposition into plain dicts;
* :class:`TopState` is pure data: it turns successive metric snapshots into
  rates, window totals and latency quantiles, and keeps the latest alerts;
* :func:`render` draws one frame of a :class:`TopState`;
* :func:`run` does the I/O: HTTP polling, the Kafka consumer (in a thread, so
  a missing broker never freezes the screen) and the ``Live`` loop.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import pycountry
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pipeline.serde import loads

if TYPE_CHECKING:
    from pipeline.settings import Settings

__all__ = [
    "AlertFeed",
    "AlertRow",
    "LabelKey",
    "Samples",
    "TopState",
    "fetch_metrics",
    "histogram_quantile",
    "merge_samples",
    "parse_metrics",
    "render",
    "run",
]

#: The labels of one sample, sorted by name: hashable, so it can key a dict.
LabelKey = tuple[tuple[str, str], ...]

#: Sample name → label set → value: one scrape of one or more ``/metrics`` endpoints.
Samples = dict[str, dict[LabelKey, float]]

LEVEL_STYLES: Final[dict[str, str]] = {
    "none": "dim",
    "low": "green",
    "elevated": "yellow",
    "high": "bold dark_orange",
    "critical": "bold red",
}


def parse_metrics(text: str) -> Samples:
    """Parse the Prometheus text exposition into ``{sample name: {labels: value}}``.

    Sample names are as exposed (``brinkwatch_articles_received_total``,
    ``..._bucket``, ``..._count``); labels are a sorted tuple of pairs.
    """
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key: LabelKey = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = float(sample.value)
    return samples


def merge_samples(snapshots: Iterable[Samples]) -> Samples:
    """Sum several workers' samples series by series (counters, gauges and buckets all add)."""
    merged: Samples = {}
    for snapshot in snapshots:
        for name, series in snapshot.items():
            target = merged.setdefault(name, {})
            for key, value in series.items():
                target[key] = target.get(key, 0.0) + value
    return merged


def _total(samples: Samples, name: str, **match: str) -> float:
    """Sum the series of ``name`` whose labels include ``match``."""
    wanted = set(match.items())
    return sum(v for k, v in samples.get(name, {}).items() if wanted <= set(k))


def _by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    """Sum the series of ``name`` grouped by the value of ``label``."""
    out: dict[str, float] = {}
    for key, value in samples.get(name, {}).items():
        labels = dict(key)
        if label in labels:
            out[labels[label]] = out.get(labels[label], 0.0) + value
    return out


def _delta(new: Mapping[LabelKey, float], old: Mapping[LabelKey, float]) -> dict[LabelKey, float]:
    """Per-series increase of a counter; a series that went down was reset, so count it anew."""
    out: dict[LabelKey, float] = {}
    for key, value in new.items():
        before = old.get(key, 0.0)
        out[key] = value - before if value >= before else value
    return out


def _delta_samples(new: Samples, old: Samples) -> Samples:
    """Apply :func:`_delta` to every sample name of ``new``."""
    return {name: _delta(series, old.get(name, {})) for name, series in new.items()}


def histogram_quantile(q: float, buckets: Mapping[str, float]) -> float | None:
    """Estimate the ``q`` quantile from cumulative ``{le: count}`` buckets, as PromQL does.

    Linear interpolation inside the bucket that holds the rank; the lowest
    bucket starts at 0; a rank in the ``+Inf`` bucket returns the highest finite
    bound. None when the buckets hold no observation.
    """
    bounds = sorted((float(le), count) for le, count in buckets.items())
    if not bounds or bounds[-1][1] <= 0 or not math.isinf(bounds[-1][0]):
        return None
    rank = q * bounds[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for upper_bound, count in bounds:
        if count >= rank:
            if math.isinf(upper_bound):
                return lower_bound
            in_bucket = count - lower_count
            if in_bucket <= 0:
                return upper_bound
            return lower_bound + (upper_bound - lower_bound) * (rank - lower_count) / in_bucket
        lower_bound, lower_count = upper_bound, count
    return lower_bound


def _buckets(samples: Samples, name: str) -> dict[str, float]:
    """Sum a histogram's ``_bucket`` series by ``le`` (over every other label)."""
    return _by_label(samples, f"{name}_bucket", "le")


@dataclass(slots=True)
class AlertRow:
    """One alert as the view shows it."""

    created_at: str
    kind: str
    level: str
    score: float
    countries: tuple[str, ...]
    headline: str

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> AlertRow:
        """Build a row from a decoded ``brinkwatch.alert/1`` message (missing fields tolerated)."""
        countries = message.get("countries") or []
        spike = message.get("spike") or {}
        headline = str(message.get("headline") or "")
        if message.get("kind") == "spike" and spike:
            headline = (
                f"spike: {spike.get('articles', '?')} articles, mean "
                f"{float(spike.get('mean_score', 0.0)):.1f} vs baseline "
                f"{float(spike.get('baseline_mean', 0.0)):.1f} (z={float(spike.get('z', 0.0)):.1f})"
                + (f" — {headline}" if headline else "")
            )
        return cls(
            created_at=str(message.get("created_at") or ""),
            kind=str(message.get("kind") or "?"),
            level=str(message.get("level") or "none"),
            score=float(message.get("score") or 0.0),
            countries=tuple(str(c) for c in countries),
            headline=headline,
        )


@dataclass(slots=True)
class TopState:
    """Everything one frame shows; updated by :meth:`observe` and :meth:`add_alerts`.

    Rates are per second between the last two snapshots; country totals and
    latency quantiles cover ``window_s`` seconds (the oldest snapshot kept).
    """

    metrics_url: str = ""
    bootstrap_servers: str = ""
    alerts_topic: str = ""
    window_s: float = 300.0
    max_alerts: int = 12
    updated_at: float | None = None
    metrics_error: str | None = None
    kafka_status: str = "connecting"
    received_total: float = 0.0
    enriched_total: float = 0.0
    deadlettered_total: float = 0.0
    deduplicated_total: float = 0.0
    alerts_total: float = 0.0
    in_rate: float = 0.0
    out_rate: float = 0.0
    deadletter_rate: float = 0.0
    dedup_rate: float = 0.0
    alert_rate: float = 0.0
    deadletters: dict[str, float] = field(default_factory=dict)
    alerts_by_level: dict[str, float] = field(default_factory=dict)
    lag: dict[tuple[str, str], float] = field(default_factory=dict)
    workers_ready: float | None = None
    latency_p50: float | None = None
    latency_p99: float | None = None
    tag_p99: float | None = None
    top_countries: list[tuple[str, float, float]] = field(default_factory=list)
    window_covered_s: float = 0.0
    alerts: deque[AlertRow] = field(default_factory=deque)
    history: deque[tuple[float, Samples]] = field(default_factory=deque)

    def observe(self, samples: Samples, now: float) -> None:
        """Take one snapshot of the metrics, taken at ``now`` (Unix time, seconds)."""
        self.metrics_error = None
        self.updated_at = now
        previous = self.history[-1] if self.history else None
        self.history.append((now, samples))
        # Keep the newest snapshot older than the window as the window's start.
        while len(self.history) > 2 and self.history[1][0] <= now - self.window_s:
            self.history.popleft()

        self.received_total = _total(samples, "brinkwatch_articles_received_total")
        self.enriched_total = _total(samples, "brinkwatch_articles_enriched_total")
        self.deadlettered_total = _total(samples, "brinkwatch_articles_deadlettered_total")
        self.deduplicated_total = _total(samples, "brinkwatch_articles_deduplicated_total")
        self.alerts_total = _total(samples, "brinkwatch_alerts_total")
        self.deadletters = _by_label(samples, "brinkwatch_articles_deadlettered_total", "reason")
        self.alerts_by_level = _by_label(samples, "brinkwatch_alerts_total", "level")
        self.lag = {
            (labels.get("topic", "?"), labels.get("partition", "?")): value
            for labels, value in (
                (dict(k), v) for k, v in samples.get("brinkwatch_consumer_lag_messages", {}).items()
            )
        }
        ready = samples.get("brinkwatch_worker_ready")
        self.workers_ready = sum(ready.values()) if ready else None

        if previous is not None and now > previous[0]:
            step = _delta_samples(samples, previous[1])
            dt = now - previous[0]
            self.in_rate = _total(step, "brinkwatch_articles_received_total") / dt
            self.out_rate = _total(step, "brinkwatch_articles_enriched_total") / dt
            self.deadletter_rate = _total(step, "brinkwatch_articles_deadlettered_total") / dt
            self.dedup_rate = _total(step, "brinkwatch_articles_deduplicated_total") / dt
            self.alert_rate = _total(step, "brinkwatch_alerts_total") / dt

        start_t, start = self.history[0]
        self.window_covered_s = now - start_t
        window = _delta_samples(samples, start)  # empty until a second snapshot
        escalation = _by_label(window, "brinkwatch_country_escalation_score_total", "country")
        articles = _by_label(window, "brinkwatch_country_articles_total", "country")
        ranked = sorted(
            ((c, s, articles.get(c, 0.0)) for c, s in escalation.items() if s > 0),
            key=lambda row: (-row[1], row[0]),
        )
        self.top_countries = ranked[:10]
        self.latency_p50 = histogram_quantile(
            0.5, _buckets(window, "brinkwatch_end_to_end_latency_seconds")
        )
        self.latency_p99 = histogram_quantile(
            0.99, _buckets(window, "brinkwatch_end_to_end_latency_seconds")
        )
        tag = {
            dict(k)["le"]: v
            for k, v in window.get("brinkwatch_stage_duration_seconds_bucket", {}).items()
            if dict(k).get("stage") == "tag"
        }
        self.tag_p99 = histogram_quantile(0.99, tag)

    def metrics_failed(self, error: str) -> None:
        """Record that the last poll of the metrics endpoint failed."""
        self.metrics_error = error

    def add_alerts(self, rows: Iterable[AlertRow]) -> None:
        """Add alerts, keeping the ``max_alerts`` newest by creation time."""
        merged = sorted([*self.alerts, *rows], key=lambda row: row.created_at)
        self.alerts = deque(merged[-self.max_alerts :])


def _fmt_rate(value: float) -> str:
    return f"{value:,.1f}/s"


def _fmt_seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 0.1:
        return f"{value * 1e3:.1f} ms"
    if value < 1:
        return f"{value * 1e3:.0f} ms"
    return f"{value:.2f} s"


def _country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "name", code)) if country is not None else code


def _short_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%H:%M:%S")
    except ValueError:
        return iso[:8]


def _throughput(state: TopState) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, min_width=12)
    table.add_column(justify="right", no_wrap=True, min_width=8)
    table.add_column(justify="right", style="dim", no_wrap=True, overflow="ellipsis")
    table.add_row("in", _fmt_rate(state.in_rate), f"{state.received_total:,.0f} total")
    table.add_row("enriched", _fmt_rate(state.out_rate), f"{state.enriched_total:,.0f} total")
    table.add_row(
        "dead letters", _fmt_rate(state.deadletter_rate), f"{state.deadlettered_total:,.0f} total"
    )
    table.add_row(
        "duplicates", _fmt_rate(state.dedup_rate), f"{state.deduplicated_total:,.0f} total"
    )
    table.add_row("alerts", _fmt_rate(state.alert_rate), f"{state.alerts_total:,.0f} total")
    table.add_row("latency p50", _fmt_seconds(state.latency_p50), "end to end")
    table.add_row("latency p99", _fmt_seconds(state.latency_p99), "end to end")
    table.add_row("tag p99", _fmt_seconds(state.tag_p99), "tag stage")
    ready = "—" if state.workers_ready is None else f"{state.workers_ready:.0f}"
    table.add_row("ready", ready, "workers")
    return Panel(table, title="throughput", border_style="cyan")


def _lag_and_deadletters(state: TopState) -> Panel:
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True)
    table.add_column("topic/partition", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("lag", justify="right", no_wrap=True, min_width=7)
    lag = sorted(state.lag.items(), key=lambda item: (-item[1], item[0]))
    for (topic, partition), value in lag[:6]:
        table.add_row(f"{topic}/{partition}", f"{value:,.0f}")
    if len(lag) > 6:
        table.add_row(f"… {len(lag) - 6} more", "")
    table.add_row(Text("total", style="bold"), Text(f"{sum(state.lag.values()):,.0f}", "bold"))
    reasons = Table(box=None, padding=(0, 1), show_edge=False)
    reasons.add_column("dead-letter reason", no_wrap=True)
    reasons.add_column("count", justify="right", no_wrap=True)
    for reason, count in sorted(state.deadletters.items(), key=lambda item: (-item[1], item[0])):
        reasons.add_row(reason, f"{count:,.0f}", style=None if count else "dim")
    return Panel(Group(table, Text(""), reasons), title="lag & dead letters", border_style="cyan")


def _countries(state: TopState) -> Panel:
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True)
    table.add_column("country", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("arts", justify="right", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    for code, score, articles in state.top_countries:
        mean = score / articles if articles else 0.0
        table.add_row(
            f"{code} {_country_name(code)}", f"{score:,.0f}", f"{articles:,.0f}", f"{mean:.1f}"
        )
    title = f"top countries, last {state.window_covered_s:.0f}s"
    if not state.top_countries:
        return Panel(Text("no escalation in this window", style="dim"), title=title)
    return Panel(table, title=title, border_style="cyan")


def _alerts(state: TopState) -> Panel:
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True)
    table.add_column("time", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("countries", no_wrap=True)
    table.add_column("headline", ratio=1, no_wrap=True, overflow="ellipsis")
    for row in reversed(state.alerts):
        table.add_row(
            _short_time(row.created_at),
            row.kind,
            Text(row.level, style=LEVEL_STYLES.get(row.level, "")),
            f"{row.score:.0f}",
            ",".join(row.countries[:4]) + ("…" if len(row.countries) > 4 else ""),
            row.headline,
        )
    levels = "  ".join(
        f"{level} {count:,.0f}" for level, count in state.alerts_by_level.items() if count
    )
    title = f"latest alerts on {state.alerts_topic}" + (f"  ({levels})" if levels else "")
    if not state.alerts:
        return Panel(Text("no alerts yet", style="dim"), title=title, border_style="magenta")
    return Panel(table, title=title, border_style="magenta")


def render(state: TopState) -> RenderableType:
    """Draw one frame of ``state``: header, throughput, lag, countries and alerts."""
    header = Text()
    header.append("brinkwatch top", style="bold")
    header.append(f"  metrics {state.metrics_url}  kafka {state.bootstrap_servers}")
    if state.updated_at is not None:
        updated = datetime.fromtimestamp(state.updated_at, UTC).strftime("%H:%M:%S")
        header.append(f"  updated {updated} UTC", style="dim")
    problems = Text()
    if state.metrics_error:
        problems.append(f"metrics: {state.metrics_error}  ", style="bold red")
    if state.kafka_status != "ok":
        style = "yellow" if state.kafka_status == "connecting" else "bold red"
        problems.append(f"alerts: {state.kafka_status}", style=style)
    top = Table.grid(expand=True, padding=(0, 1))
    top.add_column(ratio=1)
    top.add_column(ratio=1)
    top.add_column(ratio=1)
    top.add_row(_throughput(state), _lag_and_deadletters(state), _countries(state))
    parts: list[RenderableType] = [header]
    if problems:
        parts.append(problems)
    parts += [top, _alerts(state)]
    return Group(*parts)


def fetch_metrics(urls: Sequence[str], timeout: float = 2.0) -> Samples:
    """GET every URL's ``/metrics`` text and return the summed samples (raises on any failure)."""
    snapshots = []
    for url in urls:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            snapshots.append(parse_metrics(response.read().decode("utf-8")))
    return merge_samples(snapshots)


#: How long the alert feed's consumer may wait for its first broker (ms).
_BOOTSTRAP_TIMEOUT_MS: Final = 5_000


def _listening(servers: Sequence[str], timeout: float = 0.5) -> bool:
    """Return True if one of *servers* (``host:port``) accepts a TCP connection."""
    from pipeline.broker import wait_for_port

    for server in servers:
        host, _, port = server.strip().rpartition(":")
        if port.isdigit() and wait_for_port(host.strip("[]") or "localhost", int(port), timeout):
            return True
    return False


class AlertFeed:
    """Follow the alerts topic from a daemon thread with a group-less ``KafkaConsumer``.

    It starts ``backlog`` messages before the end of each partition (so the view
    is not empty at start), then follows new alerts. Connection errors are
    retried and reported through :attr:`status`; decoded rows wait in a queue
    until :meth:`drain`.

    A consumer is made only once a bootstrap server accepts a TCP connection:
    kafka-python (3.0) starts its network thread before it bootstraps, and a
    constructor that fails to bootstrap leaves that thread running, one more on
    every retry while the broker is down. Its bootstrap wait is short
    (:data:`_BOOTSTRAP_TIMEOUT_MS`), so that :meth:`stop` is honoured soon.
    """

    def __init__(self, bootstrap_servers: str, topic: str, *, backlog: int = 10) -> None:
        """Prepare a feed of ``topic`` on ``bootstrap_servers``; call :meth:`start`."""
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.backlog = backlog
        self.status = "connecting"
        self._rows: deque[AlertRow] = deque(maxlen=1000)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="brinkwatch-top-alerts", daemon=True)

    def start(self) -> AlertFeed:
        """Start the consumer thread."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 1.0) -> None:
        """Ask the thread to stop and wait up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def drain(self) -> list[AlertRow]:
        """Return (and forget) the alerts received since the last call."""
        rows = []
        while self._rows:
            rows.append(self._rows.popleft())
        return rows

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except Exception as exc:  # the view keeps running; say why and retry
                self.status = f"{type(exc).__name__}: {exc}"[:160]
                self._stop.wait(3.0)

    def _follow(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        servers = self.bootstrap_servers.split(",")
        if not _listening(servers):
            raise ConnectionError(f"no broker listening at {self.bootstrap_servers}")
        consumer = KafkaConsumer(
            bootstrap_servers=servers,
            group_id=None,
            enable_auto_commit=False,
            client_id="brinkwatch-top",
            request_timeout_ms=10_000,
            bootstrap_timeout_ms=_BOOTSTRAP_TIMEOUT_MS,
        )
        try:
            partitions: set[int] = set()
            while not partitions and not self._stop.is_set():
                partitions = set(consumer.partitions_for_topic(self.topic) or ())
                if not partitions:
                    self.status = f"waiting for topic {self.topic}"
                    self._stop.wait(2.0)
            if self._stop.is_set():
                return
            tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            ends = consumer.end_offsets(tps)
            begins = consumer.beginning_offsets(tps)
            for tp in tps:
                consumer.seek(tp, max(begins[tp], ends[tp] - self.backlog))
            self.status = "ok"
            while not self._stop.is_set():
                for records in consumer.poll(timeout_ms=500).values():
                    for record in records:
                        self._rows.append(self._decode(record.value))
        finally:
            consumer.close()

    @staticmethod
    def _decode(value: bytes | None) -> AlertRow:
        try:
            message = loads(value or b"")
        except Exception:
            message = None
        if not isinstance(message, dict):
            return AlertRow("", "?", "none", 0.0, (), "(undecodable alert)")
        return AlertRow.from_message(message)


def run(
    settings: Settings,
    metrics_url: str | None = None,
    refresh_s: float = 1.0,
    *,
    window_s: float = 300.0,
    console: Console | None = None,
    max_frames: int | None = None,
    fetch: Callable[[Sequence[str]], Samples] = fetch_metrics,
) -> int:
    """Show the live view until Ctrl-C (or ``max_frames`` frames); return the exit code 0.

    ``metrics_url`` is one ``/metrics`` URL or several separated by commas
    (default: ``http://localhost:<settings.metrics_port>/metrics``). Alerts are
    read from ``settings.topic_alerts`` on ``settings.bootstrap_servers``.
    """
    url_text = metrics_url or f"http://localhost:{settings.metrics_port}/metrics"
    urls = [u.strip() for u in url_text.split(",") if u.strip()]
    state = TopState(
        metrics_url=url_text,
        bootstrap_servers=settings.bootstrap_servers,
        alerts_topic=settings.topic_alerts,
        window_s=window_s,
    )
    from rich.live import Live

    # kafka-python logs every failed connection at ERROR: that would scribble over the screen.
    kafka_logger = logging.getLogger("kafka")
    kafka_level = kafka_logger.level
    kafka_logger.setLevel(logging.CRITICAL)
    feed = AlertFeed(settings.bootstrap_servers, settings.topic_alerts).start()
    frames = 0
    try:
        with Live(render(state), console=console, auto_refresh=False, transient=False) as live:
            while max_frames is None or frames < max_frames:
                started = time.monotonic()
                try:
                    state.observe(fetch(urls), time.time())
                except Exception as exc:
                    state.metrics_failed(f"{type(exc).__name__}: {exc}"[:160])
                state.kafka_status = feed.status
                state.add_alerts(feed.drain())
                live.update(render(state), refresh=True)
                frames += 1
                if max_frames is not None and frames >= max_frames:
                    break
                time.sleep(max(0.0, refresh_s - (time.monotonic() - started)))
    except KeyboardInterrupt:
        pass
    finally:
        feed.stop()
        kafka_logger.setLevel(kafka_level)
    return 0

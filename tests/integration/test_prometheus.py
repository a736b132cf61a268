"""The monitoring proof: a real Prometheus scrapes a real worker, and every panel and rule runs.

The embedded broker and a worker come from the integration fixtures. A real
``prometheus`` (Debian package ``prometheus``) scrapes the worker's metrics port
every second with the repository's alert rules loaded; the seeds and a few
hundred generated articles (plus bad and duplicate messages) go through the
pipeline; then every PromQL expression of the Grafana dashboard, with Grafana's
variables substituted, is run through Prometheus's HTTP API and must return
data, and every alert rule expression must parse and execute.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.broker import free_port, stop_process, wait_for_port
from pipeline.cli import main
from pipeline.ingest import IngestServer
from pipeline.runner import WorkerProcess
from pipeline.settings import Settings
from pipeline.top import parse_metrics
from tests.integration.conftest import article_bytes, produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "monitoring" / "grafana" / "dashboards" / "brinkwatch.json"
RULES = ROOT / "monitoring" / "prometheus" / "rules.yml"
PROMETHEUS = shutil.which("prometheus")

#: Grafana's variables, replaced with windows that hold data in a test of a minute.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1s",
    "$__range": "5m",
}

COUNTRIES = (
    "Ukraine", "Russia", "France", "Germany", "China", "Japan", "India", "Pakistan",
    "Israel", "Iran", "Brazil", "Kenya", "Nigeria", "Mexico", "Canada", "Turkey",
)  # fmt: skip
TEMPLATES = (
    ("{a} and {b} trade artillery fire across the border",
     "Troops from {a} shelled positions held by {b} overnight. Officials in {b} said "
     "several soldiers were killed and vowed to retaliate."),
    ("{a} recalls its ambassador from {b} after missile test",
     "The government of {a} recalled its ambassador and threatened sanctions after {b} "
     "launched a ballistic missile."),
    ("Leaders of {a} and {b} sign a trade agreement",
     "The presidents of {a} and {b} met in Geneva and signed an agreement to cut tariffs. "
     "Both praised the talks."),
    ("Protests in {a} turn violent",
     "Police in {a} fired tear gas at protesters in the capital. Dozens were arrested, "
     "according to rights groups."),
    ("{a} denies plans to invade {b}",
     "Officials in {a} said there were no plans to attack {b} and called the reports "
     "propaganda."),
)  # fmt: skip

StartWorker = Callable[..., WorkerProcess]


def generated_articles(count: int, seed: int = 7) -> list[tuple[bytes, bytes]]:
    """``count`` varied, deterministic articles naming two countries each."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        a, b = rng.sample(COUNTRIES, 2)
        title, body = rng.choice(TEMPLATES)
        key = f"gen-{i}".encode()
        value = article_bytes(
            id=f"gen-{i}",
            title=title.format(a=a, b=b),
            body=body.format(a=a, b=b),
            source="brinkwatch-test",
        )
        out.append((key, value))
    return out


def _get_json(url: str, timeout: float = 10.0) -> Any:
    """GET a JSON document (an HTTP error's JSON body is returned too)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        return json.loads(err.read())


class Prometheus:
    """A real Prometheus server on a free local port with its own storage folder."""

    def __init__(self, tmp: Path, scrape_target: str, ingest_target: str | None = None) -> None:
        """Write a config that scrapes the worker (and an ingestion server) every second; start."""
        assert PROMETHEUS is not None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "evaluation_interval": "1s",
            },
            "rule_files": [str(RULES)],
            "scrape_configs": [
                {"job_name": "brinkwatch-worker", "static_configs": [{"targets": [scrape_target]}]}
            ],
        }
        if ingest_target is not None:
            config["scrape_configs"].append(
                {"job_name": "brinkwatch-ingest", "static_configs": [{"targets": [ingest_target]}]}
            )
        config_path = tmp / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log_path = tmp / "prometheus.log"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    PROMETHEUS,
                    f"--config.file={config_path}",
                    f"--storage.tsdb.path={tmp / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        if not (wait_for_port("127.0.0.1", self.port, 30) and self._wait_ready(30)):
            self.stop()
            raise AssertionError(f"prometheus did not become ready:\n{self.log()}")

    def _wait_ready(self, timeout: float) -> bool:
        """Wait until /-/ready answers 200 (the TSDB is open and queries are served)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def log(self) -> str:
        """The server's log so far."""
        return self.log_path.read_text(errors="replace")[-4000:]

    def query(self, expr: str) -> dict[str, Any]:
        """Run an instant query; return the API's whole answer."""
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        answer: dict[str, Any] = _get_json(url)
        return answer

    def result(self, expr: str) -> list[dict[str, Any]]:
        """Run an instant query that must succeed; return its result list."""
        answer = self.query(expr)
        assert answer.get("status") == "success", f"{expr}: {answer}"
        data = answer["data"]
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    def wait_for(self, expr: str, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Wait until ``expr`` returns a non-empty result."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.result(expr)
            if result:
                return result
            time.sleep(0.5)
        raise AssertionError(f"{expr} stayed empty for {timeout}s; prometheus log:\n{self.log()}")

    def stop(self) -> None:
        """Stop the server by pid: SIGTERM, then SIGKILL after 10 s."""
        stop_process(self.proc, timeout=10.0)


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[Callable[..., Prometheus]]:
    """Start Prometheus servers scraping a target; stop them after the test."""
    if PROMETHEUS is None:
        pytest.skip("the prometheus binary is not installed (Debian: apt-get install prometheus)")
    started: list[Prometheus] = []

    def start(target: str, ingest_target: str | None = None) -> Prometheus:
        folder = tmp_path / f"prometheus-{len(started)}"
        folder.mkdir()
        server = Prometheus(folder, target, ingest_target)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _worker_samples(settings: Settings) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """The worker's own /metrics, parsed."""
    url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        return parse_metrics(response.read().decode())


def _value(sample: dict[str, Any]) -> float:
    """The float value of an instant-vector sample."""
    return float(sample["value"][1])


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL with Grafana's variables substituted) of every dashboard target."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            assert "$" not in expr, f"unsubstituted variable in {expr}"
            out.append((panel["title"], expr))
    return out


def rule_queries() -> list[tuple[str, str]]:
    """(alert name, expr) of every alert rule."""
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [(r["alert"], r["expr"]) for g in rules["groups"] for r in g["rules"]]


def test_every_panel_and_rule_runs_on_real_data(
    settings: Settings, start_worker: StartWorker, prometheus_for: Callable[..., Prometheus]
) -> None:
    """Seeds, generated and HTTP-posted articles through a worker; every panel returns data."""
    worker = start_worker(settings)
    ingest = IngestServer(settings, host="127.0.0.1", port=0)
    ingest.start()
    try:
        prom = prometheus_for(f"127.0.0.1:{settings.metrics_port}", f"127.0.0.1:{ingest.port}")
        prom.wait_for('up{job="brinkwatch-worker"} == 1')
        prom.wait_for('up{job="brinkwatch-ingest"} == 1')
        _check_every_panel_and_rule(settings, worker, prom, ingest)
    finally:
        ingest.close()


def _check_every_panel_and_rule(
    settings: Settings, worker: WorkerProcess, prom: Prometheus, ingest: IngestServer
) -> None:
    # Two articles over HTTP (and a bad line, answered 422, never on Kafka).
    posted = b"\n".join([
        article_bytes(id="http-1", title="Troops mass near Kharkiv", body="Russia massed troops."),
        b"{not json",
        article_bytes(id="http-2", title="Talks in Doha", body="Qatar hosted talks."),
    ])
    request = urllib.request.Request(
        f"http://127.0.0.1:{ingest.port}/articles", data=posted, method="POST",
        headers={"Content-Type": "application/x-ndjson"},
    )
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("a body with a bad line must be answered 422")
    except urllib.error.HTTPError as err:
        assert err.code == 422, err.read()

    # The seeds through the CLI, then generated articles in batches a few scrapes apart,
    # plus messages that must be dead-lettered and re-sent duplicates.
    assert main(["feed", str(ROOT / "seeds"), "-b", settings.bootstrap_servers,
                 "--topic", settings.topic_articles]) == 0  # fmt: skip
    seeds = len(list((ROOT / "seeds").iterdir()))
    articles = generated_articles(300)
    for start in range(0, len(articles), 100):
        produce(settings, articles[start : start + 100])
        time.sleep(2.0)
    bad: list[tuple[bytes | None, bytes | None]] = [
        (b"bad-1", b"{not json"),
        (b"bad-2", b"\xff\xfe"),
        (b"bad-3", b""),
    ]
    duplicates: list[tuple[bytes | None, bytes | None]] = list(articles[:5])
    produce(settings, bad + duplicates)
    total = seeds + len(articles) + len(bad) + len(duplicates) + 2  # + the two posted

    deadline = time.monotonic() + 120
    received = 0.0
    while time.monotonic() < deadline:
        received = sum(_worker_samples(settings)["brinkwatch_articles_received_total"].values())
        if received >= total:
            break
        time.sleep(0.5)
    assert received == total, f"worker received {received} of {total}:\n{worker.log_tail(40)}"
    # Let Prometheus take a few more scrapes of the final state, and evaluate the rules.
    time.sleep(4.0)
    prom.wait_for(f"sum(brinkwatch_articles_received_total) >= {total}")

    empty = []
    for title, expr in dashboard_queries():
        result = prom.result(expr)
        if not result:
            empty.append(f"{title}: {expr}")
    assert not empty, "panels without data:\n" + "\n".join(empty)

    # Beyond non-empty: the numbers the panels show are the real ones.
    assert _value(prom.result('sum(up{job="brinkwatch-worker"})')[0]) == 1.0
    assert _value(prom.result("sum(brinkwatch_worker_ready)")[0]) == 1.0
    rate_in = prom.result("sum(rate(brinkwatch_articles_received_total[1m]))")
    assert _value(rate_in[0]) > 0
    accounted = prom.result(
        "sum(brinkwatch_articles_received_total) - sum(brinkwatch_articles_enriched_total)"
        " - sum(brinkwatch_articles_deadlettered_total)"
        " - sum(brinkwatch_articles_deduplicated_total)"
    )
    assert _value(accounted[0]) == 0.0, "received != enriched + dead-lettered + duplicates"
    reasons = {
        s["metric"]["reason"]: _value(s)
        for s in prom.result("sum by (reason) (brinkwatch_articles_deadlettered_total)")
    }
    assert reasons["not_json"] >= 1 and reasons["not_utf8"] >= 1 and reasons["empty"] >= 1
    assert _value(prom.result("sum(brinkwatch_articles_deduplicated_total)")[0]) >= 5
    top = prom.result(
        "topk(10, sum by (country) (increase(brinkwatch_country_escalation_score_total[1h])))"
    )
    assert {s["metric"]["country"] for s in top} & {"UA", "RU", "FR", "DE", "CN", "IN", "IL"}
    assert all(re.fullmatch(r"[A-Z]{2}|other", s["metric"]["country"]) for s in top)
    assert max(_value(s) for s in top) > 0
    for q in ("0.5", "0.99"):
        latency = prom.result(
            f"histogram_quantile({q}, sum by (le) "
            "(rate(brinkwatch_end_to_end_latency_seconds_bucket[1m])))"
        )
        assert math.isfinite(_value(latency[0])) and _value(latency[0]) > 0, q
    build = prom.result("brinkwatch_build_info")
    versions = {k: v for k, v in build[0]["metric"].items() if k != "__name__"}
    assert versions and all(versions.values()), versions

    # Every alert rule's expression parses and executes (empty is fine: the condition is false).
    for name, expr in rule_queries():
        answer = prom.query(expr)
        assert answer.get("status") == "success", f"{name}: {answer}"
    # ...and the server itself loaded and evaluated them without error.
    groups = _get_json(f"{prom.url}/api/v1/rules")["data"]["groups"]
    loaded = {r["name"]: r for g in groups for r in g["rules"]}
    assert set(loaded) == {name for name, _ in rule_queries()}
    for name, rule in loaded.items():
        assert rule["health"] in ("ok", "unknown") and not rule.get("lastError"), (name, rule)
    # With data flowing, the "no articles" and "worker down" conditions are false.
    assert not prom.result("sum(increase(brinkwatch_articles_received_total[15m])) == 0")
    assert not prom.result('up{job="brinkwatch-worker"} == 0')
    ingested = {
        s["metric"]["result"]: _value(s)
        for s in prom.result("sum by (result) (brinkwatch_ingest_records_total)")
    }
    assert ingested == {"accepted": 2.0, "rejected": 1.0}

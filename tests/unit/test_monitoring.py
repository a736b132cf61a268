"""Static checks of the production stack: Prometheus config and rules, Grafana, compose, Dockerfile.

No Docker engine is needed. promtool (Debian package ``prometheus``) checks the
Prometheus files and runs the alert-rule unit tests; those tests skip, saying
why, only where promtool is not installed. Everything else is read with PyYAML
and json and cross-checked: the metrics each panel and rule queries exist in
:class:`pipeline.metrics.Metrics`, ports agree between the worker, the image and
the scrape config, and every BRINKWATCH_* variable is one Settings reads.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.metrics import DEFAULT_PORT, IngestMetrics, Metrics
from pipeline.settings import ENV_VARS, Settings

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
PROMETHEUS_DIR = MONITORING / "prometheus"
GRAFANA_DIR = MONITORING / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "brinkwatch.json"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not installed (Debian: apt-get install --no-install-recommends prometheus)",
)

#: PromQL words that are not metric names.
PROMQL_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right"}
    | {"bool", "offset", "inf", "nan", "atan2"}
)


# -- helpers --------------------------------------------------------------------


def _yaml(path: Path) -> Any:
    """Load one YAML file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def _dashboard() -> dict[str, Any]:
    """The provisioned dashboard."""
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


@cache
def _compose() -> dict[str, Any]:
    """docker-compose.yml, YAML anchors and merge keys resolved."""
    data: dict[str, Any] = _yaml(COMPOSE)
    return data


def _interpolate(value: object) -> str:
    """Resolve compose's ``${NAME:-default}`` / ``${NAME}`` as an empty environment would."""

    def sub(match: re.Match[str]) -> str:
        return match.group(2) or ""

    return re.sub(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}", sub, str(value))


def _env(service: str) -> dict[str, str]:
    """A compose service's environment, interpolated, as strings."""
    env = _compose()["services"][service].get("environment") or {}
    assert isinstance(env, dict), f"{service}: use the mapping form of environment"
    return {str(k): _interpolate(v) for k, v in env.items()}


def _panels() -> list[dict[str, Any]]:
    """Every panel of the dashboard, rows unfolded."""
    out: list[dict[str, Any]] = []
    for panel in _dashboard()["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return [p for p in out if p.get("type") != "row"]


def _exprs() -> list[tuple[str, str]]:
    """(panel title, expr) of every dashboard query."""
    return [(p["title"], t["expr"]) for p in _panels() for t in p.get("targets", [])]


def _rules() -> list[dict[str, Any]]:
    """Every rule of rules.yml."""
    return [
        rule for group in _yaml(PROMETHEUS_DIR / "rules.yml")["groups"] for rule in group["rules"]
    ]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (label matchers, grouping, strings removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word = match.group(0)
        following = text[match.end() :].lstrip()
        if following.startswith("(") or word.lower() in PROMQL_KEYWORDS:
            continue  # a function or aggregation, or an operator keyword
        if text[: match.start()].rstrip().endswith(("$", "$__")):
            continue
        names.add(word)
    return names


@cache
def defined_series() -> frozenset[str]:
    """Every series name Metrics and IngestMetrics expose (with _total, _bucket... suffixes)."""
    metrics = Metrics(process_collectors=False)
    metrics.observe_article(["US"], 1.0)
    metrics.set_lag("t", 0, 1)
    metrics.set_build_info(version="test")
    ingest = IngestMetrics(process_collectors=False)
    ingest.request_seconds.observe(0.01)
    return frozenset(
        s.name for reg in (metrics.registry, ingest.registry) for f in reg.collect()
        for s in f.samples
    )


def _promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    """Run promtool and return its result."""
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


# -- the PromQL name extractor itself ---------------------------------------------


def test_metric_name_extraction() -> None:
    """The extractor finds selectors and skips functions, groupings, matchers and variables."""
    expr = (
        'histogram_quantile(0.99, sum by (le, stage) (rate(foo_bucket{job="x", a=~"b.*"}'
        "[$__rate_interval]))) / on (instance) group_left bar_total + up offset 5m"
    )
    assert metric_names(expr) == {"foo_bucket", "bar_total", "up"}
    assert metric_names("topk(10, sum by (country) (increase(c_total[1h])))") == {"c_total"}
    assert metric_names("absent(up == 1) and vector(1)") == {"up"}


# -- Prometheus -------------------------------------------------------------------


@needs_promtool
def test_promtool_check_config() -> None:
    """prometheus.yml (and the rule file it names) pass `promtool check config`."""
    result = _promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_check_rules() -> None:
    """rules.yml passes `promtool check rules`."""
    result = _promtool("check", "rules", "rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_alert_rules_fire_as_specified() -> None:
    """`promtool test rules` runs rules.test.yml: each alert fires when it should, and only then."""
    result = _promtool("test", "rules", "rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname:\s*(\w+)", (PROMETHEUS_DIR / "rules.test.yml").read_text()))
    assert tested == {rule["alert"] for rule in _rules()}, "every alert needs a unit test"


def test_rules_are_complete_and_documented() -> None:
    """Each alert has for:, a severity, a summary and a description, and queries real metrics."""
    rules = _rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]
        unknown = metric_names(rule["expr"]) - defined_series() - {"up"}
        assert not unknown, f"{rule['alert']} queries unknown metrics {unknown}"
    queried = set().union(*(metric_names(rule["expr"]) for rule in rules))
    for concern in (
        "up",  # worker down
        "brinkwatch_consumer_lag_messages",  # lag growing
        "brinkwatch_articles_deadlettered_total",  # dead-letter rate
        "brinkwatch_articles_received_total",  # no articles
        "brinkwatch_end_to_end_latency_seconds_bucket",  # p99 latency
    ):
        assert concern in queried, concern


def test_scrape_config_finds_every_worker_replica() -> None:
    """The worker job uses DNS A records of a compose service on the worker's metrics port."""
    config = _yaml(PROMETHEUS_DIR / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    worker = jobs["brinkwatch-worker"]
    services = set(_compose()["services"])
    metrics_port = int(_env("worker")["BRINKWATCH_METRICS_PORT"])
    assert metrics_port == DEFAULT_PORT == Settings().metrics_port
    for sd in worker["dns_sd_configs"]:
        assert sd["type"] == "A"
        assert sd["port"] == metrics_port
        assert set(sd["names"]) <= services, sd["names"]
    for static in (sc for job in jobs.values() for sc in job.get("static_configs", [])):
        for target in static["targets"]:
            host = target.split(":")[0]
            assert host in services | {"localhost"}, target
    for rule_file in config["rule_files"]:
        assert (PROMETHEUS_DIR / rule_file).is_file(), rule_file


def test_ingest_service_port_healthcheck_and_scrape_agree() -> None:
    """The ingest service listens, publishes, is health-checked and scraped on one port."""
    services = _compose()["services"]
    ingest = services["ingest"]
    assert ingest["command"] == ["ingest"]
    assert ingest["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    port = int(_env("ingest")["BRINKWATCH_INGEST_PORT"])
    assert port == Settings().ingest_port
    assert f"{port}:{port}" in [str(p) for p in ingest["ports"]]
    assert f"127.0.0.1:{port}/healthz" in " ".join(ingest["healthcheck"]["test"])
    config = _yaml(PROMETHEUS_DIR / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = [t for sc in jobs["brinkwatch-ingest"]["static_configs"] for t in sc["targets"]]
    assert targets == [f"ingest:{port}"]


# -- Grafana ----------------------------------------------------------------------


def test_dashboard_queries_only_defined_metrics() -> None:
    """Every panel has a PromQL expr, and every metric it names is defined (or is `up`)."""
    panels = _panels()
    assert panels
    for panel in panels:
        exprs = [t.get("expr", "") for t in panel.get("targets", [])]
        assert exprs and all(e.strip() for e in exprs), f"panel {panel['title']!r} has no query"
    for title, expr in _exprs():
        names = metric_names(expr)
        assert names, f"{title}: {expr} selects no metric"
        unknown = names - defined_series() - {"up"}
        assert not unknown, f"panel {title!r} queries unknown metrics {unknown}"


def test_dashboard_covers_the_required_views() -> None:
    """Throughput, dead letters by reason, alerts by level, top countries, latency, lag, workers."""
    exprs = " ".join(expr for _, expr in _exprs())
    compact = re.sub(r"\s+", "", exprs)
    assert "rate(brinkwatch_articles_received_total[$__rate_interval])" in compact
    assert "rate(brinkwatch_articles_enriched_total[$__rate_interval])" in compact
    assert "sumby(reason)(rate(brinkwatch_articles_deadlettered_total" in compact
    assert "sumby(level)" in compact and "brinkwatch_alerts_total" in compact
    assert (
        "topk(10,sumby(country)(increase(brinkwatch_country_escalation_score_total[1h])))"
        in compact
    )
    for q in ("0.5", "0.99"):
        assert f"histogram_quantile({q},sumby(le)(rate(brinkwatch_end_to_end_latency" in compact
    assert "brinkwatch_consumer_lag_messages" in compact
    assert 'up{job="brinkwatch-worker"}' in compact


def test_dashboard_is_provisionable_without_clicks() -> None:
    """Fixed dashboard uid; every panel and target uses the provisioned datasource uid."""
    dashboard = _dashboard()
    assert dashboard["uid"] == "brinkwatch" and dashboard["title"]
    datasources = _yaml(GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml")
    (source,) = datasources["datasources"]
    assert source["type"] == "prometheus"
    uid = source["uid"]
    ids = [p["id"] for p in _panels()]
    assert len(ids) == len(set(ids))
    for panel in _panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]
        assert panel.get("description"), f"panel {panel['title']!r} has no description"
    # The datasource URL is the compose Prometheus service on its container port.
    assert source["url"] == "http://prometheus:9090"
    assert "prometheus" in _compose()["services"]


def test_dashboard_layout_fits_and_does_not_overlap() -> None:
    """Panels sit inside Grafana's 24-column grid and no two overlap."""
    cells: set[tuple[int, int]] = set()
    for panel in _panels():
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']!r} overlaps another panel"
                cells.add((x, y))


def test_grafana_provisioning_paths_are_mounted() -> None:
    """The compose mounts hold the provisioning files and the dashboard the provider reads."""
    grafana = _compose()["services"]["grafana"]
    mounts = {}
    for volume in grafana["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source
    provisioning = ROOT / mounts["/etc/grafana/provisioning"]
    assert (provisioning / "datasources" / "prometheus.yml").is_file()
    provider_file = provisioning / "dashboards" / "brinkwatch.yml"
    (provider,) = _yaml(provider_file)["providers"]
    dash_target = provider["options"]["path"]
    assert (ROOT / mounts[dash_target] / "brinkwatch.json").is_file()
    env = _env("grafana")
    home = env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(dash_target + "/")
    assert (ROOT / mounts[dash_target] / Path(home).name).is_file()
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert grafana["ports"] == ["3000:3000"]


# -- docker compose ---------------------------------------------------------------


def _compose_cli() -> list[str] | None:
    """The docker compose CLI if one is installed (the v2 plugin or the v1 docker-compose)."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_file_validates_against_the_compose_schema() -> None:
    """`docker compose config -q` accepts the file, every profile included (no engine needed)."""
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker compose CLI (Debian: apt-get install docker-compose)")
    result = subprocess.run(
        [*cli, "-f", str(COMPOSE), "--profile", "feeder", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_images_are_pinned_or_built() -> None:
    """Every service has an image with an explicit, non-latest tag, or a build section."""
    for name, service in _compose()["services"].items():
        image = service.get("image")
        assert image or service.get("build"), name
        if image:
            repo, _, tag = image.rpartition(":")
            assert repo and tag and "/" not in tag, f"{name}: {image} has no tag"
            assert tag != "latest", f"{name}: {image}"
            if not service.get("build"):
                assert re.search(r"\d+\.\d+", tag), f"{name}: {image} is not a version"


def test_compose_environment_is_what_settings_reads() -> None:
    """Every BRINKWATCH_* variable is in Settings.ENV_VARS, and Settings accepts the values."""
    services = _compose()["services"]
    for name in ("topics", "worker", "feeder"):
        env = _env(name)
        ours = {k: v for k, v in env.items() if k.startswith("BRINKWATCH_")}
        assert ours, name
        assert set(ours) <= ENV_VARS, f"{name}: unknown {set(ours) - ENV_VARS}"
        settings = Settings.from_env(ours)
        assert settings.bootstrap_servers == "kafka:9092"
    text = COMPOSE.read_text(encoding="utf-8")
    mentioned = set(re.findall(r"\bBRINKWATCH_[A-Z0-9_]+", text))
    assert mentioned <= ENV_VARS, mentioned - ENV_VARS
    worker = Settings.from_env(_env("worker"))
    assert worker.partitions >= 3, "partitions bound the workers: leave room to scale"
    assert services["worker"].get("deploy", {}).get("replicas", 1) <= worker.partitions


def test_compose_kafka_is_single_node_kraft() -> None:
    """apache/kafka, broker+controller in one node, no topic auto-creation, volume, healthcheck."""
    kafka = _compose()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = _env("kafka")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["CLUSTER_ID"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    listeners = dict(item.split("://") for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert listeners["PLAINTEXT"] == _env("worker")["BRINKWATCH_BOOTSTRAP_SERVERS"]
    assert any(v.endswith(":" + env["KAFKA_LOG_DIRS"]) for v in kafka["volumes"])
    health = " ".join(kafka["healthcheck"]["test"])
    assert "kafka-broker-api-versions.sh" in health and "localhost:9092" in health


def test_compose_startup_order_and_scaling() -> None:
    """kafka healthy → topics once → workers; workers scale (no container_name, no fixed port)."""
    services = _compose()["services"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["topics"]["command"] == ["topics", "create"]
    assert services["topics"].get("restart") == "no"
    worker = services["worker"]
    assert worker["command"] == ["worker"]
    assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert "container_name" not in worker
    for port in worker.get("ports", []):
        assert ":" not in str(port), f"fixed host port {port} prevents --scale"
    port = _env("worker")["BRINKWATCH_METRICS_PORT"]
    assert f"127.0.0.1:{port}/readyz" in " ".join(worker["healthcheck"]["test"])
    feeder = services["feeder"]
    assert feeder["profiles"] == ["feeder"]
    assert feeder["command"] == ["feed", "/app/seeds"]
    assert "./seeds:/app/seeds:ro" in feeder["volumes"]
    for name in ("kafka", "worker", "prometheus", "grafana"):
        assert services[name].get("healthcheck"), f"{name} has no healthcheck"


def test_compose_bind_mounts_exist_in_the_repo() -> None:
    """Every ./path mounted into a container is in the repository."""
    for name, service in _compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
    prometheus = _compose()["services"]["prometheus"]
    assert "./monitoring/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]


# -- Dockerfile -------------------------------------------------------------------


@dataclasses.dataclass
class Stage:
    """One stage of the Dockerfile: its base image, name and instructions."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]]


def _stages() -> tuple[dict[str, str], list[Stage]]:
    """Parse the Dockerfile into its global ARG defaults and its stages."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        op = op.upper()
        if op == "ARG" and not stages and "=" in rest:
            key, _, value = rest.partition("=")
            args[key.strip()] = value.strip()
        elif op == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base, name, []))
        elif stages:
            stages[-1].instructions.append((op, rest))
    return args, stages


def test_dockerfile_is_multi_stage_with_a_pinned_base() -> None:
    """Every FROM is an exact python:3.11.x-slim-bookworm tag; the builder is separate."""
    _, stages = _stages()
    assert len(stages) >= 2
    for stage in stages:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", stage.base), stage.base
    builder = stages[0]
    runs = " ".join(rest for op, rest in builder.instructions if op == "RUN")
    assert "build-essential" in runs
    assert "pip install -e /app" in runs, "the project is installed editable at /app"


def test_dockerfile_final_stage_is_lean_and_unprivileged() -> None:
    """The final stage: no compilers, a non-root USER, ports 9108 and 8088, the venv, brinkwatch."""
    _, stages = _stages()
    final = stages[-1]
    ops: dict[str, list[str]] = {}
    for op, rest in final.instructions:
        ops.setdefault(op, []).append(rest)
    body = " ".join(rest for _, rest in final.instructions)
    for tool in ("build-essential", "gcc", "g++", "make "):
        assert tool not in body, f"{tool} in the final stage"
    (user,) = ops["USER"]
    assert user.split(":")[0] not in {"root", "0"}
    ingest_port = Settings().ingest_port
    assert ops["EXPOSE"] == [f"{DEFAULT_PORT} {ingest_port}"]  # metrics, HTTP ingestion
    assert ops["ENTRYPOINT"] == ['["brinkwatch"]']
    copies = ops["COPY"]
    assert f"--from={stages[0].name} /opt/venv /opt/venv" in copies
    assert f"--from={stages[0].name} /app /app" in copies  # same path: the editable finder


def test_dockerfile_builder_copies_what_the_code_needs() -> None:
    """pipeline/, schemas/ (found at <repo root>/schemas), seeds/ and setup.py land in /app.

    setup.py compiles the taggers; the builder checks that they are compiled.
    """
    _, stages = _stages()
    builder = stages[0]
    workdirs = [rest for op, rest in builder.instructions if op == "WORKDIR"]
    assert workdirs[-1] == "/app"
    copies = [rest for op, rest in builder.instructions if op == "COPY"]
    for folder in ("pipeline", "schemas", "seeds"):
        assert f"{folder} ./{folder}" in copies, folder
        assert (ROOT / folder).is_dir()
    assert any(c.startswith("pyproject.toml") and " setup.py " in c for c in copies)
    runs = " ".join(rest for op, rest in builder.instructions if op == "RUN")
    assert "build_info()" in runs, "the image fails to build if its taggers are not compiled"


def test_dockerignore_keeps_the_context_small_but_complete() -> None:
    """.dockerignore drops the venv and git history, never what the image copies."""
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv"} <= ignored
    assert not ignored & {"pipeline", "schemas", "seeds", "pyproject.toml", "setup.py", "README.md"}
    assert {"build", "**/*.so"} <= ignored  # the image compiles its own taggers

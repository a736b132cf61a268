"""The benchmark end to end: a small quick run on its own embedded broker."""

from __future__ import annotations

import numbers
import subprocess
from typing import Any

import pytest

from pipeline.bench import TARGETS, render, run_bench

pytestmark = pytest.mark.integration


def _numbers(obj: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every leaf of *obj* with its dotted path."""
    if isinstance(obj, dict):
        out: list[tuple[str, Any]] = []
        for key, value in obj.items():
            out += _numbers(value, f"{path}.{key}" if path else str(key))
        return out
    return [(path, obj)]


def test_quick_bench_shape_and_positive_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_bench(quick) returns every figure, each a positive number, and stops what it started."""
    children: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def tracking_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = real_popen(*args, **kwargs)
        children.append(proc)
        return proc

    monkeypatch.setattr(subprocess, "Popen", tracking_popen)
    result = run_bench(articles=300, size=2_000, quick=True, progress=None)

    for key in ("ceiling_msgs_per_s", "faust_passthrough_msgs_per_s", "pipeline_articles_per_s",
                "pipeline_vs_faust", "pipeline_vs_ceiling", "words_per_s",
                "worker_peak_rss_mb"):
        assert isinstance(result[key], numbers.Real) and result[key] > 0, key
    assert set(result["latency_ms"]) >= {"p50", "p95", "p99"}
    assert result["latency_ms"]["p50"] <= result["latency_ms"]["p95"] <= result["latency_ms"]["p99"]
    stages = result["latency"]["stages"]
    assert list(stages) == ["to_tagged", "to_published", "to_consumer"]
    for part in stages.values():  # each part of a latency lies between its two clock readings
        assert 0 <= part["p50"] <= part["p99"] <= result["latency_ms"]["max"] + 1
    assert stages["to_tagged"]["p50"] > 0  # tagging alone takes time
    assert set(result["tagging_articles_per_s_per_core"]) == {
        "countries", "entities", "escalation", "all"
    }
    assert set(result["scaling"]["by_size"]) == {"1KB", "3KB", "30KB"}
    assert set(result["scaling"]["by_gazetteer"]) == {"scale_1", "scale_2"}
    assert set(result["targets"]) == set(TARGETS)
    for t in result["targets"].values():
        assert set(t) == {"target", "value", "met"} and isinstance(t["met"], bool)
    cfg = result["config"]
    assert cfg["articles"] == 300 and cfg["size"] == 2_000 and cfg["quick"] is True
    assert cfg["cores"] >= 1 and cfg["versions"]["faust-streaming"] != "-"
    assert result["stages"]["pipeline"]["records"] == 300

    figures = ("ceiling_msgs_per_s", "faust_passthrough_msgs_per_s", "pipeline_articles_per_s",
               "pipeline_vs_faust", "pipeline_vs_ceiling", "latency_ms", "latency",
               "tagging_articles_per_s_per_core", "tagging_words_per_s_per_core", "words_per_s",
               "worker_peak_rss_mb",
               "scaling", "stages")
    for path, value in _numbers({k: result[k] for k in figures}):
        assert isinstance(value, numbers.Real) and not isinstance(value, bool), path
        assert value > 0, path

    assert "pipeline (Brinkwatch worker)" in render(result)
    assert children, "the benchmark starts a broker and child processes"
    assert all(proc.poll() is not None for proc in children), "a child process was left running"

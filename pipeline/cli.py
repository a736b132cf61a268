"""The ``brinkwatch`` command. Every command is testable in-process: ``main(argv) -> exit code``.

Exit codes: 0 success; 1 a failure the command reports (bad records, timeout,
broker unreachable); 2 a usage or configuration error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pipeline.errors import BrinkwatchError, ConfigError
from pipeline.settings import Settings

__all__ = ["cli", "main", "run"]

cli = typer.Typer(
    name="brinkwatch",
    help="Streaming news intelligence: country, entity and escalation tagging on Kafka.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
topics_cli = typer.Typer(help="Create and list the project's topics.", no_args_is_help=True)
eval_cli = typer.Typer(help="Score the taggers on a labelled corpus.", no_args_is_help=True)
cli.add_typer(topics_cli, name="topics")
cli.add_typer(eval_cli, name="eval")

BootstrapOpt = Annotated[
    str | None,
    typer.Option("--bootstrap-servers", "-b", help="Overrides BRINKWATCH_BOOTSTRAP_SERVERS."),
]


def _settings(bootstrap_servers: str | None = None) -> Settings:
    import dataclasses

    s = Settings.from_env()
    if bootstrap_servers:
        s = dataclasses.replace(s, bootstrap_servers=bootstrap_servers)
    return s


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _print_json(obj: Any) -> None:
    from pipeline.serde import dumps

    sys.stdout.write(dumps(obj).decode() + "\n")
    sys.stdout.flush()


# -- configuration and topics -------------------------------------------------


@cli.command()
def config(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table.")] = False,
) -> int:
    """Print every setting's effective value, its variable and what it does."""
    s = Settings.from_env()
    if as_json:
        _print_json({name: value for name, value, _ in s.describe()})
        return 0
    if markdown:
        print("| variable | default | meaning |\n|---|---|---|")
        for name, value, doc in s.describe():
            print(f"| `{name}` | `{value}` | {doc} |" if value else f"| `{name}` | | {doc} |")
        return 0
    from rich.table import Table

    table = Table("variable", "value", "meaning", box=None)
    for name, value, doc in s.describe():
        table.add_row(name, value, doc)
    _out().print(table)
    return 0


@topics_cli.command("create")
def topics_create(bootstrap_servers: BootstrapOpt = None) -> int:
    """Create every topic (and table changelog) with the configured partition count."""
    from pipeline.topics import create_topics

    s = _settings(bootstrap_servers)
    for name, state in create_topics(s).items():
        print(f"{state:8} {name} ({s.partitions} partitions)")
    return 0


@topics_cli.command("list")
def topics_list(bootstrap_servers: BootstrapOpt = None) -> int:
    """List the topics on the broker with their partition counts."""
    from pipeline.topics import describe_topics

    for name, parts in sorted(
        describe_topics(_settings(bootstrap_servers).bootstrap_servers).items()
    ):
        print(f"{name}\t{parts}")
    return 0


# -- running ------------------------------------------------------------------


@cli.command()
def worker(bootstrap_servers: BootstrapOpt = None) -> int:
    """Run one Faust worker (topics must exist: `brinkwatch topics create`)."""
    import logging

    from pipeline.app import create_worker

    s = _settings(bootstrap_servers)
    logging.basicConfig(level=s.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    sys.argv = [sys.argv[0], "worker"]  # Faust's worker reads argv; keep ours out of it
    return create_worker(s).run()


@cli.command("run")
def run_cmd(
    seeds: Annotated[list[str] | None, typer.Argument(help="Files or folders to feed.")] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Exit once every article has come out enriched.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="With --once: give up after this many s.")] = 120.0,
) -> int:
    """Start the embedded broker, the topics, a worker and a feed of seeds/; show the output."""
    from pipeline.runner import run_pipeline

    return run_pipeline(
        Settings.from_env(), seeds or ["seeds"], once=once, timeout=timeout, console=_out()
    )


@cli.command()
def broker(
    port: Annotated[int, typer.Option(help="Port (0: a free one).")] = 9092,
) -> int:
    """Run the embedded broker (Tansu) in the foreground until Ctrl-C; data is in memory."""
    import time

    from pipeline.broker import EmbeddedBroker

    with EmbeddedBroker(port or None) as b:
        print(f"embedded broker on {b.bootstrap_servers} (Ctrl-C stops it)", flush=True)
        try:
            while b.proc is not None and b.proc.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


# -- feeding and reading ------------------------------------------------------


@cli.command()
def feed(
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders, http(s) URLs, or - for stdin (JSONL).")
    ],
    bootstrap_servers: BootstrapOpt = None,
    topic: Annotated[str | None, typer.Option(help="Overrides BRINKWATCH_TOPIC_ARTICLES.")] = None,
    follow: Annotated[
        float,
        typer.Option(
            help="Read the paths again every SECONDS and send only new articles "
            "(a live wire's feed URL, a growing folder); 0: read once.",
            metavar="SECONDS",
        ),
    ] = 0.0,
    rounds: Annotated[
        int, typer.Option(help="With --follow: stop after this many reads (0: until Ctrl-C).")
    ] = 0,
) -> int:
    """Publish articles (text, JSON, JSONL, RSS/Atom; files or URLs) keyed by id."""
    import time

    from pipeline.clients import feed_records, make_producer
    from pipeline.sources import Follower, read_articles

    if follow < 0 or rounds < 0:
        raise typer.BadParameter("--follow and --rounds must be >= 0")
    s = _settings(bootstrap_servers)
    target = topic or s.topic_articles
    producer = make_producer(s.bootstrap_servers)
    bad = 0
    try:
        if not follow:
            report = feed_records(producer, target, read_articles(paths))
            for err in report.errors:
                print(f"bad record: {err}", file=sys.stderr)
            print(f"sent {len(report.sent)} article(s) to {target}; {len(report.errors)} bad")
            return 1 if report.errors else 0
        follower = Follower(list(paths))
        done = 0
        while True:
            started = time.monotonic()
            report = feed_records(producer, target, follower.poll())
            for err in report.errors:
                print(f"bad record: {err}", file=sys.stderr)
            bad += len(report.errors)
            print(f"sent {len(report.sent)} new article(s) to {target}; "
                  f"{len(report.errors)} bad", flush=True)
            done += 1
            if rounds and done >= rounds:
                return 1 if bad else 0
            time.sleep(max(0.0, follow - (time.monotonic() - started)))
    finally:
        producer.close()


@cli.command()
def ingest(
    bootstrap_servers: BootstrapOpt = None,
    host: Annotated[str | None, typer.Option(help="Overrides BRINKWATCH_INGEST_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides BRINKWATCH_INGEST_PORT.")] = None,
) -> int:
    """Serve POST /articles (JSON, JSON lines, RSS/Atom, text): each good article to the topic."""
    import signal
    import threading

    from pipeline.ingest import IngestServer

    s = _settings(bootstrap_servers)
    stop = threading.Event()
    server = IngestServer(s, host=host, port=port)
    server.start()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        auth = "a bearer token" if s.ingest_token else "no token"
        print(f"ingesting on http://{server.host}:{server.port}/articles -> "
              f"{s.topic_articles} ({auth}); /metrics, /healthz; Ctrl-C stops", flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
    return 0


@cli.command()
def tail(
    topic: Annotated[str, typer.Argument(help="Topic to read, e.g. news.alerts.")],
    bootstrap_servers: BootstrapOpt = None,
    country: Annotated[
        list[str] | None, typer.Option("--country", "-c", help="Only messages naming this code.")
    ] = None,
    min_level: Annotated[
        str | None, typer.Option(help="Only escalation at this level or above.")
    ] = None,
    from_beginning: Annotated[bool, typer.Option("--from-beginning")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Raw JSON lines.")] = False,
    max_messages: Annotated[int | None, typer.Option("--max", help="Stop after N.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
) -> int:
    """Print a topic's messages as they arrive (readable, or raw JSON with --json)."""
    from pipeline.clients import read_topic
    from pipeline.model import level_at_least
    from pipeline.render import render_message
    from pipeline.serde import dumps
    from pipeline.tagging.types import LEVELS

    if min_level is not None and min_level not in LEVELS:
        raise typer.BadParameter(f"one of {', '.join(LEVELS)}", param_hint="--min-level")
    wanted = {c.upper() for c in country or []}
    console = _out()
    shown = 0
    s = _settings(bootstrap_servers)
    for _t, _k, value in read_topic(
        s.bootstrap_servers, [topic], from_beginning=from_beginning, timeout=timeout
    ):
        if not _matches(value, wanted, min_level, level_at_least):
            continue
        if as_json:
            sys.stdout.write(
                (dumps(value) if not isinstance(value, bytes) else value).decode() + "\n"
            )
            sys.stdout.flush()
        else:
            console.print(render_message(value), end="")
        shown += 1
        if max_messages is not None and shown >= max_messages:
            break
    return 0


def _matches(value: Any, wanted: set[str], min_level: str | None, at_least: Any) -> bool:
    if not isinstance(value, dict):
        return not wanted and min_level is None
    if wanted:
        codes = value.get("countries") or []
        codes = {c["code"] if isinstance(c, dict) else c for c in codes}
        if not wanted & codes:
            return False
    if min_level is not None:
        level = value.get("level") or (value.get("escalation") or {}).get("level")
        if level is None or not at_least(level, min_level):
            return False
    return True


@cli.command()
def tag(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Article files, or - for JSONL on stdin.")
    ] = None,
) -> int:
    """Enrich articles offline (no broker): one enriched event per input, as JSON lines."""
    import time

    from pipeline.enrich import Enricher
    from pipeline.sources import read_articles

    enricher = Enricher(Settings.from_env())
    bad = 0
    for rec in read_articles(paths or ["-"]):
        if rec.error is not None:
            print(f"bad record: {rec.error}", file=sys.stderr)
            bad += 1
            continue
        assert rec.article is not None
        now = time.time()
        _print_json(enricher.enrich(rec.article, now, now=now).event)
    return 1 if bad else 0


@cli.command()
def top(
    bootstrap_servers: BootstrapOpt = None,
    metrics_url: Annotated[
        str | None, typer.Option(help="Worker metrics URL (default: localhost metrics port).")
    ] = None,
    refresh: Annotated[float, typer.Option(help="Seconds between frames.")] = 1.0,
) -> int:
    """A live terminal view: throughput, lag, dead letters, latest alerts, top countries."""
    from pipeline.top import run as run_top

    s = _settings(bootstrap_servers)
    url = metrics_url or f"http://127.0.0.1:{s.metrics_port}/metrics"
    return int(run_top(s, url, refresh))


# -- evaluation ----------------------------------------------------------------

DataOpt = Annotated[Path, typer.Option("--data", help="Labelled corpus, JSON lines.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
LimitOpt = Annotated[int | None, typer.Option(help="Score only the first N records.")]


def _report(result: dict[str, Any], render: Any, as_json: bool) -> int:
    if as_json:
        _print_json(result)
    else:
        print(render(result))
    return 0


@eval_cli.command("countries")
def eval_countries(
    data: DataOpt,
    gold_field: Annotated[str, typer.Option(help="Field with gold alpha-2 codes.")] = "countries",
    exclude: Annotated[
        list[str] | None, typer.Option(help="Leave this code out of gold and tags.")
    ] = None,
    tagger: Annotated[str, typer.Option(help="brinkwatch or geotext (baseline).")] = "brinkwatch",
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Micro/macro F1, focus accuracy and speed of country tagging."""
    from pipeline.evaluation import countries

    result = countries.evaluate(
        data,
        gold_field=gold_field,
        exclude=[e.upper() for e in exclude or []],
        tagger=tagger,
        limit=limit,
    )
    return _report(result, countries.render, as_json)


@eval_cli.command("entities")
def eval_entities(
    data: DataOpt,
    backend: Annotated[str, typer.Option(help="builtin or spacy.")] = "builtin",
    spacy_model: Annotated[str, typer.Option(help="spaCy model name.")] = "en_core_web_sm",
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Exact-span F1 (overall and per type) and speed of entity tagging."""
    from pipeline.evaluation import entities

    result = entities.evaluate(data, backend=backend, spacy_model=spacy_model, limit=limit)
    return _report(result, entities.render, as_json)


@eval_cli.command("escalation")
def eval_escalation(
    data: DataOpt,
    tagger: Annotated[str, typer.Option(help="brinkwatch or keywords (baseline).")] = "brinkwatch",
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
) -> int:
    """Precision/recall/F1 of escalation detection (material and any conflict)."""
    from pipeline.evaluation import escalation

    result = escalation.evaluate(data, tagger=tagger, limit=limit)
    return _report(result, escalation.render, as_json)


# -- benchmark -------------------------------------------------------------------


@cli.command()
def bench(
    articles: Annotated[int, typer.Option(help="Articles for the pipeline runs.")] = 20_000,
    size: Annotated[int, typer.Option(help="Average article size in bytes.")] = 3_000,
    quick: Annotated[bool, typer.Option("--quick", help="A small run (CI): no targets.")] = False,
    as_json: JsonOpt = False,
) -> int:
    """Ceiling, Faust passthrough, pipeline, latency, tagging and RSS, side by side in one run."""
    from pipeline import bench as bench_mod

    result = bench_mod.run_bench(articles=articles, size=size, quick=quick)
    return _report(result, bench_mod.render, as_json)


# -- entry points ----------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the command line *argv* (default: ``sys.argv[1:]``) and return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = cli(args=args, prog_name="brinkwatch", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # usage errors (click's, as vendored by typer)
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            print(f"brinkwatch: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        print(f"brinkwatch: configuration error: {exc}", file=sys.stderr)
        return 2
    except BrinkwatchError as exc:
        print(f"brinkwatch: {exc}", file=sys.stderr)
        return 1
    return rv if isinstance(rv, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())

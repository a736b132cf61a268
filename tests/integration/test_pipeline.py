"""End to end on a real embedded broker: feed → worker → enriched, alerts, dead letters."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from pipeline.cli import main
from pipeline.runner import WorkerProcess
from pipeline.serde import load_schema
from pipeline.settings import Settings
from tests.conftest import SEED
from tests.integration.conftest import article_bytes, collect, collect_keyed, produce

pytestmark = pytest.mark.integration

StartWorker = Callable[..., WorkerProcess]


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name), format_checker=FormatChecker())


def test_seed_article_is_enriched_and_alerted(
    settings: Settings, start_worker: StartWorker, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seed fed with `brinkwatch feed` comes out enriched (schema-valid) and raises an alert."""
    s = dataclasses.replace(settings, alert_countries=("KR", "UA"))
    start_worker(s)
    assert main(["feed", str(SEED), "-b", s.bootstrap_servers, "--topic", s.topic_articles]) == 0
    assert "sent 1 article" in capsys.readouterr().out

    events = collect(s, s.topic_enriched, lambda got: len(got) >= 1)
    assert len(events) == 1
    event = events[0]
    _validator("enriched").validate(event)
    codes = {c["code"] for c in event["countries"]}
    assert {"KR", "RU", "KP", "UA"} <= codes
    assert event["escalation"]["level"] in ("elevated", "high", "critical")

    alerts = collect_keyed(s, s.topic_alerts, lambda got: len(got) >= 1)
    assert len(alerts) == 1
    key, alert = alerts[0]
    _validator("alert").validate(alert)
    assert alert["kind"] == "article"
    assert alert["article_id"] == event["article_id"]
    focus = next(c["code"] for c in event["countries"] if c["focus"])
    assert key == focus.encode()
    assert alert["signals"] and all(sig["sentence"] for sig in alert["signals"])

    # Per-country routing: the alert also lands on the topic of each followed country it names.
    for code in ("KR", "UA"):
        routed = collect(s, s.alert_topic_prefix + code, lambda got: len(got) >= 1, timeout=20)
        assert [a["alert_id"] for a in routed] == [alert["alert_id"]]


def test_bad_input_is_dead_lettered_and_good_input_flows(
    settings: Settings, start_worker: StartWorker
) -> None:
    """Each kind of bad message lands on the dead-letter topic with its reason; good ones flow."""
    s = dataclasses.replace(settings, max_message_bytes=5_000)
    start_worker(s)
    good = [
        article_bytes(id=f"good-{i}", title=f"Talks in Paris {i}", body="France hosted talks.")
        for i in range(3)
    ]
    bad: list[tuple[bytes | None, bytes | None, str]] = [
        (b"b1", b"\xff\xfe not utf-8", "not_utf8"),
        (b"b2", b"{not json", "not_json"),
        (b"b3", b"", "empty"),
        (b"b4", b"x" * 6_000, "too_large"),
        (b"b5", article_bytes(title="no body"), "schema"),
        (b"b6", article_bytes(title="t", body="b", published_at="yesterday"), "schema"),
    ]
    items: list[tuple[bytes | None, bytes | None]] = [(b"g0", good[0])]
    for k, v, _ in bad:
        items.append((k, v))
    items += [(b"g1", good[1]), (b"g2", good[2])]
    produce(s, items)

    dead = collect(s, s.topic_deadletter, lambda got: len(got) >= len(bad))
    assert len(dead) == len(bad)
    validator = _validator("deadletter")
    by_key = {}
    for rec in dead:
        validator.validate(rec)
        by_key[base64.b64decode(rec["key"])] = rec
    for k, v, code in bad:
        rec = by_key[k]
        assert rec["error"]["code"] == code, rec
        assert base64.b64decode(rec["payload"]) == (v or b""), "the original bytes are kept"
        assert rec["topic"] == s.topic_articles
    assert by_key[b"b5"]["error"]["field"] == "body" or "body" in by_key[b"b5"]["error"]["message"]
    assert by_key[b"b6"]["error"]["field"] == "published_at"

    enriched = collect(s, s.topic_enriched, lambda got: len(got) >= 3)
    assert sorted(e["article_id"] for e in enriched) == ["good-0", "good-1", "good-2"]


def test_duplicate_article_is_processed_once(settings: Settings, start_worker: StartWorker) -> None:
    """The same article id twice yields one enriched event."""
    start_worker(settings)
    art = article_bytes(id="dup-1", title="Germany and France", body="Berlin and Paris met.")
    last = article_bytes(id="after", title="Japan", body="Tokyo said so.")
    # "after" shares the key, so it sits on the same partition, behind both copies.
    produce(settings, [(b"dup-1", art), (b"dup-1", art), (b"dup-1", last)])
    events = collect(
        settings,
        settings.topic_enriched,
        lambda got: any(e["article_id"] == "after" for e in got),
        timeout=60,
    )
    ids = [e["article_id"] for e in events]
    assert ids.count("dup-1") == 1
    assert "after" in ids


def test_tail_filters_by_country_and_level(
    settings: Settings,
    start_worker: StartWorker,
    seed_article: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`brinkwatch tail` reads a topic from the beginning, filtered, as readable text or JSON."""
    start_worker(settings)
    title, body = seed_article
    produce(
        settings,
        [
            (b"seed", article_bytes(id="seed", title=title, body=body)),
            (
                b"calm",
                article_bytes(id="calm", title="Brazil harvest", body="Brazil's soy crop grew."),
            ),
        ],
    )
    collect(settings, settings.topic_enriched, lambda got: len(got) >= 2)
    capsys.readouterr()
    base = ["tail", settings.topic_enriched, "-b", settings.bootstrap_servers, "--from-beginning"]

    assert main([*base, "--json", "--country", "BR", "--max", "1", "--timeout", "20"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and '"article_id":"calm"' in out[0]

    assert main([*base, "--min-level", "elevated", "--max", "1", "--timeout", "20"]) == 0
    text = capsys.readouterr().out
    assert "Seoul Warns Russia" in text and "Brazil harvest" not in text

    assert main([*base, "--min-level", "bogus", "--timeout", "1"]) == 2


def test_feed_reports_bad_records_with_file_and_line(
    settings: Settings, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSONL file with bad lines: good ones are sent, each bad one is named by file:line."""
    from pipeline.topics import create_topics

    create_topics(settings)
    path = tmp_path / "wire.jsonl"
    path.write_text(
        '{"title": "A", "body": "Kenya votes."}\n'
        "not json\n"
        "\n"
        '{"title": "B"}\n'
        '{"title": "C", "body": "Chile votes.", "published_at": "2024-06-01T10:00:00Z"}\n'
    )
    rc = main(
        ["feed", str(path), "-b", settings.bootstrap_servers, "--topic", settings.topic_articles]
    )
    captured = capsys.readouterr()
    assert rc == 1
    assert "sent 2 article(s)" in captured.out
    assert f"{path}:2: not JSON" in captured.err
    assert f"{path}:4:" in captured.err and "body" in captured.err
    sent = collect(settings, settings.topic_articles, lambda got: len(got) >= 2, timeout=20)
    assert sorted(a["title"] for a in sent) == ["A", "C"]  # two partitions: no total order

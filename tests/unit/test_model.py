"""Decoding articles and building the outgoing messages."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from pipeline.errors import InvalidArticle
from pipeline.model import (
    CountryScoreBatch,
    build_deadletter,
    decode_article,
    derive_id,
    iso_time,
    level_at_least,
    parse_time,
)
from pipeline.serde import dumps, load_schema


def test_decode_keeps_unknown_fields_and_derives_a_stable_id() -> None:
    """An article without id gets a content id; unknown fields are kept in extra."""
    raw = dumps({"title": "T", "body": "B", "source": "S", "wire_priority": 3})
    a1 = decode_article(raw, 10_000)
    a2 = decode_article(raw, 10_000)
    assert a1.id == a2.id == derive_id("S", None, "T", "B")
    assert len(a1.id) == 16
    assert a1.extra == {"wire_priority": 3}
    assert a1.to_dict()["wire_priority"] == 3


def test_given_id_is_kept() -> None:
    """An explicit id wins over the derived one."""
    assert decode_article(dumps({"id": "x-1", "title": "T", "body": "B"}), 1000).id == "x-1"


@pytest.mark.parametrize(
    ("value", "code", "field"),
    [
        (None, "empty", None),
        (b"", "empty", None),
        (b"   ", "empty", None),
        (b"\xff\xfe", "not_utf8", None),
        (b"{oops", "not_json", None),
        (b"[1, 2]", "schema", None),
        (b'{"title": "T"}', "schema", None),
        (b'{"title": "T", "body": "  "}', "schema", "body"),
        (b'{"title": 3, "body": "B"}', "schema", "title"),
        (b'{"title": "T", "body": "B", "published_at": "soon"}', "schema", "published_at"),
        (b"x" * 101, "too_large", None),
    ],
)
def test_bad_messages_get_a_reason(value: bytes | None, code: str, field: str | None) -> None:
    """Every kind of bad message raises InvalidArticle with a bounded reason code."""
    with pytest.raises(InvalidArticle) as info:
        decode_article(value, 100)
    assert info.value.code == code
    if field is not None:
        assert info.value.field == field


def test_deadletter_record_matches_its_schema() -> None:
    """A dead-letter record keeps the original key and bytes (base64) and validates."""
    rec = build_deadletter(
        InvalidArticle("not_json", "nope"),
        topic="news.articles",
        partition=1,
        offset=42,
        key=b"k",
        payload=b"\x00\x01",
        received_at=0.0,
    )
    Draft202012Validator(load_schema("deadletter"), format_checker=FormatChecker()).validate(rec)
    assert base64.b64decode(rec["payload"]) == b"\x00\x01"
    assert rec["received_at"] == "1970-01-01T00:00:00.000Z"


def test_times_and_levels() -> None:
    """RFC 3339 round trip, and level ordering."""
    assert parse_time(iso_time(1717236000.5)) == pytest.approx(1717236000.5)
    # Milliseconds are truncated, never rounded up into the next second.
    assert iso_time(1717236000.9996) == "2024-06-01T10:00:00.999Z"
    assert iso_time(0.0) == "1970-01-01T00:00:00.000Z"
    assert parse_time("2024-06-01T10:00:00+02:00") == parse_time("2024-06-01T08:00:00Z")
    assert level_at_least("high", "elevated")
    assert not level_at_least("low", "elevated")


@given(st.lists(st.floats(min_value=-2e9, max_value=4e9), min_size=1, max_size=5))
@example([1717236000.9999995, 1717236000.9999994, 1717236001.0, 1717236000.0005])
@example([-0.5, -0.0000004, -0.0000005, 0.0, -1.0])
def test_iso_time_is_datetimes_text(times: list[float]) -> None:
    """iso_time gives datetime's own text, also within one second (the kept second)."""
    for ts in times:
        for t in (ts, ts + 0.25, ts):  # a new second, maybe the same one, the first again
            expected = datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")
            assert iso_time(t) == expected[:-6] + "Z"


def test_country_scores_are_summed_per_country_and_bucket() -> None:
    """One record per (country, bucket): article count, total, max and the top article."""
    batch = CountryScoreBatch(step=300.0)
    batch.add("a", "title a", ["UA", "RU"], 10.0, 1000.0)
    batch.add("b", "title b", ["UA"], 50.0, 1100.0)
    batch.add("c", "title c", ["UA"], 5.0, 1300.0)  # bucket 4, not 3
    assert len(batch) == 3
    records = {(r["country"], r["event_time"]): r for r in batch.records()}
    ua = records[("UA", 1100.0)]
    assert (ua["articles"], ua["score_total"], ua["score_max"]) == (2, 60.0, 50.0)
    assert (ua["article_id"], ua["title"]) == ("b", "title b")
    assert records[("UA", 1300.0)]["articles"] == 1
    assert records[("RU", 1000.0)]["score_total"] == 10.0
    validate = Draft202012Validator(load_schema("country-score")).validate
    for rec in records.values():
        validate(rec)
    assert len(batch) == 0 and batch.records() == []  # records() resets the batch


def test_event_time_is_published_at_unless_it_lies_in_the_future() -> None:
    """published_at places the article in time; a date well after receipt counts as receipt."""
    from pipeline.enrich import FUTURE_TOLERANCE_S, Enricher
    from pipeline.settings import Settings

    enricher = Enricher(Settings())
    received = parse_time("2024-06-01T12:00:00Z")

    def event_time(published_at: str | None) -> float:
        raw = dumps({"title": "Kyiv", "body": "Ukraine.", "published_at": published_at})
        return enricher.enrich(decode_article(raw, 10_000), received).event_time

    assert event_time("2024-06-01T11:00:00Z") == received - 3600
    assert event_time("2024-06-01T12:04:00Z") == received + 240
    assert FUTURE_TOLERANCE_S < 3600
    assert event_time("2024-06-01T13:00:00Z") == received
    assert event_time(None) == received

"""Read articles from files: text, JSON, JSON lines, RSS/Atom, or standard input.

* ``*.txt`` (or any other suffix): one article; first line the title, the rest the body.
* ``*.json``: one article object, or an array of them.
* ``*.jsonl`` / ``*.ndjson``: one article object per line (blank lines skipped).
* ``*.rss``, ``*.atom``, ``*.xml``: a feed; one article per entry (title, summary or
  content as the body, link, published time), parsed with feedparser.
* ``-``: standard input, read as JSON lines.
* A folder: every file in it, sorted by name.

Each record is checked against the article schema; a bad one is reported as a
:class:`~pipeline.errors.DataError` naming the file and line, never dropped silently.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pipeline.errors import DataError, InvalidArticle
from pipeline.model import Article, article_from_dict, iso_time
from pipeline.serde import loads

__all__ = ["Record", "expand_paths", "read_articles"]

_FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})


@dataclass(frozen=True, slots=True)
class Record:
    """One input record: where it came from, and the article or the error."""

    path: str
    line: int | None
    article: Article | None = None
    error: DataError | None = None


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Expand folders into their files (sorted); keep ``-`` and files as given."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            out.extend(str(f) for f in sorted(path.iterdir()) if f.is_file())
        else:
            out.append(p)
    return out


def _checked(path: str, line: int | None, obj: Any) -> Record:
    try:
        return Record(path, line, article=article_from_dict(obj))
    except InvalidArticle as err:
        where = f" (field {err.field})" if err.field else ""
        return Record(path, line, error=DataError(path, line, f"{err.message}{where}"))


def _json_lines(path: str, stream: Iterable[str]) -> Iterator[Record]:
    for n, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = loads(line)
        except ValueError as exc:
            yield Record(path, n, error=DataError(path, n, f"not JSON: {exc}"))
            continue
        yield _checked(path, n, obj)


def _text(path: str, text: str) -> Iterator[Record]:
    title, _, body = text.lstrip("\ufeff").partition("\n")
    if not title.strip() and not body.strip():
        yield Record(path, 1, error=DataError(path, 1, "empty file"))
        return
    yield _checked(path, 1, {"title": title.strip(), "body": body.strip(), "source": None})


def _feed(path: str, data: bytes) -> Iterator[Record]:
    import feedparser

    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        yield Record(
            path, None, error=DataError(path, None, f"not a feed: {parsed.bozo_exception}")
        )
        return
    for n, entry in enumerate(parsed.entries, start=1):
        body = ""
        if entry.get("content"):
            body = entry["content"][0].get("value", "")
        body = body or entry.get("summary", "")
        published = None
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp:
            import calendar

            published = iso_time(calendar.timegm(stamp))
        obj = {
            "title": entry.get("title", ""),
            "body": _strip_tags(body),
            "url": entry.get("link"),
            "source": parsed.feed.get("title"),
            "published_at": published,
        }
        if entry.get("id"):
            obj["id"] = str(entry["id"])[:200]
        yield _checked(path, n, obj)


def _strip_tags(html: str) -> str:
    from html.parser import HTMLParser

    parts: list[str] = []

    class _P(HTMLParser):
        def handle_data(self, data: str) -> None:
            parts.append(data)

    p = _P()
    p.feed(html)
    p.close()
    return " ".join("".join(parts).split())


def read_articles(paths: Iterable[str], stdin: IO[str] | None = None) -> Iterator[Record]:
    """Yield a :class:`Record` for every article (or bad record) in *paths*."""
    for p in expand_paths(paths):
        if p == "-":
            yield from _json_lines("<stdin>", stdin or sys.stdin)
            continue
        path = Path(p)
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield Record(p, None, error=DataError(p, None, exc.strerror or str(exc)))
            continue
        suffix = path.suffix.lower()
        if suffix in _FEED_SUFFIXES:
            yield from _feed(p, data)
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            yield Record(p, line, error=DataError(p, line, f"not UTF-8 at byte {exc.start}"))
            continue
        if suffix in _JSONL_SUFFIXES:
            yield from _json_lines(p, text.splitlines())
        elif suffix == ".json":
            try:
                obj = loads(text)
            except ValueError as exc:
                yield Record(p, None, error=DataError(p, None, f"not JSON: {exc}"))
                continue
            items = obj if isinstance(obj, list) else [obj]
            for n, item in enumerate(items, start=1):
                yield _checked(p, n if isinstance(obj, list) else None, item)
        else:
            yield from _text(p, text)

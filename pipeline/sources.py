"""Read articles from files, URLs or request bodies: text, JSON, JSON lines, RSS/Atom, stdin.

* ``*.txt`` (or any other suffix): one article; first line the title, the rest the body.
* ``*.json``: one article object, or an array of them.
* ``*.jsonl`` / ``*.ndjson``: one article object per line (blank lines skipped).
* ``*.rss``, ``*.atom``, ``*.xml``: a feed; one article per entry (title, summary or
  content as the body, link, published time), parsed with feedparser.
* ``-``: standard input, read as JSON lines.
* A folder: every file in it, sorted by name.
* ``http://`` or ``https://``: fetched (conditional GET with ETag/Last-Modified when
  followed); the format comes from the response's media type, else the URL's suffix,
  else the first byte (``<`` a feed, ``[``/``{`` JSON).

:func:`parse_document` does the parsing for all of them and for the bodies that
``brinkwatch ingest`` receives over HTTP; :class:`Follower` polls paths and URLs
again and again and yields only articles it has not yielded before.

Each record is checked against the article schema; a bad one is reported as a
:class:`~pipeline.errors.DataError` naming the file and line, never dropped silently.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import urlsplit

from pipeline import __version__
from pipeline.errors import DataError, InvalidArticle
from pipeline.model import Article, article_from_dict, iso_time
from pipeline.serde import loads

__all__ = [
    "FORMATS",
    "Fetched",
    "Follower",
    "Format",
    "Record",
    "expand_paths",
    "fetch_url",
    "format_of",
    "is_url",
    "media_format",
    "parse_document",
    "read_articles",
]

Format = Literal["feed", "json", "jsonl", "text"]
#: The document formats :func:`parse_document` reads.
FORMATS: tuple[Format, ...] = ("feed", "json", "jsonl", "text")

_FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_MEDIA_TYPES: dict[str, Format] = {
    "application/rss+xml": "feed",
    "application/atom+xml": "feed",
    "application/rdf+xml": "feed",
    "application/xml": "feed",
    "text/xml": "feed",
    "application/json": "json",
    "application/x-ndjson": "jsonl",
    "application/ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/json-lines": "jsonl",
    "text/plain": "text",
}
#: Largest document fetched from a URL (bytes); a larger one is an error, not truncated.
MAX_FETCH_BYTES = 20 * 1024 * 1024
#: What fetches send as User-Agent (some feeds refuse requests without one).
USER_AGENT = f"brinkwatch/{__version__}"


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


def is_url(path: str) -> bool:
    """Return True when *path* is an ``http://`` or ``https://`` address."""
    return path.startswith(("http://", "https://"))


def media_format(media_type: str) -> Format | None:
    """Return the format a media type (``Content-Type``, parameters ignored) names, or None."""
    return _MEDIA_TYPES.get(media_type.split(";", 1)[0].strip().lower())


def format_of(name: str, media_type: str | None = None, data: bytes = b"") -> Format:
    """Return the format of a document from its media type, else its name's suffix, else *data*.

    A name without a known suffix (a file) is plain text; a URL or a request body
    without either is sniffed: ``<`` is a feed, ``[`` or ``{`` JSON, anything else text.
    """
    if media_type:
        kind = media_format(media_type)
        if kind is not None:
            return kind
    suffix = Path(urlsplit(name).path if is_url(name) else name).suffix.lower()
    if suffix in _FEED_SUFFIXES:
        return "feed"
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".json":
        return "json"
    if is_url(name) or media_type is not None:
        head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if head == b"<":
            return "feed"
        if head in (b"[", b"{"):
            return "json"
    return "text"


def parse_document(name: str, data: bytes, fmt: Format) -> Iterator[Record]:
    """Yield a :class:`Record` for every article (or bad record) in one document.

    *name* is what errors say the record came from (a file, a URL, ``<request>``).
    A ``json`` document that holds several JSON values, one per line, is read as
    JSON lines, so a client may send either with ``application/json``.
    """
    if fmt == "feed":
        yield from _feed(name, data)
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        yield Record(name, line, error=DataError(name, line, f"not UTF-8 at byte {exc.start}"))
        return
    if fmt == "jsonl":
        yield from _json_lines(name, text.splitlines())
    elif fmt == "json":
        try:
            obj = loads(text)
        except ValueError as exc:
            if sum(1 for line in text.splitlines() if line.strip()) > 1:
                yield from _json_lines(name, text.splitlines())
            else:
                yield Record(name, None, error=DataError(name, None, f"not JSON: {exc}"))
            return
        items = obj if isinstance(obj, list) else [obj]
        for n, item in enumerate(items, start=1):
            yield _checked(name, n if isinstance(obj, list) else None, item)
    else:
        yield from _text(name, text)


@dataclass(frozen=True, slots=True)
class Fetched:
    """One HTTP response: the body and what a conditional GET sends next time."""

    url: str
    data: bytes
    media_type: str | None
    etag: str | None = None
    last_modified: str | None = None


def fetch_url(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 20.0,
    max_bytes: int = MAX_FETCH_BYTES,
) -> Fetched | None:
    """GET *url*; return None when the server answers 304 Not Modified.

    Raises :class:`~pipeline.errors.DataError` naming the URL for an HTTP error,
    a network error, a timeout or a body larger than *max_bytes*.
    """
    if not is_url(url):  # urllib would also open file:// and ftp:// addresses
        raise DataError(url, None, "only http:// and https:// addresses are fetched")
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            data = resp.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise DataError(url, None, f"larger than {max_bytes} bytes")
            return Fetched(
                url,
                data,
                resp.headers.get("Content-Type"),
                resp.headers.get("ETag"),
                resp.headers.get("Last-Modified"),
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None
        raise DataError(url, None, f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DataError(url, None, f"cannot fetch: {reason}") from exc


def _read_url(url: str, cache: dict[str, tuple[str | None, str | None]] | None = None
              ) -> Iterator[Record]:
    etag, modified = (cache or {}).get(url, (None, None))
    try:
        got = fetch_url(url, etag=etag, last_modified=modified)
    except DataError as err:
        yield Record(url, None, error=err)
        return
    if got is None:  # 304: nothing new since the last poll
        return
    if cache is not None:
        cache[url] = (got.etag, got.last_modified)
    yield from parse_document(url, got.data, format_of(url, got.media_type, got.data))


def read_articles(
    paths: Iterable[str],
    stdin: IO[str] | None = None,
    *,
    http_cache: dict[str, tuple[str | None, str | None]] | None = None,
) -> Iterator[Record]:
    """Yield a :class:`Record` for every article (or bad record) in *paths* (files or URLs).

    *http_cache* (URL to ETag and Last-Modified) makes URL reads conditional and
    is updated by them; a URL that answers 304 yields nothing.
    """
    for p in expand_paths(paths):
        if p == "-":
            yield from _json_lines("<stdin>", stdin or sys.stdin)
            continue
        if is_url(p):
            yield from _read_url(p, http_cache)
            continue
        path = Path(p)
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield Record(p, None, error=DataError(p, None, exc.strerror or str(exc)))
            continue
        yield from parse_document(p, data, format_of(p))


@dataclass
class Follower:
    """Read *paths* (files, folders, URLs) again and again; yield only articles not seen before.

    Articles are recognised by id (a feed entry's id, else the id the article
    model derives from its content), the *remember* most recently seen of them:
    keep it larger than what the paths show at once (a feed's latest items). URLs are
    fetched with a conditional GET, so an unchanged feed costs one 304. Bad
    records are yielded every time they are read, so they are never silently lost.
    """

    paths: list[str]
    remember: int = 100_000
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict, init=False)
    _http: dict[str, tuple[str | None, str | None]] = field(default_factory=dict, init=False)

    @property
    def remembered(self) -> int:
        """How many article ids the follower holds now (at most *remember*)."""
        return len(self._seen)

    def poll(self) -> list[Record]:
        """Read every path once; return the new articles and every bad record."""
        out: list[Record] = []
        for rec in read_articles(self.paths, http_cache=self._http):
            if rec.article is not None:
                if rec.article.id in self._seen:
                    self._seen.move_to_end(rec.article.id)  # still on show: keep it longest
                    continue
                self._seen[rec.article.id] = None
                if len(self._seen) > self.remember:
                    self._seen.popitem(last=False)
            out.append(rec)
        return out

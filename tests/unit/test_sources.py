"""Reading articles from files, URLs and request bodies: every bad record named by where."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.errors import DataError
from pipeline.sources import Follower, fetch_url, format_of, parse_document, read_articles
from tests.conftest import SEED


def test_text_file_first_line_is_title() -> None:
    """A text file is one article: title from the first line, the rest as body."""
    (rec,) = list(read_articles([str(SEED)]))
    assert rec.article is not None
    assert rec.article.title == "Seoul Warns Russia over North Korea's Role in Ukraine Conflict"
    assert rec.article.body.startswith("ICARO Media Group")


def test_jsonl_json_and_stdin(tmp_path: Path) -> None:
    """JSONL (blank lines skipped), JSON arrays and stdin are read; bad lines are reported."""
    (tmp_path / "a.jsonl").write_text('{"title":"A","body":"x"}\n\n{"title":1,"body":"y"}\n')
    (tmp_path / "b.json").write_text('[{"title":"B","body":"x"},{"body":"no title"}]')
    recs = list(read_articles([str(tmp_path)]))
    good = [r.article.title for r in recs if r.article]
    bad = [(Path(r.path).name, r.line) for r in recs if r.error]
    assert good == ["A", "B"]
    assert bad == [("a.jsonl", 3), ("b.json", 2)]
    assert "title" in str(recs[1].error)
    stdin = io.StringIO('{"title":"S","body":"x"}\nnope\n')
    recs = list(read_articles(["-"], stdin=stdin))
    assert recs[0].article is not None and recs[1].error is not None
    assert str(recs[1].error).startswith("<stdin>:2:")


def test_missing_and_binary_files(tmp_path: Path) -> None:
    """A missing file and a non-UTF-8 file are errors naming the file."""
    (tmp_path / "bin.txt").write_bytes(b"title\n\xff\xfe")
    recs = list(read_articles([str(tmp_path / "nope.txt"), str(tmp_path / "bin.txt")]))
    assert all(r.error is not None for r in recs)
    assert "nope.txt" in str(recs[0].error)
    assert "bin.txt:2" in str(recs[1].error)


def test_rss_feed(tmp_path: Path) -> None:
    """An RSS file gives one article per item, HTML stripped, with link and time."""
    (tmp_path / "wire.rss").write_text(
        """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
        <item><title>Troops mass</title><link>http://example.org/1</link>
        <description>&lt;p&gt;Troops massed on the &lt;b&gt;border&lt;/b&gt;.&lt;/p&gt;
        </description>
        <pubDate>Sat, 01 Jun 2024 10:00:00 GMT</pubDate><guid>w-1</guid></item>
        </channel></rss>"""
    )
    (rec,) = list(read_articles([str(tmp_path / "wire.rss")]))
    assert rec.article is not None
    assert rec.article.body == "Troops massed on the border."
    assert rec.article.published_at == "2024-06-01T10:00:00.000Z"
    assert rec.article.source == "Wire" and rec.article.id == "w-1"


# -- formats, URLs and following ------------------------------------------------------

_RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{items}
</channel></rss>"""
_ITEM = ("<item><title>{t}</title><link>http://example.org/{n}</link>"
         "<description>{t} in the capital.</description><guid>w-{n}</guid></item>")


class _Site:
    """A local HTTP server whose pages a test can change, with ETag support."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.requests: list[tuple[str, str | None]] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append((self.path, self.headers.get("If-None-Match")))
                if self.path not in site.pages:
                    self.send_error(404, "no such page")
                    return
                media, body = site.pages[self.path]
                etag = f'"{hashlib.sha1(body).hexdigest()}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                if media:
                    self.send_header("Content-Type", media)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def site() -> Iterator[_Site]:
    """A local web site for URL tests (no network needed)."""
    s = _Site()
    yield s
    s.server.shutdown()
    s.server.server_close()


def test_format_from_media_type_then_suffix_then_first_byte() -> None:
    """The media type wins, then the suffix; a URL or body with neither is sniffed."""
    assert format_of("x.txt", "application/rss+xml; charset=utf-8") == "feed"
    assert format_of("x.txt", "application/x-ndjson") == "jsonl"
    assert format_of("http://h/feed.atom") == "feed"
    assert format_of("http://h/a.jsonl?page=2") == "jsonl"
    assert format_of("http://h/latest", None, b"  <?xml ...") == "feed"
    assert format_of("http://h/latest", None, b'\n[{"title": 1}]') == "json"
    assert format_of("<request>", "application/octet-stream", b"Title\nBody") == "text"
    assert format_of("notes") == "text"  # a file with no suffix is one text article


def test_json_body_with_one_object_per_line_is_read_as_json_lines() -> None:
    """application/json holding JSON lines is read line by line, each bad line named."""
    body = b'{"title": "A", "body": "x"}\n{"title": "B"}\n'
    recs = list(parse_document("<request>", body, "json"))
    assert recs[0].article is not None and recs[0].article.title == "A"
    assert recs[1].error is not None and str(recs[1].error).startswith("<request>:2:")
    (rec,) = parse_document("<request>", b'{"title": ', "json")
    assert rec.error is not None and "not JSON" in rec.error.reason


def test_url_is_fetched_and_parsed_by_its_media_type(site: _Site) -> None:
    """An RSS feed served over HTTP gives one article per item, like a file."""
    items = "".join(_ITEM.format(t=f"Troops mass {n}", n=n) for n in (1, 2))
    site.pages["/wire"] = ("application/rss+xml", _RSS.format(items=items).encode())
    recs = list(read_articles([site.base + "/wire"]))
    assert [r.article.id for r in recs if r.article] == ["w-1", "w-2"]
    assert recs[0].path == site.base + "/wire"


def test_url_errors_name_the_url(site: _Site) -> None:
    """A 404, an unreachable host and a non-HTTP scheme are errors naming the address."""
    (rec,) = read_articles([site.base + "/missing"])
    assert rec.error is not None and str(rec.error) == f"{site.base}/missing: HTTP 404 no such page"
    port = site.server.server_address[1]
    site.server.shutdown()
    site.server.server_close()
    (rec,) = read_articles([f"http://127.0.0.1:{port}/gone"])
    assert rec.error is not None and "cannot fetch" in rec.error.reason
    with pytest.raises(DataError, match="only http"):
        fetch_url("file:///etc/passwd")


def test_oversized_download_is_an_error_not_a_truncation(site: _Site) -> None:
    """A body over the limit is refused with a reason, never cut short silently."""
    site.pages["/big"] = ("text/plain", b"Title\n" + b"x" * 5000)
    with pytest.raises(DataError, match="larger than 1000 bytes"):
        fetch_url(site.base + "/big", max_bytes=1000)


def test_follower_sends_only_new_articles_and_uses_conditional_gets(
    site: _Site, tmp_path: Path
) -> None:
    """Polling a feed and a folder again yields only what is new; an unchanged feed costs a 304."""
    site.pages["/wire"] = ("application/rss+xml",
                           _RSS.format(items=_ITEM.format(t="Troops mass", n=1)).encode())
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.txt").write_text("Quake hits Chile\nA strong earthquake hit Chile.")
    (folder / "bad.jsonl").write_text("not json\n")
    follower = Follower([site.base + "/wire", str(folder)])

    first = follower.poll()
    assert sorted(r.article.title for r in first if r.article) == ["Quake hits Chile",
                                                                   "Troops mass"]
    errors = [r.error for r in first if r.error]
    assert [(e.path, e.line) for e in errors] == [(str(folder / "bad.jsonl"), 1)]

    second = follower.poll()
    assert [r.article for r in second if r.article] == []
    assert len([r for r in second if r.error]) == 1  # bad records are reported every time
    assert site.requests[-1][1] is not None  # sent If-None-Match, got 304

    items = "".join(_ITEM.format(t=t, n=n) for n, t in ((1, "Troops mass"), (2, "Ships sail")))
    site.pages["/wire"] = ("application/rss+xml", _RSS.format(items=items).encode())
    (folder / "b.txt").write_text("Floods in Kenya\nRain flooded Nairobi.")
    third = follower.poll()
    assert sorted(r.article.title for r in third if r.article) == ["Floods in Kenya",
                                                                   "Ships sail"]


def test_follower_memory_is_bounded_and_keeps_what_is_still_shown(tmp_path: Path) -> None:
    """Ids still on show stay remembered; the ones that left go first; memory never grows."""
    def show(*numbers: int) -> None:
        for f in tmp_path.iterdir():
            f.unlink()
        for n in numbers:
            (tmp_path / f"{n}.txt").write_text(f"Title {n}\nBody {n}.")

    follower = Follower([str(tmp_path)], remember=2)
    show(0, 1)
    assert len(follower.poll()) == 2
    show(1, 2)  # a feed shows its latest items: 0 dropped off, 2 arrived
    assert [r.article.title for r in follower.poll() if r.article] == ["Title 2"]
    show(2, 3)
    assert [r.article.title for r in follower.poll() if r.article] == ["Title 3"]
    assert [r.article.title for r in follower.poll() if r.article] == []
    assert follower.remembered == 2

"""Reading articles from files: every bad record named by file and line."""

from __future__ import annotations

import io
from pathlib import Path

from pipeline.sources import read_articles
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

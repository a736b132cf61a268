"""HTTP in, Kafka out: the ingestion server and `feed URL --follow` on a real broker."""

from __future__ import annotations

import dataclasses
import http.server
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipeline.broker import free_port
from pipeline.cli import main
from pipeline.ingest import IngestServer
from pipeline.settings import Settings
from pipeline.topics import create_topics
from tests.conftest import SEED
from tests.integration.conftest import collect


def _post(url: str, body: bytes, media: str, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": media}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def test_posted_articles_reach_the_topic_and_bad_lines_come_back(settings: Settings) -> None:
    """POSTed JSON lines are on the articles topic when the answer comes; bad lines are named."""
    create_topics(settings)
    s = dataclasses.replace(settings, ingest_port=free_port(), ingest_token="t0ken")
    seed_title, _, seed_body = SEED.read_text(encoding="utf-8").partition("\n")
    lines = [
        orjson.dumps({"id": "seed", "title": seed_title, "body": seed_body}),
        b"{oops",
        orjson.dumps({"id": "chile", "title": "Quake hits Chile", "body": "It shook Santiago."}),
    ]
    with IngestServer(s, host="127.0.0.1") as server:
        url = f"http://127.0.0.1:{server.port}/articles"
        assert _post(url, lines[0], "application/json")[0] == 401
        status, answer = _post(url, b"\n".join(lines), "application/x-ndjson", token="t0ken")
    assert status == 422
    assert answer["ids"] == ["seed", "chile"]
    assert [(r["line"], r["error"][:8]) for r in answer["rejected"]] == [(2, "not JSON")]
    got = collect(s, s.topic_articles, lambda g: len(g) >= 2, timeout=30)
    assert sorted(a["id"] for a in got) == ["chile", "seed"]
    assert next(a for a in got if a["id"] == "seed")["title"] == seed_title.strip()


def test_feed_follows_a_feed_url_and_sends_only_new_items(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`brinkwatch feed URL --follow` polls a live feed and publishes each item once."""
    create_topics(settings)
    item = ("<item><title>{t}</title><description>{t} near the border.</description>"
            "<guid>{g}</guid></item>")
    pages = ["".join(item.format(t=t, g=g) for t, g in ((f"Troops mass {n}", f"g{n}")
                                                       for n in range(k)))
             for k in (2, 2, 3)]
    served: list[int] = []

    class Feed(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            n = min(len(served), len(pages) - 1)
            served.append(n)
            body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
                    f"{pages[n]}</channel></rss>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/wire.rss"
        rc = main(["feed", url, "-b", settings.bootstrap_servers, "--topic",
                   settings.topic_articles, "--follow", "0.2", "--rounds", "3"])
    finally:
        httpd.shutdown()
        httpd.server_close()
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert [line.split()[1] for line in out] == ["2", "0", "1"]
    got = collect(settings, settings.topic_articles, lambda g: len(g) >= 3, timeout=30)
    assert sorted(a["id"] for a in got) == ["g0", "g1", "g2"]


def test_ingest_command_serves_until_sigterm(settings: Settings) -> None:
    """`brinkwatch ingest` prints where it listens, takes a POST, and exits 0 on SIGTERM."""
    import os
    import signal
    import subprocess
    import sys

    create_topics(settings)
    port = free_port()
    env = {**os.environ, **settings.as_env(), "BRINKWATCH_INGEST_PORT": str(port),
           "BRINKWATCH_INGEST_HOST": "127.0.0.1"}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "ingest"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/articles" in first, first
        status, answer = _post(f"http://127.0.0.1:{port}/articles",
                               b"Floods in Kenya\nRain flooded Nairobi.", "text/plain")
        assert (status, answer["accepted"]) == (202, 1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    got = collect(settings, settings.topic_articles, lambda g: len(g) >= 1, timeout=30)
    assert [a["title"] for a in got] == ["Floods in Kenya"]

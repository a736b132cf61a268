"""Tagging in child processes gives what tagging in the worker gives, and survives a dead child."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.enrich import Enricher, Prepared
from pipeline.errors import InvalidArticle
from pipeline.serde import dumps, loads
from pipeline.settings import Settings
from pipeline.tagging import build_kind
from pipeline.tagpool import Item, Outcome, TaggingPool, prepare_batch

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_be93d98e5d221129.txt"
NOW = 1_717_200_000.0


@pytest.fixture(scope="module")
def pool() -> Iterator[TaggingPool]:
    """One tagging process for the module's tests."""
    p = TaggingPool(Settings(), 1)
    try:
        yield p
    finally:
        p.close()


LIMIT = Settings().max_message_bytes


def _articles() -> list[Item]:
    title, _, body = SEED.read_text().partition("\n")
    return [
        (dumps({"id": "seed", "title": title, "body": body}), NOW),
        (dumps({"id": "calm", "title": "Brazil harvest", "body": "Brazil's soy crop grew."}), NOW),
    ]


def _comparable(out: object) -> object:
    assert isinstance(out, Prepared), out
    # processed_at, created_at and the timing differ between runs; nothing else may.
    event = loads(out.event)
    del event["processed_at"]
    alert = None if out.alert is None else {**loads(out.alert), "created_at": None}
    plain = dataclasses.replace(out, event=b"", alert=None, tag_seconds=0.0, decode_seconds=0.0)
    return (plain, event, alert)


def test_child_processes_prepare_what_the_worker_would(pool: TaggingPool) -> None:
    """Events, alerts, countries and scores from a child equal those tagged in process."""
    versions = pool.warm_up()
    assert versions == {**Enricher(Settings()).versions, "taggers": build_kind()}
    items = _articles()
    remote = asyncio.run(pool.prepare(items))
    local = prepare_batch(Enricher(Settings()), items, LIMIT)
    assert [_comparable(o) for o in remote] == [_comparable(o) for o in local]
    seed = remote[0]
    assert isinstance(seed, Prepared)
    assert seed.level == "critical" and seed.alert is not None
    assert {"KP", "RU", "KR", "UA"} <= set(seed.countries)


def test_invalid_messages_come_back_with_their_reason(pool: TaggingPool) -> None:
    """Each kind of invalid message gives its InvalidArticle (across the process boundary)."""
    good = _articles()[1]
    items: list[Item] = [
        (None, NOW), (b"\xff\xfe", NOW), (b"{nope", NOW),
        (dumps({"title": "x", "body": 123}), NOW), (b"x" * (LIMIT + 1), NOW), good,
    ]
    outcomes = asyncio.run(pool.prepare(items))
    codes = [o.code for o in outcomes if isinstance(o, InvalidArticle)]
    assert codes == ["empty", "not_utf8", "not_json", "schema", "too_large"]
    assert isinstance(outcomes[3], InvalidArticle) and outcomes[3].field == "body"
    assert isinstance(outcomes[-1], Prepared) and outcomes[-1].article_id == "calm"
    assert outcomes[-1].decode_seconds > 0


@pytest.mark.parametrize("stage", ["countries", "entities", "escalation"])
def test_one_article_a_tagger_fails_on_fails_alone(stage: str) -> None:
    """A tagger error on one article is its outcome; the rest of the batch is tagged.

    The batch goes through each tagger in turn (``Tagger.tag_batch``), so each
    tagger is made to fail in turn on the seed article.
    """
    enricher = Enricher(Settings())
    real = getattr(enricher.tagger, stage)
    seed_title = SEED.read_text().partition("\n")[0]

    class Flaky:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def tag(self, title: str, *args: object, **kwargs: object) -> object:
            if title == seed_title:
                raise RuntimeError(f"{stage} bug")
            return real.tag(title, *args, **kwargs)

    setattr(enricher.tagger, stage, Flaky())
    outcomes = prepare_batch(enricher, _articles() + _articles()[1:], LIMIT)
    assert isinstance(outcomes[0], RuntimeError) and str(outcomes[0]) == f"{stage} bug"
    for out in outcomes[1:]:
        assert isinstance(out, Prepared) and out.article_id == "calm"


def test_batch_tagging_gives_what_one_at_a_time_gives() -> None:
    """``Tagger.tag_batch`` (each tagger over the batch in turn) equals ``tag`` per article."""
    from pipeline.bench.corpus import generate

    tagger = Enricher(Settings()).tagger
    articles = [(a["title"], a["body"]) for a in generate(40, 3000)]
    articles.append(("", SEED.read_text()))
    batch = tagger.tag_batch(articles)
    assert len(batch) == len(articles)
    for (title, body), (result, seconds) in zip(articles, batch, strict=True):
        assert result == tagger.tag(title, body)
        assert seconds > 0


def test_a_killed_child_is_replaced_and_the_batch_still_tagged() -> None:
    """SIGKILL of the tagging process: the pool restarts and the batch is not lost."""
    p = TaggingPool(Settings(), 1)
    try:
        p.warm_up()
        (pid,) = p.pids()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # wait for the pool to notice
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        outcomes = asyncio.run(p.prepare(_articles()))
        assert [o.article_id for o in outcomes if isinstance(o, Prepared)] == ["seed", "calm"]
        assert p.pids() and p.pids() != [pid]
    finally:
        p.close()


def test_a_pool_needs_a_process() -> None:
    """Zero processes is a configuration for tagging in the worker, not an empty pool."""
    with pytest.raises(ValueError, match="at least one"):
        TaggingPool(Settings(), 0)


def test_children_end_when_the_worker_is_killed(tmp_path: Path) -> None:
    """A SIGKILLed worker leaves no tagging process behind."""
    import subprocess
    import sys

    pids_file = tmp_path / "pids"
    code = (
        "import time\n"
        "from pathlib import Path\n"
        "from pipeline.settings import Settings\n"
        "from pipeline.tagpool import TaggingPool\n"
        "p = TaggingPool(Settings(), 1)\n"
        "p.warm_up()\n"
        f"Path({str(pids_file)!r}).write_text(' '.join(map(str, p.pids())))\n"
        "time.sleep(60)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while not pids_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        children = [int(p) for p in pids_file.read_text().split()]
        assert children
    finally:
        worker.kill()
        worker.wait()
    deadline = time.monotonic() + 10
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in alive if _alive(pid)]
    assert not alive, f"tagging processes outlived their worker: {alive}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") == -1


def test_a_prepared_article_pickles_to_an_equal_one() -> None:
    """``Prepared.__reduce__`` hands every field back, in order: the round trip is equal."""
    import pickle

    out = prepare_batch(Enricher(Settings()), _articles(), LIMIT)
    assert all(isinstance(o, Prepared) for o in out)
    seed = out[0]
    assert isinstance(seed, Prepared) and seed.alert is not None  # an optional field set
    for prepared in out:
        back = pickle.loads(pickle.dumps(prepared))
        assert type(back) is Prepared
        assert back == prepared  # every field, compared in order


def _bench_items(n: int) -> list[Item]:
    from pipeline.bench.corpus import generate

    return [(dumps(a), NOW) for a in generate(n, 3000)]


def test_batches_in_flight_together_are_answered_in_order(pool: TaggingPool) -> None:
    """Three batches sent before any answer: each caller gets its own batch's outcomes."""
    batches = [_bench_items(30)[i::3] for i in range(3)]

    async def all_at_once() -> list[list[Outcome]]:
        return [list(o) for o in await asyncio.gather(*(pool.prepare(b) for b in batches))]

    answers = asyncio.run(all_at_once())
    for batch, outcomes in zip(batches, answers, strict=True):
        ids = [loads(value)["id"] for value, _ in batch if value is not None]
        assert [o.article_id for o in outcomes if isinstance(o, Prepared)] == ids


def test_a_batch_bigger_than_the_pipes_goes_through(pool: TaggingPool) -> None:
    """400 articles (1.2 MB in, ~3 MB of events out) cross pipes that hold 1 MiB."""
    items = _bench_items(400)
    assert sum(len(v or b"") for v, _ in items) > 1 << 20
    outcomes = asyncio.run(pool.prepare(items))
    assert all(isinstance(o, Prepared) for o in outcomes)
    assert sum(len(o.event) for o in outcomes if isinstance(o, Prepared)) > 2 << 20
    assert [o.article_id for o in outcomes if isinstance(o, Prepared)] == [
        loads(v)["id"] for v, _ in items if v is not None
    ]


def test_a_child_killed_during_a_batch_is_replaced_and_the_batch_tagged() -> None:
    """SIGKILL while a batch is being tagged: the batch goes to a new child and comes back."""
    p = TaggingPool(Settings(), 1)
    try:
        p.warm_up()
        (pid,) = p.pids()
        items = _bench_items(300)

        async def kill_midway() -> list[object]:
            task = asyncio.create_task(p.prepare(items))
            await asyncio.sleep(0.02)  # sent, and being tagged (300 articles take ~60 ms+)
            os.kill(pid, signal.SIGKILL)
            return list(await task)

        outcomes = asyncio.run(kill_midway())
        assert len(outcomes) == 300 and all(isinstance(o, Prepared) for o in outcomes)
        assert p.pids() != [pid]
    finally:
        p.close()


def test_an_error_that_does_not_pickle_comes_back_as_a_runtime_error() -> None:
    """A tagger error whose class cannot be pickled is sent as a RuntimeError naming it."""
    import pickle

    from pipeline.tagpool import _picklable

    class Local(Exception):  # defined in a function: pickle cannot find it by name
        pass

    ok = prepare_batch(Enricher(Settings()), _articles()[1:], LIMIT)
    frame = _picklable([*ok, Local("odd"), InvalidArticle("empty", "no value")])
    back = pickle.loads(frame[8:])
    assert back[0] == ok[0]
    assert isinstance(back[1], RuntimeError) and "Local('odd')" in str(back[1])
    assert isinstance(back[2], InvalidArticle) and back[2].code == "empty"


def test_a_child_that_dies_between_batches_is_noticed_and_replaced() -> None:
    """Killed while idle, in a running loop: its closed pipe marks it dead; the next batch
    goes to a new child."""
    p = TaggingPool(Settings(), 1)
    try:
        p.warm_up()

        async def kill_between() -> tuple[int, list[object], bool]:
            first = await p.prepare(_articles())
            assert all(isinstance(o, Prepared) for o in first)
            (pid,) = p.pids()
            os.kill(pid, signal.SIGKILL)
            for _ in range(100):  # the event loop reads the end of its pipe
                await asyncio.sleep(0.02)
                if p._children[0].dead is not None:
                    break
            noticed = p._children[0].dead is not None
            return pid, list(await p.prepare(_articles())), noticed

        pid, outcomes, noticed = asyncio.run(kill_between())
        assert noticed
        assert [o.article_id for o in outcomes if isinstance(o, Prepared)] == ["seed", "calm"]
        assert p.pids() != [pid]
    finally:
        p.close()

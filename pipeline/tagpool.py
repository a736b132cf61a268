"""Tagging in child processes, so that one worker uses more than one core.

Faust runs every agent in one asyncio thread: tagging, which is pure CPU
work, then holds that thread, and the consuming, producing and committing
wait for it. With ``BRINKWATCH_TAGGING_PROCESSES=N`` the worker hands each
batch of messages (their value bytes) to one of *N* child processes, each
with its own :class:`~pipeline.enrich.Enricher`, which decodes, validates
and tags each one, and gets back :class:`~pipeline.enrich.Prepared` results
(serialised events and a few scalars, cheap to pickle) or the
:class:`~pipeline.errors.InvalidArticle` that sends a message to the dead
letters. The worker runs N + 1 enrich actors so that every child always has
a batch waiting while the worker publishes another.

Each child is a fresh interpreter (``python -c``: the worker has threads,
which ``fork`` does not copy safely) joined to the worker by two pipes of
length-prefixed pickles, answered in order. The worker's side of both pipes
lives in its event loop (``add_reader``/``add_writer``): no thread of the
worker waits on them, so no thread there competes with the event loop for
the GIL. The child sends each batch's results from a thread of its own while
it tags the next batch, whose messages are already in its pipe. (A
``ProcessPoolExecutor`` did neither: its child sent the results itself, then
read the next batch, and both waited on threads of the worker that needed
the GIL between every 64 KB; the child stood idle ~10 % of the time.) A
child ends when its pipe from the worker closes, so a SIGKILLed worker
leaves none behind.

Nothing here imports Kafka; it is the enrich path, moved to other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import logging
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Any, Final

from pipeline.enrich import Enricher, Prepared
from pipeline.errors import BrinkwatchError, InvalidArticle
from pipeline.model import Article, decode_article
from pipeline.settings import Settings
from pipeline.tagging import build_kind

__all__ = ["Item", "Outcome", "TaggingPool", "TaggingProcessDied", "prepare_batch", "serve"]

log = logging.getLogger("brinkwatch.tagpool")

#: One input message: its value bytes (None for a tombstone) and when it was received.
Item = tuple[bytes | None, float]
#: What one message gives: its prepared messages, why it is invalid, or the error tagging raised.
Outcome = Prepared | InvalidArticle | BaseException

#: Each frame on a pipe: its length (8 bytes, little-endian), then a pickle.
_HEADER: Final = struct.Struct("<Q")
#: Pipe buffers are grown to this (Linux's limit for an unprivileged process is 1 MiB by
#: default): a batch of 256 articles of 3 KB fits, so the worker's write is one call.
_PIPE_BYTES: Final = 1 << 20
#: Allocations between two collections of the youngest generation in a tagging process
#: (Python's default is 700; see :func:`serve`).
_GC_YOUNG_THRESHOLD: Final = 10_000
#: How the worker starts a child: a fresh interpreter that takes the worker's ``sys.path``
#: (as ``multiprocessing``'s spawn does, so it imports this very package), then runs :func:`serve`.
_CHILD_CODE: Final = (
    "import sys; sys.path[:] = sys.argv[3:]; "
    "from pipeline.tagpool import serve; sys.exit(serve(sys.argv[1:3]))"
)


class TaggingProcessDied(BrinkwatchError):
    """A tagging process ended (or its pipe broke) before it answered."""


def prepare_batch(enricher: Enricher, items: list[Item], max_bytes: int) -> list[Outcome]:
    """Decode, validate and prepare every ``(value, received_at)`` of *items*, in order.

    A message that is not a valid article gives its
    :class:`~pipeline.errors.InvalidArticle` (values over *max_bytes* are
    ``too_large``); one whose tagging fails (a tagger bug) gives that error.
    Neither loses the others of its batch.
    """
    out: list[Outcome | None] = []
    clock = time.perf_counter
    # (index in out, article, received_at, decode seconds) of each article decoded.
    decoded: list[tuple[int, Article, float, float]] = []
    for value, received_at in items:
        t0 = clock()
        try:
            article = decode_article(value, max_bytes)
        except InvalidArticle as err:
            out.append(err)
            continue
        decoded.append((len(out), article, received_at, clock() - t0))
        out.append(None)
    # The whole batch through each tagger in turn (see Tagger.tag_batch: cache-friendly).
    tagged = enricher.tagger.tag_batch([(a.title, a.body) for _, a, _, _ in decoded])
    for (i, article, received_at, decode_s), (tags, tag_s) in zip(decoded, tagged, strict=True):
        if isinstance(tags, Exception):  # reported per article, as the worker's dead letter
            out[i] = tags
            continue
        try:
            out[i] = enricher.prepare(
                article, received_at, decode_seconds=decode_s, tags=tags, tag_seconds=tag_s
            )
        except Exception as exc:
            out[i] = exc
    # Every decoded article got its outcome above; None would be a bug here, and is
    # reported as that article's error rather than dropped.
    return [RuntimeError("article left untagged") if o is None else o for o in out]


def _frame(obj: object) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def _grow_pipe(fd: int) -> None:
    """Give the pipe of *fd* a buffer of :data:`_PIPE_BYTES` if the system allows it."""
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setpipe is None:  # pragma: no cover - not Linux
        return
    # A lower system limit is no error: the default buffer works too, with more calls.
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, setpipe, _PIPE_BYTES)


# -- the child's side -------------------------------------------------------


def _read_exactly(fd: int, n: int) -> bytearray | None:
    """Read *n* bytes from *fd* (blocking); None at end of file."""
    buf = bytearray(n)
    with memoryview(buf) as view:
        got = 0
        while got < n:
            k = os.readv(fd, [view[got:]])
            if k == 0:
                return None
            got += k
    return buf


def _read_frame(fd: int) -> Any:
    head = _read_exactly(fd, _HEADER.size)
    if head is None:
        raise EOFError
    (n,) = _HEADER.unpack(head)
    data = _read_exactly(fd, n)
    if data is None:
        raise EOFError
    return pickle.loads(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _sender(fd: int, outbox: queue.SimpleQueue[bytes]) -> None:
    """Write each frame put in *outbox* to the worker; end the process if the worker is gone."""
    try:
        while True:
            _write_all(fd, outbox.get())
    except OSError:  # the worker is gone (EPIPE): nothing is left to answer
        os._exit(0)


def _answer(enricher: Enricher, request: tuple[str, Any]) -> Any:
    kind, payload = request
    if kind == "prepare":
        items, max_bytes = payload
        return prepare_batch(enricher, items, max_bytes)
    if kind == "versions":
        return {**enricher.versions, "taggers": build_kind()}
    raise ValueError(f"unknown request {kind!r}")


def _picklable(obj: object) -> bytes:
    """Frame *obj*; an outcome that does not pickle (a tagger's odd error) is a RuntimeError."""
    try:
        return _frame(obj)
    except Exception:
        if isinstance(obj, list):
            return _frame(
                [
                    o if isinstance(o, Prepared | InvalidArticle) else RuntimeError(repr(o))
                    for o in obj
                ]
            )
        return _frame(RuntimeError(repr(obj)))


def serve(argv: list[str]) -> int:
    """Run a tagging process: ``serve([read_fd, write_fd])``, started by :class:`TaggingPool`.

    The first frame from the worker is its :class:`~pipeline.settings.Settings`;
    the child loads the taggers, then answers each ``(kind, payload)`` request in
    order (``prepare``: a list of :data:`Outcome`; ``versions``: the data
    versions), until the worker closes its pipe.
    """
    rfd, wfd = int(argv[0]), int(argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when this process ends
    try:
        settings = _read_frame(rfd)
    except EOFError:
        return 0
    enricher = Enricher(settings)
    # The taggers' tables live as long as the process: out of the collector's sight. A batch
    # allocates ~100 k objects that all die when its answer is sent, so the youngest
    # generation is collected every 10,000 allocations rather than 700 (callgrind, batches of
    # 256 bench articles: 1.58 M -> 1.53 M instructions per article; gen-0 collections per
    # batch ~36 -> ~2).
    gc.collect()
    gc.freeze()
    gc.set_threshold(_GC_YOUNG_THRESHOLD)
    outbox: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    threading.Thread(target=_sender, args=(wfd, outbox), name="answers", daemon=True).start()
    while True:
        try:
            request = _read_frame(rfd)
        except EOFError:
            os._exit(0)  # the worker closed the pipe (or died); its answers are not wanted
        try:
            answer: Any = _answer(enricher, request)
        except Exception as exc:
            answer = exc
        outbox.put(_picklable(answer))


# -- the worker's side ------------------------------------------------------


class _Child:
    """One tagging process and the worker's ends of its two pipes."""

    def __init__(self, settings: Settings) -> None:
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        for fd in (self._out, self._in):
            _grow_pipe(fd)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD_CODE, str(to_child), str(from_child), *sys.path],
            pass_fds=(to_child, from_child),
            stdin=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        for fd in (self._out, self._in):
            os.set_blocking(fd, False)
        self.dead: TaggingProcessDied | None = None
        self._pending: deque[asyncio.Future[Any]] = deque()
        self._rbuf = bytearray()
        self._chunk = bytearray(_PIPE_BYTES)
        self._wbuf = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._send(_frame(settings))

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.proc.pid

    @property
    def load(self) -> int:
        """How many requests it has not answered yet."""
        return len(self._pending)

    # writing ------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        if self._wbuf:
            self._wbuf += data
            return
        try:
            n = os.write(self._out, data)
        except BlockingIOError:
            n = 0
        except OSError as exc:
            self._died(f"its pipe broke ({exc})")
            return
        if n < len(data):
            self._wbuf += memoryview(data)[n:]
            if self._loop is not None:
                self._loop.add_writer(self._out, self._on_writable)

    def _on_writable(self) -> None:
        try:
            n = os.write(self._out, self._wbuf)
        except BlockingIOError:
            return
        except OSError as exc:
            self._died(f"its pipe broke ({exc})")
            return
        del self._wbuf[:n]
        if not self._wbuf and self._loop is not None:
            self._loop.remove_writer(self._out)

    # reading ------------------------------------------------------------

    def _on_readable(self) -> None:
        try:
            with memoryview(self._chunk) as chunk:
                n = os.readv(self._in, [chunk])
                if n:
                    self._rbuf += chunk[:n]
        except BlockingIOError:
            return
        except OSError as exc:
            self._died(f"its pipe broke ({exc})")
            return
        if not n:
            code = self.proc.poll()  # not waited for here: the event loop must not block
            self._died("it closed its pipe" + ("" if code is None else f" (exit code {code})"))
            return
        buf = self._rbuf
        while len(buf) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buf)
            end = _HEADER.size + size
            if len(buf) < end:
                break
            fut = self._pending.popleft()
            if not fut.cancelled():
                try:
                    with memoryview(buf) as view, view[_HEADER.size : end] as data:
                        fut.set_result(pickle.loads(data))
                except Exception as exc:
                    fut.set_exception(exc)
            del buf[:end]

    def _died(self, why: str) -> None:
        if self.dead is not None:
            return
        self.dead = TaggingProcessDied(f"tagging process {self.pid} stopped answering: {why}")
        self._unbind()
        while self._pending:
            fut = self._pending.popleft()
            if not fut.done():
                fut.set_exception(self.dead)

    # binding to an event loop -----------------------------------------------

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            return
        self._unbind()
        self._loop = loop
        loop.add_reader(self._in, self._on_readable)
        if self._wbuf:
            loop.add_writer(self._out, self._on_writable)

    def _unbind(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None or loop.is_closed():
            return
        loop.remove_reader(self._in)
        loop.remove_writer(self._out)

    # requests -------------------------------------------------------------

    async def request(self, kind: str, payload: Any) -> Any:
        """Send one request; return its answer (raise :class:`TaggingProcessDied` if none comes)."""
        if self.dead is not None:
            raise self.dead
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A new event loop (tests run one per call): answers still due to the old
            # one are lost with it, so they are failed rather than left in the queue.
            for old in self._pending:
                if not old.done():
                    old.cancel()
            self._bind(loop)
        fut: asyncio.Future[Any] = loop.create_future()
        self._pending.append(fut)
        self._send(_frame((kind, payload)))  # a broken pipe fails the future at once
        return await fut

    def request_blocking(self, kind: str, payload: Any, timeout: float) -> Any:
        """Send one request and wait for its answer, outside any event loop."""
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(asyncio.wait_for(self.request(kind, payload), timeout))
        finally:
            self._unbind()
            loop.close()

    def close(self) -> None:
        """Close the pipes (the child ends when it reads their end), then make sure it did."""
        self._unbind()
        for fd in (self._out, self._in):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGTERM is not handled there
            self.proc.kill()
            self.proc.wait()


class TaggingPool:
    """*processes* child processes that prepare batches of articles (see the module doc)."""

    def __init__(self, settings: Settings, processes: int) -> None:
        """Start the children; each loads the taggers before it takes work."""
        if processes < 1:
            raise ValueError(f"a tagging pool needs at least one process, got {processes}")
        self.settings = settings
        self.processes = processes
        self._children = [_Child(settings) for _ in range(processes)]

    def warm_up(self, timeout: float = 300.0) -> dict[str, str]:
        """Block until the children have started and loaded their taggers; return their versions.

        The versions are the worker's ``brinkwatch_build_info`` (the data files the
        children tag with).
        """
        versions: list[dict[str, str]] = [
            c.request_blocking("versions", None, timeout) for c in self._children
        ]  # every child, not just the first to answer
        return versions[0]

    async def prepare(self, items: list[Item]) -> list[Outcome]:
        """Prepare *items* in the least busy child; if it died, start another and retry once.

        A second failure raises: the caller tags the batch itself.
        """
        limit = self.settings.max_message_bytes
        child = min(self._children, key=lambda c: (c.dead is not None, c.load))
        try:
            if child.dead is None:
                return list(await child.request("prepare", (items, limit)))
        except TaggingProcessDied:
            pass
        child = self._replace(child)
        return list(await child.request("prepare", (items, limit)))

    def _replace(self, child: _Child) -> _Child:
        """Start a child in the place of the dead *child*; return it.

        Several batches may have been waiting on the dead child: the first to
        get here replaces it, the others take the least busy child.
        """
        if child not in self._children:
            return min(self._children, key=lambda c: c.load)
        i = self._children.index(child)
        log.error("%s; starting another", child.dead or "a tagging process died")
        child.close()
        fresh = _Child(self.settings)
        self._children[i] = fresh
        return fresh

    def pids(self) -> list[int]:
        """Return the process ids of the children."""
        return sorted(c.pid for c in self._children)

    def close(self) -> None:
        """Stop the children (pending work is dropped: its offsets were never acknowledged)."""
        for c in self._children:
            c.close()

"""The Faust passthrough: a bare agent that forwards records, with the worker's Faust settings.

It reads ``topic_articles`` and writes every record unchanged to
``topic_enriched`` of the given settings, through a ``faust.App`` built from
the same :func:`pipeline.app.faust_settings` as the Brinkwatch worker and
consuming the stream and producing the same way as
:meth:`pipeline.app.Worker._enrich_agent`, so that the worker's rate divided
by this one is the share left to Brinkwatch's own work.

Run as a child process by the benchmark: ``python -m pipeline.bench.passthrough``
(settings from the environment, like ``brinkwatch worker``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from pipeline.broker import stop_process
from pipeline.settings import Settings

__all__ = ["PassthroughProcess", "build_app", "main"]


def build_app(settings: Settings) -> Any:
    """Return a ``faust.App`` whose one agent forwards ``topic_articles`` to ``topic_enriched``."""
    import faust

    from pipeline.app import faust_settings

    s = settings
    app = faust.App(s.app_id, **faust_settings(s))
    raw: dict[str, Any] = {"value_serializer": "raw", "key_serializer": "raw"}
    source = app.topic(s.topic_articles, **raw)
    sink = s.topic_enriched

    async def forward(stream: Any) -> None:
        send = app.producer.send
        async for event in stream.events():
            await send(sink, event.key, event.value, None, None, None)

    app.agent(source, name="forward")(forward)
    return app


def main() -> int:
    """Run the passthrough app until SIGTERM (settings from the environment)."""
    from pipeline.app import faust_worker

    settings = Settings.from_env()
    worker = faust_worker(build_app(settings), settings.log_level)
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


class PassthroughProcess:
    """``python -m pipeline.bench.passthrough`` as a child process with its own log file."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        """Start the passthrough app with *settings* passed as environment variables."""
        import os

        env = dict(os.environ)
        env.update(settings.as_env())
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pipeline.bench.passthrough"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def alive(self) -> bool:
        """Return True while the process runs."""
        return self.proc.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        """Return the last *lines* of the log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop it: SIGTERM, then SIGKILL after *timeout* seconds."""
        stop_process(self.proc, timeout=timeout)


if __name__ == "__main__":
    sys.exit(main())

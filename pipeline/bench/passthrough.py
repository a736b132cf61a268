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

import sys
from typing import Any

from pipeline.runner import WorkerProcess
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


class PassthroughProcess(WorkerProcess):
    """``python -m pipeline.bench.passthrough`` as a child process with its own log file."""

    ARGS = ("-m", "pipeline.bench.passthrough")


if __name__ == "__main__":
    sys.exit(main())

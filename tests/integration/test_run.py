"""`brinkwatch run --once`: what `make run ONCE=1` does on a fresh clone."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from tests.conftest import SEED

pytestmark = pytest.mark.integration


def test_run_once_prints_the_seed_summary_and_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Broker, topics, worker and feed start, the seed comes out enriched and alerted, exit 0."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRINKWATCH_METRICS_PORT", "0")
    assert main(["run", "--once", "--timeout", "120", str(SEED.parent)]) == 0
    out = capsys.readouterr().out
    assert "Seoul Warns Russia over North Korea's Role in Ukraine Conflict" in out
    assert "countries: RU" in out or "countries: KR" in out
    assert "ALERT" in out and "done: 1 article(s) enriched" in out
    assert (tmp_path / ".run" / "worker.log").exists()


def test_run_once_fails_clearly_when_nothing_comes_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a worker that cannot enrich in time, run --once exits 1 and says what is missing."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRINKWATCH_METRICS_PORT", "0")
    # A bad entity backend setting makes the worker exit at start-up, so nothing is enriched.
    monkeypatch.setenv("BRINKWATCH_SPACY_MODEL", "no_such_model_xyz")
    monkeypatch.setenv("BRINKWATCH_ENTITY_BACKEND", "spacy")
    rc = main(["run", "--once", "--timeout", "20", str(SEED.parent)])
    captured = capsys.readouterr()
    assert rc == 1
    assert "worker" in (captured.out + captured.err)

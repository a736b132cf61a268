"""The command line, in process: `main(argv) -> exit code`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from pipeline.cli import main
from pipeline.serde import load_schema
from pipeline.settings import ENV_VARS
from tests.conftest import ROOT, SEED


@pytest.fixture(scope="module")
def seed_event() -> dict:  # type: ignore[type-arg]
    """The enriched event `brinkwatch tag` prints for the seed article."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["tag", str(SEED)]) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, "one JSON line per input article"
    event: dict = json.loads(lines[0])  # type: ignore[type-arg]
    return event


def test_tag_prints_a_schema_valid_event(seed_event: dict) -> None:  # type: ignore[type-arg]
    """The event validates against schemas/enriched.schema.json, offsets slice to their text."""
    Draft202012Validator(load_schema("enriched"), format_checker=FormatChecker()).validate(
        seed_event
    )
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    fields = {"title": title.strip(), "body": body.strip()}
    for country in seed_event["countries"]:
        for ev in country["evidence"]:
            assert fields[ev["field"]][ev["start"] : ev["end"]] == ev["text"]
    for sig in seed_event["escalation"]["signals"]:
        assert fields[sig["field"]][sig["start"] : sig["end"]] == sig["term"]


def test_seed_countries_with_evidence(seed_event: dict) -> None:  # type: ignore[type-arg]
    """South Korea, Russia, North Korea and Ukraine are found, each with evidence; one focus."""
    by_code = {c["code"]: c for c in seed_event["countries"]}
    assert {"KR", "RU", "KP", "UA"} <= set(by_code)
    assert all(by_code[c]["evidence"] for c in ("KR", "RU", "KP", "UA"))
    assert sum(c["focus"] for c in seed_event["countries"]) == 1


def test_seed_people_and_organisations(seed_event: dict) -> None:  # type: ignore[type-arg]
    """The seed's people are PERSON tied to their countries; its organisations are ORG."""
    people = {e["canonical"]: e["country"] for e in seed_event["entities"] if e["type"] == "PERSON"}
    assert people == {
        "Vladimir Putin": "RU",
        "Kim Jong Un": "KP",
        "Volodymyr Zelenskyy": "UA",
        "Maria Zakharova": "RU",
        "Lim Soo-suk": "KR",
        "Alexander Bastrykin": "RU",
        "Oleksandr Syrskyi": "UA",
    }
    orgs = {e["canonical"] for e in seed_event["entities"] if e["type"] == "ORG"}
    assert {"Interfax", "UN Security Council", "Institute for the Study of War"} <= orgs


def test_seed_escalation(seed_event: dict) -> None:  # type: ignore[type-arg]
    """Elevated or higher, with weapons supply, mobilisation and attacks; the denial is negated."""
    esc = seed_event["escalation"]
    assert esc["level"] in ("elevated", "high", "critical")
    asserted = {s["category"] for s in esc["signals"] if not s["negated"]}
    assert {"arms_transfer", "mobilisation", "air_strike"} <= asserted
    combat = [s for s in esc["signals"] if "combat" in s["term"]]
    assert combat and all(s["negated"] for s in combat)
    assert "no concrete reports" in combat[0]["sentence"]


def test_tag_reports_bad_input_by_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Good records are tagged; a bad one is named by file and line and the exit code is 1."""
    path = tmp_path / "in.jsonl"
    path.write_text('{"title": "A", "body": "Kenya votes."}\n{"title": "B"}\n')
    assert main(["tag", str(path)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1
    assert f"{path}:2:" in captured.err


def test_config_lists_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    """`config --json` prints every variable the settings read."""
    assert main(["config", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == ENV_VARS


def test_usage_and_configuration_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown command and a bad environment variable both exit 2 with a message."""
    assert main(["no-such-command"]) == 2
    monkeypatch.setenv("BRINKWATCH_PARTITIONS", "lots")
    assert main(["config"]) == 2
    assert "BRINKWATCH_PARTITIONS" in capsys.readouterr().err


def test_unreachable_broker_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Feeding a broker that is not there fails with exit 1 and names the address."""
    from pipeline import clients
    from pipeline.broker import free_port

    monkeypatch.setattr(clients, "BOOTSTRAP_TIMEOUT_MS", 1000)
    addr = f"127.0.0.1:{free_port()}"
    assert main(["feed", str(SEED), "-b", addr]) == 1
    assert addr in capsys.readouterr().err


def test_readme_documents_every_setting_and_command() -> None:
    """The README names every environment variable and every command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(v for v in ENV_VARS if f"`{v}`" not in readme)
    assert not missing, f"README lacks {missing}"
    import typer.main

    from pipeline.cli import cli

    group = typer.main.get_command(cli)
    for name in group.commands:  # type: ignore[attr-defined]
        assert f"`{name}" in readme, f"README lacks the {name} command"

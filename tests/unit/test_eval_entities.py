"""Entity evaluation: scoring rules, bad input, the report, and the development set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import DataError
from pipeline.evaluation.entities import TYPES, evaluate, render
from tests.conftest import shared_data


def write(tmp_path: Path, records: list[Any]) -> Path:
    """Write records (dicts or raw strings) as a JSON Lines file."""
    path = tmp_path / "corpus.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ent(text: str, surface: str, kind: str, nth: int = 0) -> dict[str, Any]:
    """Gold entity for the nth occurrence of *surface* in *text*."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return {"start": start, "end": start + len(surface), "type": kind, "text": surface}


TEXT = "Russian President Vladimir Putin met Kim Jong Un in Pyongyang and visited Germany ."


def test_scores_exact_spans_per_type(tmp_path: Path) -> None:
    """Exact spans of the right type are hits; countries named count as LOC; MISC is ignored."""
    gold = [
        ent(TEXT, "Russian", "MISC"),
        ent(TEXT, "Vladimir Putin", "PER"),
        ent(TEXT, "Kim Jong Un", "PER"),
        ent(TEXT, "Pyongyang", "LOC"),
        ent(TEXT, "Germany", "LOC"),
    ]
    result = evaluate(write(tmp_path, [{"text": TEXT, "entities": gold}]))
    assert result["documents"] == 1
    assert result["words"] == len(TEXT.split())
    assert result["per_type"]["PERSON"] == {
        "precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 2, "fp": 0, "fn": 0,
    }  # fmt: skip
    loc = result["per_type"]["LOC"]
    assert (loc["tp"], loc["fp"], loc["fn"]) == (2, 0, 0)  # Pyongyang + the country Germany
    assert result["overall"]["tp"] == 4
    assert result["overall"]["f1"] == 1.0
    assert result["backend"] == "builtin"
    assert isinstance(result["words_per_s"], int) and result["words_per_s"] > 0


def test_misses_and_false_alarms_are_counted(tmp_path: Path) -> None:
    """A gold entity not found is a miss; a wrong type is a miss and a false alarm."""
    text = "Talks in Pyongyang ended ."
    gold = [ent(text, "Pyongyang", "ORG"), ent(text, "Talks", "LOC")]
    result = evaluate(write(tmp_path, [{"text": text, "entities": gold}]))
    org, loc = result["per_type"]["ORG"], result["per_type"]["LOC"]
    assert (org["tp"], org["fp"], org["fn"]) == (0, 0, 1)
    assert (loc["tp"], loc["fp"], loc["fn"]) == (0, 1, 1)
    assert result["overall"]["precision"] == 0.0
    assert result["overall"]["f1"] == 0.0


def test_limit_and_blank_lines(tmp_path: Path) -> None:
    """--limit scores the first N documents; blank lines are skipped."""
    doc = {"text": TEXT, "entities": []}
    path = write(tmp_path, [doc, "", doc, doc])
    assert evaluate(path, limit=2)["documents"] == 2
    assert evaluate(path)["documents"] == 3


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"entities": []}), "'text'"),
        (json.dumps({"text": "x"}), "'entities'"),
        (
            json.dumps({"text": "abc", "entities": [{"start": 2, "end": 9, "type": "PER"}]}),
            "offsets",
        ),
        (json.dumps({"text": "abc", "entities": [{"start": 0, "end": 1, "type": "DATE"}]}), "type"),
        (json.dumps({"text": "abc", "entities": ["x"]}), "not an object"),
    ],
)
def test_bad_line_raises_data_error(tmp_path: Path, line: str, reason: str) -> None:
    """A bad record names the file, its line number and the reason."""
    path = write(tmp_path, [{"text": TEXT, "entities": []}, line])
    with pytest.raises(DataError, match=reason) as info:
        evaluate(path)
    assert info.value.line == 2
    assert info.value.path == str(path)


def test_missing_file_raises_data_error(tmp_path: Path) -> None:
    """A file that cannot be read is a DataError for the whole file."""
    with pytest.raises(DataError) as info:
        evaluate(tmp_path / "absent.jsonl")
    assert info.value.line is None


def test_render_lists_every_type(tmp_path: Path) -> None:
    """The plain-text report has the overall line, one line per type and the speed."""
    result = evaluate(write(tmp_path, [{"text": TEXT, "entities": []}]))
    report = render(result)
    lines = report.splitlines()
    assert lines[0].startswith("entity tagging: builtin on 1 documents")
    for kind in ("overall", *TYPES):
        assert any(line.startswith(kind) for line in lines), kind
    assert "words/s" in lines[-1]


def test_conll_development_set() -> None:
    """On the CoNLL-2003 development set the built-in extractor meets the issue's targets."""
    result = evaluate(shared_data("conll2003-dev.jsonl"))
    assert result["documents"] == 216
    assert result["overall"]["f1"] >= 0.65
    assert result["per_type"]["PERSON"]["f1"] >= 0.75
    assert result["per_type"]["LOC"]["f1"] >= 0.75

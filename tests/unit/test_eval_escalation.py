"""Tests of the escalation evaluation: reading, scoring both tasks, baseline and report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import DataError
from pipeline.evaluation.escalation import KEYWORDS, TAGGERS, evaluate, render

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CAMEO = SHARED / "cameo-sentences-dev.jsonl"

SENTENCES = [
    ("Rebels attacked an army base and killed ten soldiers.", 4),  # material, found
    ("Police detained dozens of protesters in the capital.", 4),  # material, found
    ("The stock market rallied on Monday.", 4),  # material, missed (a noisy label)
    ("The minister condemned the decision as illegal.", 3),  # verbal, found
    ("The court adjourned until Friday.", 3),  # verbal, missed
    ("The two leaders met for talks on trade.", 1),  # negative, quiet
    ("The army did not attack the town.", 2),  # negative, negated: quiet
    ("Germany sent aid to fight the Ebola epidemic.", 2),  # negative, suppressed: quiet
    ("Putin said the military bombed the wrong target.", 0),  # negative, false positive
]


def write(path: Path, rows: list[tuple[str, int]]) -> Path:
    """Write labelled sentences as JSON Lines."""
    path.write_text(
        "".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows), encoding="utf-8"
    )
    return path


def test_evaluate_counts_both_tasks(tmp_path: Path) -> None:
    """Material (4 vs 0-2) and any-conflict (3-4 vs 0-2) are scored from the same predictions."""
    result = evaluate(write(tmp_path / "s.jsonl", SENTENCES))
    assert result["tagger"] == "brinkwatch"
    assert result["sentences"] == len(SENTENCES)
    assert {k: result["material"][k] for k in ("tp", "fp", "fn")} == {"tp": 2, "fp": 1, "fn": 1}
    assert {k: result["any_conflict"][k] for k in ("tp", "fp", "fn")} == {
        "tp": 3,
        "fp": 1,
        "fn": 2,
    }
    assert result["material"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["material"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["any_conflict"]["f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35, abs=1e-4)
    assert result["positive_rate_by_label"]["1"] == 0.0
    assert result["sentences_per_s"] > 0


def test_keyword_baseline_is_a_bag_of_words(tmp_path: Path) -> None:
    """The baseline fires on any keyword, negated or not."""
    result = evaluate(write(tmp_path / "s.jsonl", SENTENCES), tagger="keywords")
    assert result["tagger"] == "keywords"
    # 'attacked', 'protesters', 'attack', 'fight' and 'bombed' are all keywords.
    assert result["material"]["tp"] == 2
    assert result["material"]["fp"] == 3
    assert {"attack", "war", "threat", "sanctions", "troops", "military"} <= KEYWORDS
    assert TAGGERS == ("brinkwatch", "keywords")


def test_limit_reads_the_first_sentences(tmp_path: Path) -> None:
    """--limit N evaluates the first N sentences only."""
    result = evaluate(write(tmp_path / "s.jsonl", SENTENCES), limit=2)
    assert result["sentences"] == 2
    assert result["material"]["tp"] == 2


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"label": 4}', "'text' must be a string"),
        ('{"text": "x", "label": 7}', "'label' must be an integer 0-4"),
        ('{"text": "x", "label": true}', "'label' must be an integer 0-4"),
    ],
)
def test_bad_line_raises_data_error(tmp_path: Path, line: str, reason: str) -> None:
    """A bad record names the file, its 1-based line and the reason."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "Rebels attacked.", "label": 4}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        evaluate(path)
    assert (info.value.path, info.value.line) == (str(path), 3)
    assert reason in info.value.reason


def test_missing_file_and_unknown_tagger(tmp_path: Path) -> None:
    """A missing file is a DataError; an unknown tagger a ValueError."""
    with pytest.raises(DataError):
        evaluate(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match="unknown tagger"):
        evaluate(write(tmp_path / "s.jsonl", SENTENCES), tagger="magic")


def test_render_reports_both_tasks(tmp_path: Path) -> None:
    """The text report names the tagger and gives both tasks' figures."""
    text = render(evaluate(write(tmp_path / "s.jsonl", SENTENCES)))
    assert "brinkwatch" in text
    assert "material" in text
    assert "any_conflict" in text
    assert "0.667" in text


@pytest.mark.slow
def test_targets_on_the_cameo_sentences() -> None:
    """On the CAMEO development sentences the tagger beats its targets and the baseline."""
    if not CAMEO.exists():
        pytest.skip(f"{CAMEO} not available")
    ours = evaluate(CAMEO)
    baseline = evaluate(CAMEO, tagger="keywords")
    assert ours["material"]["f1"] >= 0.80
    assert ours["any_conflict"]["f1"] >= 0.75
    assert ours["material"]["f1"] > baseline["material"]["f1"] + 0.15
    assert ours["any_conflict"]["f1"] > baseline["any_conflict"]["f1"] + 0.15

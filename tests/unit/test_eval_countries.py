"""Tests of the country tagging evaluation (figures, errors, and a run on Reuters data)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import DataError
from pipeline.evaluation import countries as ev

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REUTERS = DATA / "reuters21578-dev.jsonl"

# title -> (gold labels, what the fake tagger predicts, its focus)
_CASES: dict[str, tuple[list[str], set[str], str | None]] = {
    **{f"r{i}": (["RU"], {"RU"}, "RU") for i in range(1, 8)},
    "r8": (["RU"], {"RU", "US"}, "US"),
    "r9": (["RU"], set(), None),
    "r10": (["RU"], {"UA"}, "UA"),
    "r11": (["US"], {"US"}, "US"),
    "r12": (["US"], set(), None),
    "r13": (["US", "JP"], {"JP"}, "JP"),
}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    """Write *records* as JSON Lines to *path*."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A 13-story file and a fake tagger that predicts what ``_CASES`` says."""

    def predictor() -> Callable[[str, str], tuple[set[str], str | None]]:
        def predict(title: str, body: str) -> tuple[set[str], str | None]:
            _, predicted, focus = _CASES[title]
            return set(predicted), focus

        return predict

    monkeypatch.setattr(ev, "_brinkwatch", predictor)
    records = [
        {"id": i, "title": t, "body": "text", "countries": gold}
        for i, (t, (gold, _, _)) in enumerate(_CASES.items())
    ]
    return write_jsonl(tmp_path / "tiny.jsonl", records)


def test_figures_computed_by_hand(fake: Path) -> None:
    """Micro, micro excluding US, macro and focus figures match a hand count.

    Full sets: TP 10, FP 2 (r8 US, r10 UA), FN 4 (r9 RU, r10 RU, r12 US, r13 US).
    Without US: TP 9, FP 1, FN 2. Macro: only RU has 10 gold stories (TP 8,
    FP 0, FN 2). Focus (US excluded): 11 stories keep a label, 10 have a
    prediction, 8 of those have their focus in gold (r8 and r10 do not).
    """
    result = ev.evaluate(fake, exclude=["us"])
    assert result["tagger"] == "brinkwatch"
    assert result["articles"] == 13
    assert result["micro"] == {
        "precision": 0.8333, "recall": 0.7143, "f1": 0.7692, "tp": 10, "fp": 2, "fn": 4
    }
    excl = result["micro_excluding"]
    assert excl["excluded"] == ["US"]
    assert (excl["precision"], excl["recall"], excl["f1"]) == (0.9, 0.8182, 0.8571)
    assert result["macro_countries"] == 1
    assert result["macro_f1"] == 0.8889
    ru = result["per_country"]["RU"]
    assert {k: v for k, v in ru.items() if k not in ("tp", "fp", "fn")} == {
        "gold": 10,
        "predicted": 8,
        "precision": 1.0,
        "recall": 0.8,
        "f1": 0.8889,
    }
    assert result["focus_articles"] == 11
    assert result["focus_accuracy"] == 0.7273
    assert result["focus_predicted"] == 10
    assert result["focus_accuracy_predicted"] == 0.8
    assert result["focus_coverage"] == 0.9091
    assert result["articles_per_s"] > 0


def test_focus_without_exclusion(fake: Path) -> None:
    """Without --exclude, all 13 labelled stories count: 11 have a focus, 9 right.

    The headline figure counts the two stories without a prediction as misses.
    """
    result = ev.evaluate(fake)
    assert "micro_excluding" not in result
    assert result["focus_articles"] == 13
    assert result["focus_accuracy"] == 0.6923
    assert result["focus_predicted"] == 11
    assert result["focus_accuracy_predicted"] == 0.8182


def test_limit(fake: Path) -> None:
    """limit keeps the first N stories."""
    result = ev.evaluate(fake, limit=7)
    assert result["articles"] == 7
    assert result["micro"]["f1"] == 1.0


def test_render(fake: Path) -> None:
    """render() shows every figure and the per-country table."""
    text = ev.render(ev.evaluate(fake, exclude=["US"]))
    for needle in ("micro excl. US", "0.857", "macro F1", "0.889", "focus accuracy", "RU"):
        assert needle in text


def test_real_tagger_on_clear_stories(tmp_path: Path) -> None:
    """The real tagger finds the countries clearly named in short stories."""
    path = write_jsonl(
        tmp_path / "clear.jsonl",
        [
            {
                "title": "Russia warns Ukraine",
                "body": "Russia said it warned Ukraine.",
                "countries": ["RU", "UA"],
            },
            {
                "title": "Japan exports rise",
                "body": "Japan said exports rose in May.",
                "countries": ["JP"],
            },
        ],
    )
    result = ev.evaluate(path)
    assert result["micro"]["f1"] == 1.0
    assert result["focus_accuracy"] == 1.0
    assert result["data_version"].startswith("countries/")


def test_geotext_baseline(tmp_path: Path) -> None:
    """The geotext baseline runs on the same file."""
    pytest.importorskip("geotext")
    path = write_jsonl(
        tmp_path / "one.jsonl",
        [{"title": "Talks", "body": "France and Spain met in Madrid.", "countries": ["FR"]}],
    )
    result = ev.evaluate(path, tagger="geotext")
    assert result["tagger"] == "geotext"
    assert result["micro"]["recall"] == 1.0


def test_unknown_tagger(fake: Path) -> None:
    """An unknown tagger name is refused."""
    with pytest.raises(ValueError, match="unknown tagger"):
        ev.evaluate(fake, tagger="nope")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"body": "x", "countries": []}', "'title'"),
        ('{"title": "x", "countries": []}', "'body'"),
        ('{"title": "x", "body": "y"}', "'countries'"),
        ('{"title": "x", "body": "y", "countries": "RU"}', "'countries'"),
    ],
)
def test_bad_line_raises_data_error(tmp_path: Path, line: str, reason: str) -> None:
    """A bad second line raises DataError naming the file and line 2."""
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"title": "t", "body": "b", "countries": ["RU"]})
    path.write_text(f"{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        ev.evaluate(path)
    assert info.value.path == str(path)
    assert info.value.line == 2
    assert reason in info.value.reason


def test_missing_file_raises_data_error(tmp_path: Path) -> None:
    """A file that cannot be read raises DataError without a line."""
    with pytest.raises(DataError) as info:
        ev.evaluate(tmp_path / "absent.jsonl")
    assert info.value.line is None


def test_gold_field_option(tmp_path: Path) -> None:
    """gold_field picks another list of codes."""
    path = write_jsonl(
        tmp_path / "modern.jsonl",
        [
            {
                "title": "Soviet grain",
                "body": "Soviet buyers bought wheat.",
                "countries": ["SU"],
                "countries_modern": ["RU"],
            }
        ],
    )
    assert ev.evaluate(path)["micro"]["f1"] == 0.0
    assert ev.evaluate(path, gold_field="countries_modern")["micro"]["f1"] == 1.0


@pytest.mark.skipif(not REUTERS.exists(), reason="shared Reuters development data absent")
def test_reuters_sample() -> None:
    """On 300 Reuters stories both taggers run and Brinkwatch beats the geotext baseline."""
    ours = ev.evaluate(REUTERS, gold_field="countries_modern", exclude=["US"], limit=300)
    base = ev.evaluate(
        REUTERS, gold_field="countries_modern", exclude=["US"], tagger="geotext", limit=300
    )
    for result in (ours, base):
        assert result["articles"] == 300
        for key in ("micro", "micro_excluding"):
            assert 0.0 <= result[key]["f1"] <= 1.0
        assert 0.0 <= result["focus_accuracy"] <= 1.0
    assert ours["micro_excluding"]["f1"] > base["micro_excluding"]["f1"]
    assert ours["focus_accuracy"] > base["focus_accuracy"]

"""What every evaluation shares: reading a JSON-lines corpus and scoring counts."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import orjson

from pipeline.errors import DataError

__all__ = ["prf", "read_jsonl"]


def read_jsonl(
    path: pathlib.Path, limit: int | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record)`` for each non-blank line, at most *limit* records.

    Raises :class:`DataError` naming the file (and line) for an unreadable
    file, a line that is not JSON, or a record that is not a JSON object.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise DataError(str(path), None, f"cannot read: {exc.strerror or exc}") from exc
    count = 0
    with handle:
        for line_no, raw in enumerate(handle, start=1):
            if limit is not None and count >= limit:
                return
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise DataError(str(path), line_no, f"not JSON: {exc}") from exc
            if not isinstance(record, dict):
                raise DataError(str(path), line_no, "not a JSON object")
            count += 1
            yield line_no, record


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    """Return precision, recall and F1 (0 when undefined), rounded to 4 places, with the counts."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }

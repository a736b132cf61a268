"""Shared test helpers: the repository root, the seed article and the development data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_be93d98e5d221129.txt"
#: The development sets live beside the repository (never inside it); absent in a user's clone.
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def seed_article() -> tuple[str, str]:
    """Return the seed article's (title, body) as ``brinkwatch`` reads a text file."""
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    return title.strip(), body.strip()


def shared_data(name: str) -> Path:
    """Return the path of a development set, or skip the test when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"development data {name} is not here (it lives outside the repository)")
    return path

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


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test a compiled tagger built from older source: the tests would not test the code.

    (``make test`` rebuilds first; a bare ``pytest`` after an edit lands here.)
    """
    from pipeline.tagging import build_info

    stale = [name for name, state in build_info().items() if state == "stale"]
    if stale:
        pytest.exit(
            f"compiled tagging modules are older than their source: {', '.join(stale)}; "
            "run `make build` (or `make test`, which rebuilds them first)",
            returncode=2,
        )

"""The Cython-compiled taggers: how they are recognised, and that they tag exactly as the source.

``setup.py`` compiles the tagging modules named in ``COMPILED_MODULES`` from
their plain-Python source, stamping each with the SHA-256 of that source.
These tests check the stamp's reading (compiled, source, stale) on fake
modules, and, when this install is compiled, that the compiled taggers give
byte-identical output to the source on the seed and on generated articles of
three sizes (the source runs in a child process whose imports skip the
compiled modules).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from pipeline.bench import build_summary
from pipeline.tagging import (
    COMPILED_MODULES,
    BuildState,
    Tagger,
    build_info,
    build_kind,
    module_state,
)
from tests.conftest import ROOT, SEED

EXTENSION = importlib.machinery.EXTENSION_SUFFIXES[0]


def _fake_module(folder: Path, source: str | None, stamp: str | None) -> ModuleType:
    """A module object as if imported from ``folder/mod<EXTENSION>`` (*stamp*) or ``mod.py``."""
    module = ModuleType("mod")
    if source is not None:
        (folder / "mod.py").write_text(source, encoding="utf-8")
    if stamp is None:
        module.__file__ = str(folder / "mod.py")
    else:
        module.__file__ = str(folder / f"mod{EXTENSION}")
        module.__source_sha256__ = stamp  # type: ignore[attr-defined]
    return module


def _sha(text: str) -> str:
    """SHA-256 of *text* as setup.py computes it (of the file's bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_plain_module_runs_from_source(tmp_path: Path) -> None:
    """A module without the build's stamp is "source"."""
    assert module_state(_fake_module(tmp_path, "x = 1\n", None)) == "source"


def test_a_module_compiled_from_the_source_beside_it_is_compiled(tmp_path: Path) -> None:
    """The stamp equals the hash of the .py beside the extension: "compiled"."""
    source = "x = 1\n"
    assert module_state(_fake_module(tmp_path, source, _sha(source))) == "compiled"


def test_a_module_compiled_from_other_source_is_stale(tmp_path: Path) -> None:
    """The .py was edited after the build: "stale", so the build is never silently trusted."""
    module = _fake_module(tmp_path, "x = 2  # edited\n", _sha("x = 1\n"))
    assert module_state(module) == "stale"


def test_the_pxd_beside_a_module_is_part_of_its_source(tmp_path: Path) -> None:
    """An augmenting .pxd (C types for the build) is hashed with the .py: editing it is stale."""
    source, pxd = "x = 1\n", "cdef class A:\n    pass\n"
    (tmp_path / "mod.pxd").write_text(pxd, encoding="utf-8")
    assert module_state(_fake_module(tmp_path, source, _sha(source + pxd))) == "compiled"
    (tmp_path / "mod.pxd").write_text(pxd + "# edited\n", encoding="utf-8")
    assert module_state(_fake_module(tmp_path, source, _sha(source + pxd))) == "stale"


def test_a_compiled_module_without_source_beside_it_is_trusted(tmp_path: Path) -> None:
    """A wheel may ship the extension alone: with nothing to compare, "compiled"."""
    assert module_state(_fake_module(tmp_path, None, _sha("x = 1\n"))) == "compiled"


@pytest.mark.parametrize(
    ("states", "kind", "summary"),
    [
        (["compiled"] * 4, "compiled", "compiled (Cython)"),
        (["source"] * 4, "source", "pure Python (not compiled)"),
        (["compiled", "source", "compiled", "compiled"], "mixed", "from source: countries"),
        (["compiled", "stale", "source", "compiled"], "stale", "OLDER source: countries"),
    ],
)
def test_build_kind_and_summary(states: list[BuildState], kind: str, summary: str) -> None:
    """One word for the worker's build_info metric; a phrase for the benchmark's report."""
    info = dict(zip(COMPILED_MODULES, states, strict=True))
    assert build_kind(info) == kind
    assert summary in build_summary(info)


def test_build_info_covers_every_compiled_module_and_is_never_stale() -> None:
    """Each module is reported; an extension module always carries its stamp.

    ("stale" cannot happen here: the test session refuses to start with a stale
    build, see conftest.py.)
    """
    info = build_info()
    assert list(info) == list(COMPILED_MODULES)
    for name, state in info.items():
        module = sys.modules[f"pipeline.tagging.{name}"]
        suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
        is_extension = (module.__file__ or "").endswith(suffixes)
        assert state == ("compiled" if is_extension else "source"), (name, module.__file__)


#: A child process that tags with the source modules, whatever is compiled.
_SOURCE_TAGGER = textwrap.dedent(
    """
    import importlib.abc, importlib.util, json, sys
    from pathlib import Path

    NAMES = {NAMES!r}

    class SourceOnly(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name in NAMES:
                file = Path(path[0]) / (name.rsplit(".", 1)[1] + ".py")
                return importlib.util.spec_from_file_location(name, file)
            return None

    sys.meta_path.insert(0, SourceOnly())
    from pipeline.tagging import Tagger, build_kind
    assert build_kind() == "source", build_kind()
    tagger = Tagger()
    for line in sys.stdin:
        article = json.loads(line)
        result = tagger.tag(article["title"], article["body"])
        print(json.dumps([result.countries, result.entities, result.escalation], sort_keys=True))
    """
)


def test_compiled_taggers_tag_exactly_as_the_source() -> None:
    """Seed plus 240 generated articles (1, 3 and 30 KB): identical facts, compiled or not."""
    if build_kind() != "compiled":
        pytest.skip(f"the taggers are not compiled here ({build_info()})")
    from pipeline.bench.corpus import generate

    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    articles = [{"title": title, "body": body}]
    articles += generate(120, 3000) + generate(100, 1000, start=5000)
    articles += generate(20, 30000, start=9000)
    names = {f"pipeline.tagging.{name}" for name in COMPILED_MODULES}
    child = subprocess.run(
        [sys.executable, "-c", _SOURCE_TAGGER.replace("{NAMES!r}", repr(names))],
        input="".join(json.dumps(a) + "\n" for a in articles),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    from_source = child.stdout.splitlines()
    tagger = Tagger()
    assert len(from_source) == len(articles)
    for i, (article, expected) in enumerate(zip(articles, from_source, strict=True)):
        result = tagger.tag(article["title"], article["body"])
        got = json.dumps([result.countries, result.entities, result.escalation], sort_keys=True)
        assert got == expected, f"article {i} differs"


class _Text(str):
    """A str subclass, such as markupsafe.Markup: the compiled helpers take exact str only."""


def test_a_str_subclass_is_tagged_as_the_str() -> None:
    """Each tagger's public ``tag`` accepts a str subclass and gives the plain str's facts."""
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    tagger = Tagger()
    expected = tagger.tag(title, body)
    assert expected.escalation["signals"]  # the seed exercises all three taggers
    got = tagger.tag(_Text(title), _Text(body))
    assert got == expected
    countries = tagger.countries.tag(_Text(title), _Text(body))
    assert countries == expected.countries
    entities = tagger.entities.tag(_Text(title), _Text(body), countries)
    assert entities == expected.entities
    escalation = tagger.escalation.tag(_Text(title), _Text(body), countries, entities)
    assert escalation == expected.escalation

"""Build hook: compile the tagging modules with Cython, falling back to pure Python.

Everything else about the package is declared in pyproject.toml. The tagging
modules listed in ``COMPILED`` stay plain Python (the source of truth, what
mypy and ruff check); Cython compiles the same source into extension modules
that Python imports in its place, because they run the taggers with about a
fifth fewer instructions (README, "Compiled taggers"). Each extension carries
the SHA-256 of the source it was built from, so ``pipeline.tagging.build_info``
can tell a stale build from a current one.

Set ``BRINKWATCH_NO_EXTENSIONS=1`` to install pure Python. Without a C
compiler the build prints a warning and installs pure Python as well.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
#: The modules compiled, in ``pipeline/tagging/``.
COMPILED = ("text", "countries", "entities", "escalation")
#: Where the stamped copies that Cython reads (and the C it writes) go.
GENERATED = ROOT / "build" / "cython"
#: Annotations are for mypy: Cython must not turn them into C types, which would
#: change what the code does (a ``dict[str, bool]``'s ``.get()`` typed as a C int).
DIRECTIVES = {"language_level": 3, "annotation_typing": False}


def _stamped_copy(name: str) -> str:
    """Copy ``pipeline/tagging/<name>.py`` with its source's SHA-256 appended; return its path.

    The source is the ``.py`` and, when there is one, the augmenting ``.pxd`` beside
    it (C types for the compiled build; Cython finds it by the module's name).
    """
    folder = ROOT / "pipeline" / "tagging"
    source = (folder / f"{name}.py").read_bytes()
    pxd = folder / f"{name}.pxd"
    digest = hashlib.sha256(source + (pxd.read_bytes() if pxd.is_file() else b"")).hexdigest()
    # The directives are in the copy too, so that changing them recompiles it.
    stamp = f"\n__source_sha256__ = {digest!r}  # Cython directives: {DIRECTIVES}\n"
    target = GENERATED / "pipeline" / "tagging" / f"{name}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_bytes() != source + stamp.encode():
        target.write_bytes(source + stamp.encode())  # unchanged source: Cython skips it
    return str(target.relative_to(ROOT))


def _extensions() -> list[Extension]:
    """The extension modules to build, or none when asked for pure Python."""
    if os.environ.get("BRINKWATCH_NO_EXTENSIONS"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("warning: Cython is not installed; the taggers stay pure Python", file=sys.stderr)
        return []
    # Floating-point sums stay separate multiply and add even where the CPU could fuse them
    # (e.g. CFLAGS=-march=native), so that scores match the pure-Python build to the last bit.
    args = [] if sys.platform == "win32" else ["-ffp-contract=off"]
    modules = [
        Extension(f"pipeline.tagging.{name}", [_stamped_copy(name)], extra_compile_args=args)
        for name in COMPILED
    ]
    return list(
        cythonize(  # type: ignore[no-untyped-call]
            modules,
            compiler_directives=DIRECTIVES,
            nthreads=os.cpu_count() or 1,
            quiet=True,
        )
    )


class OptionalBuildExt(build_ext):  # type: ignore[misc]  # setuptools is untyped here
    """``build_ext`` that compiles in parallel and falls back to pure Python on failure."""

    def finalize_options(self) -> None:
        """Compile the extensions on every core."""
        super().finalize_options()
        if getattr(self, "parallel", None) is None:
            self.parallel = os.cpu_count() or 1

    def run(self) -> None:
        """Build; without a working compiler, warn and leave the pure-Python modules."""
        try:
            super().run()
        except Exception as exc:  # any build failure means "stay pure Python"
            print(
                f"warning: could not compile the taggers ({exc}); they stay pure Python",
                file=sys.stderr,
            )


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})

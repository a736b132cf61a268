"""``python -m pipeline``: the ``brinkwatch`` command."""

from pipeline.cli import run

run()

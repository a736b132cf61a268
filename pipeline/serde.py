"""JSON in and out (orjson), and the message schemas compiled once.

The schemas in ``schemas/`` are the contract; the validators here are built
from them at import time with fastjsonschema (compiled to Python code).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

__all__ = ["SCHEMA_DIR", "dumps", "load_schema", "loads", "validator"]

#: The folder holding the JSON Schemas of every message.
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


def dumps(obj: Any) -> bytes:
    """Serialise *obj* to compact UTF-8 JSON bytes."""
    return orjson.dumps(obj)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON *data* (raises ``orjson.JSONDecodeError``, a ``ValueError``)."""
    return orjson.loads(data)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return the parsed schema ``schemas/<name>.schema.json``."""
    schema: dict[str, Any] = orjson.loads((SCHEMA_DIR / f"{name}.schema.json").read_bytes())
    return schema


@cache
def validator(name: str) -> Callable[[Any], Any]:
    """Return the compiled validator of schema *name* (built once per process).

    It raises ``fastjsonschema.JsonSchemaValueException`` with the failing
    path in ``.name`` and the reason in ``.message``.
    """
    compiled: Callable[[Any], Any] = fastjsonschema.compile(load_schema(name))
    return compiled

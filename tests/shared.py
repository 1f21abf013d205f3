"""Reference material beside the checkout (../shared): Nexar's schema. Absent → tests skip."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest


def shared_dir() -> Path:
    return Path(os.environ.get("PARTBOT_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")


@functools.cache
def _nexar_schema() -> Any:
    path = shared_dir() / "nexar" / "schema.graphql"
    if not path.exists():
        return None
    from graphql import build_schema

    # graphql-core rejects one design-side field in validate_schema; queries validate fine.
    return build_schema(path.read_text(encoding="utf-8"), assume_valid=True)


def nexar_schema_errors(query: str) -> list[str]:
    """Validation errors of `query` against Nexar's published schema (skips if absent)."""
    schema = _nexar_schema()
    if schema is None:
        pytest.skip(f"Nexar's published schema is not at {shared_dir() / 'nexar/schema.graphql'}")
    from graphql import parse, validate

    return [e.message for e in validate(schema, parse(query))]


def has_nexar_schema() -> bool:
    return _nexar_schema() is not None


def nexar_variable_errors(query: str, variables: dict[str, Any], operation_name: str | None = None) -> list[str]:
    """Errors coercing `variables` for `query` against Nexar's published schema (skips if absent):
    e.g. a `SupPartMatchQuery` field Nexar does not have."""
    schema = _nexar_schema()
    if schema is None:
        pytest.skip(f"Nexar's published schema is not at {shared_dir() / 'nexar/schema.graphql'}")
    from graphql import get_operation_ast, parse
    from graphql.execution.values import get_variable_values

    operation = get_operation_ast(parse(query), operation_name)
    if operation is None:
        return [f"no operation {operation_name!r} in the document"]
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    return [e.message for e in coerced] if isinstance(coerced, list) else []

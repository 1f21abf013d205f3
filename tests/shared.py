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


def nexar_variable_errors(query: str, variables: dict[str, Any]) -> list[str]:
    """Errors coercing `variables` for `query` against Nexar's published schema (skips if absent):
    e.g. a `SupPartMatchQuery` field Nexar does not have."""
    schema = _nexar_schema()
    if schema is None:
        pytest.skip(f"Nexar's published schema is not at {shared_dir() / 'nexar/schema.graphql'}")
    from graphql import OperationDefinitionNode, parse
    from graphql.execution.values import get_variable_values

    operations = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    coerced = get_variable_values(schema, operations[0].variable_definitions or (), variables)
    return [e.message for e in coerced] if isinstance(coerced, list) else []

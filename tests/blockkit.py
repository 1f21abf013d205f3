"""Validate rendered Slack payloads against the public Block Kit JSON Schema.

The schema lives outside the project (``../shared/slack/slack-block-kit.schema.json``,
or ``$PARTBOT_SHARED_DIR/slack/...``). When it is absent, the validating helpers call
``pytest.skip`` with a reason instead of failing; the hand-written limit checks
(≤ 50 blocks, ≤ 1 table) still run first, so they are never skipped.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_NAME = "slack-block-kit.schema.json"
MAX_MESSAGE_BLOCKS = 50
MAX_HOME_BLOCKS = 100


def shared_dir() -> Path:
    env = os.environ.get("PARTBOT_SHARED_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared"


def schema_path() -> Path:
    return shared_dir() / "slack" / SCHEMA_NAME


@cache
def _load(path: str) -> dict[str, Any] | None:
    p = Path(path)
    if not p.is_file():
        return None
    schema: dict[str, Any] = json.loads(p.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


def load_blockkit_schema() -> dict[str, Any] | None:
    """The Block Kit schema as a dict, or None when the shared file is not there."""
    return _load(str(schema_path()))


def _require_schema() -> dict[str, Any]:
    schema = load_blockkit_schema()
    if schema is None:
        pytest.skip(f"Block Kit schema not found at {schema_path()} (set PARTBOT_SHARED_DIR)")
    return schema


@cache
def _message_validator(path: str) -> Draft202012Validator:
    schema = _load(path)
    assert schema is not None
    return Draft202012Validator(schema)


@cache
def _home_validator(path: str) -> Draft202012Validator:
    schema = _load(path)
    assert schema is not None
    base = schema.get("$id") or "urn:partbot:slack-block-kit"
    registry: Registry[Any] = Registry().with_resource(base, Resource.from_contents(schema))
    return Draft202012Validator({"$ref": f"{base}#/$defs/home_view"}, registry=registry)


def _errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    out = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path)
        out.append(f"at /{where}: {err.message[:300]}")
    return out


def _blocks(message: dict[str, Any]) -> Any:
    blocks = message.get("blocks")
    if isinstance(blocks, str):  # form-encoded Web API calls carry blocks as a JSON string
        blocks = json.loads(blocks)
    return blocks


def check_message_limits(message: dict[str, Any]) -> None:
    """Rules the schema does not enforce: ≤ 50 blocks and one table per message, non-empty text."""
    blocks = _blocks(message)
    assert isinstance(blocks, list), "message has no blocks list"
    assert 1 <= len(blocks) <= MAX_MESSAGE_BLOCKS, f"{len(blocks)} blocks (a message allows 1..{MAX_MESSAGE_BLOCKS})"
    tables = sum(1 for b in blocks if b.get("type") == "table")
    assert tables <= 1, f"{tables} table blocks (Slack allows one per message)"
    text = message.get("text")
    assert isinstance(text, str) and text.strip(), "message has no plain-text fallback"


def assert_valid_message(message: dict[str, Any]) -> None:
    """`message` is `{"text": ..., "blocks": [...]}` (e.g. `Message.to_dict()`)."""
    check_message_limits(message)
    _require_schema()
    errors = _errors(_message_validator(str(schema_path())), _blocks(message))
    assert not errors, "blocks are not valid Block Kit:\n" + "\n".join(errors[:20])


def assert_valid_home(view: dict[str, Any] | str) -> None:
    """`view` is a Home tab view: `{"type": "home", "blocks": [...]}` (or its JSON text)."""
    if isinstance(view, str):
        view = json.loads(view)
    assert isinstance(view, dict)
    assert view.get("type") == "home"
    assert 1 <= len(view.get("blocks", [])) <= MAX_HOME_BLOCKS
    _require_schema()
    errors = _errors(_home_validator(str(schema_path())), view)
    assert not errors, "home view is not valid Block Kit:\n" + "\n".join(errors[:20])

"""Build and sign request bodies exactly as Slack sends them to an app.

See https://docs.slack.dev/authentication/verifying-requests-from-slack/ — the
signature is ``v0=`` + hex HMAC-SHA256 of ``b"v0:" + timestamp + b":" + body``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

__all__ = [
    "event_body",
    "interaction_body",
    "signed_headers",
    "slack_signature",
    "slash_command_body",
]

# The legacy verification token Slack still sends in payloads; Bolt ignores it.
_VERIFICATION_TOKEN = "gIkuvaNzQIHg97ATvDxqgjtO"


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return the ``X-Slack-Signature`` value for ``body`` sent at ``timestamp``."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack sends with ``body``; ``timestamp`` defaults to now (epoch seconds)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack_signature(secret, ts, body),
        "Content-Type": content_type,
    }


def slash_command_body(
    text: str,
    *,
    command: str = "/part",
    user_id: str = "U123",
    user_name: str = "alice",
    channel_id: str = "C123",
    team_id: str = "T0001",
    response_url: str,
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
) -> bytes:
    """A slash-command form body, fields in the order Slack sends them."""
    fields: list[tuple[str, str]] = [
        ("token", _VERIFICATION_TOKEN),
        ("team_id", team_id),
        ("team_domain", "partbot-test"),
        ("channel_id", channel_id),
        ("channel_name", "general"),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", "A0001"),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id),
    ]
    return urlencode(fields).encode("utf-8")


def event_body(
    event: dict[str, Any],
    *,
    event_id: str = "Ev0001",
    team_id: str = "T0001",
    api_app_id: str = "A0001",
    bot_user_id: str = "UBOT",
) -> bytes:
    """A JSON ``event_callback`` envelope around ``event`` (Events API, HTTP mode)."""
    event_ts = event.get("event_ts") or event.get("ts")
    event_time = int(float(event_ts)) if event_ts else int(time.time())
    envelope: dict[str, Any] = {
        "token": _VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")


def interaction_body(payload: dict[str, Any]) -> bytes:
    """An interactivity form body: ``payload=<url-encoded JSON>``."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")


def button_click(
    button: dict[str, Any],
    *,
    user: str,
    team: str,
    response_url: str,
    channel: str = "C123",
    container: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The `block_actions` payload Slack sends when `user` of workspace `team` presses
    `button` (a Block Kit button element); on an ephemeral message unless `container` says
    otherwise (a non-ephemeral one also carries its `message`)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "team_id": team},
        "team": {"id": team, "domain": "acme"},
        "channel": {"id": channel, "name": "hw"},
        "container": container or {"type": "message", "is_ephemeral": True},
        "response_url": response_url,
        "trigger_id": "1.2.3",
        "api_app_id": "A0001",
        "token": "x",
        "actions": [
            {"type": "button", "action_id": button["action_id"], "block_id": "b", "value": button["value"], "action_ts": "1"}
        ],
    }
    if message is not None:
        payload["message"] = message
    return payload

"""Socket Mode: the same listeners answer requests that arrive over the socket, unsigned."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.app import Core, build_app, build_core
from bot.settings import Settings
from tests.conftest import BOT_TOKEN, bot_env
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack


@pytest.fixture
def socket_app(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> Iterator[App]:
    env = bot_env(tmp_path, fake_nexar, fake_slack, SLACK_APP_TOKEN="xapp-1-test")
    del env["SLACK_SIGNING_SECRET"]
    core: Core = build_core(Settings.from_mapping(env, mode="socket"))
    try:
        yield build_app(core, "socket")
    finally:
        core.close()


def command(text: str, slack: FakeSlack) -> SocketModeRequest:
    payload = {
        "token": "x",
        "team_id": "T0001",
        "channel_id": "C123",
        "user_id": "U123",
        "command": "/part",
        "text": text,
        "api_app_id": "A0001",
        "response_url": slack.response_url("sock"),
        "trigger_id": "1.2.3",
    }
    return SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=payload)


def test_slash_command_over_the_socket(socket_app: App, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    resp = run_bolt_app(socket_app, command("AD7685ARM x250", fake_slack))
    assert resp.status == 200
    answer = fake_slack.wait_for("response_url")[0].args
    assert answer["blocks"][0]["text"]["text"] == "AD7685ARM — Analog Devices"
    assert len(fake_nexar.requests) == 1


def test_help_is_the_socket_ack_payload(socket_app: App, fake_slack: FakeSlack) -> None:
    resp = run_bolt_app(socket_app, command("help", fake_slack))
    assert resp.status == 200 and "Ask about any part" in json.dumps(json.loads(resp.body))


def test_socket_redeliveries_are_answered_once(socket_app: App, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> NE555DR", "ts": "9.1", "channel": "C1", "event_ts": "9.1"}
    envelope = {
        "token": "x",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": "EvSock",
        "event_time": 9,
        "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
    }
    for attempt in (None, 1):
        req = SocketModeRequest(type="events_api", envelope_id=f"e{attempt}", payload=envelope, retry_attempt=attempt)
        assert run_bolt_app(socket_app, req).status == 200
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == "9.1"
    time.sleep(0.3)  # a second answer, had the redelivery got through, would have arrived by now
    assert len(fake_slack.calls_to("chat.postMessage")) == 1 and len(fake_nexar.requests) == 1
    assert BOT_TOKEN in post.headers["Authorization"]

"""Socket Mode end to end: `python -m bot socket` as a real process, connected over a
loopback websocket to a fake of Slack's Socket Mode (apps.connections.open → hello →
envelopes → acks, disconnect and reconnect), answering through the fake Slack Web API
and response_url, with lookups from the fake Nexar. No internet."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.blockkit import assert_valid_message, load_blockkit_schema
from tests.conftest import BOT_TOKEN, bot_env, mention
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.shared import shared_dir

ROOT = Path(__file__).resolve().parents[1]
WAIT = 60.0  # generous: five other engineers share this 2-core machine


class SocketBot:
    """`python -m bot socket` in a child process; ready once the fake greeted its first connection."""

    def __init__(self, env: dict[str, str], workdir: Path, socket_mode: FakeSocketMode, *, nth: int = 1) -> None:
        self.log_path = workdir / f"socket-bot-{nth}.log"
        self._log = self.log_path.open("w")
        full = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "PYTHONPATH": str(ROOT), **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "socket"], env=full, cwd=workdir, stdout=self._log, stderr=subprocess.STDOUT
        )
        for _ in range(int(WAIT * 4)):
            if socket_mode.connected(nth, timeout=0.25):
                return
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the bot did not connect in Socket Mode:\n" + self.output()[-3000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def wait_logged(self, text: str) -> None:
        """Until the bot has logged `text` (its log is written as it goes)."""
        for _ in range(int(WAIT * 4)):
            if text in self.output() or self.proc.poll() is not None:
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(0.25)
        assert text in self.output(), f"the bot did not log {text!r}:\n" + self.output()[-3000:]


@pytest.fixture
def socket_mode(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode(fake_slack) as fake:
        yield fake


def socket_env(tmp_path: Path, nexar: FakeNexar, slack: FakeSlack, socket_mode: FakeSocketMode, **extra: str) -> dict[str, str]:
    env = bot_env(tmp_path, nexar, slack, SLACK_APP_TOKEN=socket_mode.app_token, **extra)
    del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs none: the connection itself is authenticated
    return env


@pytest.fixture
def socket_bot(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, socket_mode: FakeSocketMode) -> Iterator[SocketBot]:
    bot = SocketBot(socket_env(tmp_path, fake_nexar, fake_slack, socket_mode), tmp_path, socket_mode)
    try:
        yield bot
    finally:
        bot.stop()
        assert "Traceback" not in bot.output(), bot.output()[-3000:]


# --- payloads, shaped as Slack sends them in Socket Mode envelopes --------------------------


def command_payload(text: str, slack: FakeSlack, response: str, *, user: str = "U123") -> dict[str, Any]:
    return {
        "token": "verification-token",
        "team_id": "T0001",
        "team_domain": "partbot-test",
        "channel_id": "C123",
        "channel_name": "hardware",
        "user_id": user,
        "user_name": "alice",
        "command": "/part",
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": slack.response_url(response),
        "trigger_id": "1111.2222.socket",
    }


def event_payload(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": "verification-token",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000001,
        "authorizations": [
            {"enterprise_id": None, "team_id": "T0001", "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event['type']}-T0001-C123",
    }


def share_payload(button: dict[str, Any], slack: FakeSlack) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "U999", "username": "bob", "name": "bob", "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "verification-token",
        "container": {"type": "message", "message_ts": "1700000001.000100", "channel_id": "C123", "is_ephemeral": True},
        "trigger_id": "1111.2222.share",
        "team": {"id": "T0001", "domain": "partbot-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": "C123", "name": "hardware"},
        "response_url": slack.response_url("share"),
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "share",
                "text": {"type": "plain_text", "text": "Share in channel", "emoji": True},
                "value": button["value"],
                "type": "button",
                "action_ts": "1700000002.000300",
            }
        ],
    }


def valid_message(message: dict[str, Any]) -> None:
    """Block Kit validation where the schema is beside the checkout; the rest of a test runs without it."""
    if load_blockkit_schema() is not None:
        assert_valid_message(message)


def share_button(message: dict[str, Any]) -> dict[str, Any]:
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return next(e for e in buttons if e["action_id"] == "share_answer")


def blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def response_posts(slack: FakeSlack, name: str, count: int = 1) -> list[dict[str, Any]]:
    """The messages posted to the fake response_url `name`, once `count` of them arrived."""
    for total in range(count, 1000):
        calls = [c for c in slack.wait_for("response_url", total, timeout=WAIT) if c.path == f"/response/{name}"]
        if len(calls) >= count:
            return [c.args for c in calls]
    raise AssertionError(f"fewer than {count} posts to response_url {name}")


def ask(socket_mode: FakeSocketMode, slack: FakeSlack, text: str, response: str) -> dict[str, Any]:
    """`/part TEXT` over the socket: acked empty, answered through the response_url."""
    envelope_id = socket_mode.slash_command(command_payload(text, slack, response))
    ack = socket_mode.wait_ack(envelope_id, WAIT)
    assert ack.payload is None, f"a lookup is acked empty and answered later, got {ack.payload}"
    message = response_posts(slack, response)[0]
    valid_message(message)
    return message


# --- the surfaces ---------------------------------------------------------------------------


def test_slash_command_is_acked_on_the_socket_and_answered_through_response_url(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    message = ask(socket_mode, fake_slack, "AD7685ARM x250", "first")
    assert message["response_type"] == "ephemeral"
    assert message["blocks"][0]["text"]["text"] == "AD7685ARM — Analog Devices"
    body = blocks_text(message)
    assert "for 250 pcs" in body and "this answer cost 1 matched part" in body
    assert len(fake_nexar.requests) == 1 and fake_nexar.requests[0].variables["q"] == "AD7685ARM"
    opens = fake_slack.calls_to("apps.connections.open")
    assert len(opens) == 1 and opens[0].headers["Authorization"] == f"Bearer {socket_mode.app_token}"
    assert socket_mode.unexpected == []


def test_quick_reply_is_the_ack_payload(socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack) -> None:
    envelope_id = socket_mode.slash_command(command_payload("help", fake_slack, "help"))
    ack = socket_mode.wait_ack(envelope_id, WAIT)
    assert ack.payload is not None and ack.envelope_id == envelope_id
    valid_message(ack.payload)
    assert "Ask about any part" in blocks_text(ack.payload)
    assert fake_slack.calls_to("response_url") == []


def test_mention_is_answered_in_its_thread(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    event = mention("NE555DR x50", ts="1700000005.000200", thread_ts="1700000000.000100")
    envelope_id = socket_mode.event(event_payload(event, "EvSockMention"))
    assert socket_mode.wait_ack(envelope_id, WAIT).payload is None
    post = fake_slack.wait_for("chat.postMessage", timeout=WAIT)[0]
    assert post.args["channel"] == "C123" and post.args["thread_ts"] == "1700000000.000100"
    assert post.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    valid_message(post.args)
    assert "NE555DR" in blocks_text(post.args)
    assert fake_nexar.requests[0].variables["q"] == "NE555DR"


def test_share_button_posts_the_stored_answer_publicly(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    private = ask(socket_mode, fake_slack, "AD7685ARM x250", "private")
    button = share_button(private)
    envelope_id = socket_mode.interactive(share_payload(button, fake_slack))
    assert socket_mode.wait_ack(envelope_id, WAIT).payload is None
    posts = response_posts(fake_slack, "share", 2)
    shared = next(p for p in posts if p.get("response_type") == "in_channel")
    valid_message(shared)
    assert "Shared by <@U999>" in blocks_text(shared) and "AD7685ARM — Analog Devices" in blocks_text(shared)
    assert "Share in channel" not in blocks_text(shared)
    assert any(p.get("delete_original") for p in posts), "the private copy is removed"
    assert len(fake_nexar.requests) == 1, "sharing posts the stored answer; it does not look the part up again"


# --- connection lifecycle -------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["refresh_requested", "warning"])
def test_disconnect_moves_to_a_new_connection_and_keeps_answering(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack, reason: str
) -> None:
    ask(socket_mode, fake_slack, "LM358DR x10", "before")
    first = socket_mode.disconnect(reason)
    second = socket_mode.wait_connected(2, WAIT)
    assert second.ticket != first.ticket
    assert len(fake_slack.calls_to("apps.connections.open")) == 2, "each connection needs a fresh URL"
    socket_mode.wait_closed(first, WAIT)
    message = ask(socket_mode, fake_slack, "NE555DR x50", "after")
    assert message["blocks"][0]["text"]["text"].startswith("NE555DR")
    assert socket_mode.acks[next(reversed(socket_mode.acks))].link == 2


def test_dropped_connection_is_reopened_through_apps_connections_open(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack
) -> None:
    socket_mode.drop()
    socket_mode.wait_connected(2, WAIT)
    assert len(fake_slack.calls_to("apps.connections.open")) == 2
    event = mention("AD7685ARM", ts="1700000007.000100")
    envelope_id = socket_mode.event(event_payload(event, "EvAfterDrop"))
    assert socket_mode.wait_ack(envelope_id, WAIT).link == 2
    post = fake_slack.wait_for("chat.postMessage", timeout=WAIT)[0]
    assert post.args["thread_ts"] == "1700000007.000100"
    assert socket_mode.rejected == 0, "the bot never reuses a spent URL"


def test_redelivered_event_is_acked_and_not_answered_again(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    payload = event_payload(mention("LM358DR x20", ts="1700000008.000100"), "EvSockRetry")
    socket_mode.wait_ack(socket_mode.event(payload), WAIT)
    fake_slack.wait_for("chat.postMessage", timeout=WAIT)
    retry = socket_mode.event(payload, retry_attempt=1, retry_reason="timeout")
    assert socket_mode.wait_ack(retry, WAIT).payload is None, "a redelivery is acked, or Slack keeps retrying"
    socket_bot.wait_logged("ignoring a repeated request (EvSockRetry)")
    assert len(fake_slack.calls_to("chat.postMessage")) == 1 and len(fake_nexar.requests) == 1


@pytest.mark.redis
def test_two_socket_mode_instances_share_quota_and_redeliveries_through_redis(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, socket_mode: FakeSocketMode, redis_url: str
) -> None:
    """Slack spreads envelopes over an app's connections (up to 10); with REDIS_URL, an
    event redelivered to the other instance is still answered once, and quota is one."""
    bots: list[SocketBot] = []
    try:
        for nth in (1, 2):
            workdir = tmp_path / f"bot{nth}"
            workdir.mkdir()
            env = socket_env(workdir, fake_nexar, fake_slack, socket_mode, REDIS_URL=redis_url)
            bots.append(SocketBot(env, workdir, socket_mode, nth=nth))
        first, second = socket_mode.wait_connected(1), socket_mode.wait_connected(2)
        assert first.hello["num_connections"] == 1 and second.hello["num_connections"] == 2
        payload = event_payload(mention("NE555DR x10", ts="1700000009.000100"), "EvTwoInstances")
        assert socket_mode.wait_ack(socket_mode.event(payload, link=first), WAIT).link == 1
        fake_slack.wait_for("chat.postMessage", timeout=WAIT)
        retry = socket_mode.event(payload, retry_attempt=1, retry_reason="timeout", link=second)
        assert socket_mode.wait_ack(retry, WAIT).link == 2
        bots[1].wait_logged("ignoring a repeated request (EvTwoInstances)")
        usage = socket_mode.slash_command(command_payload("usage", fake_slack, "usage"), link=second)
        ack = socket_mode.wait_ack(usage, WAIT)
        assert ack.payload is not None and "1 of 25 matched parts used" in json.dumps(ack.payload)
        assert len(fake_slack.calls_to("chat.postMessage")) == 1 and len(fake_nexar.requests) == 1
    finally:
        for bot in bots:
            bot.stop()
    for bot in bots:
        assert "Traceback" not in bot.output(), bot.output()[-3000:]


# --- Slack's own Socket Mode envelopes (../shared/realworld/slack) ---------------------------


def realworld(name: str) -> dict[str, Any]:
    path = shared_dir() / "realworld" / "slack" / name
    if not path.exists():
        pytest.skip(f"real-world Slack payload {path} is absent")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_realworld_slash_envelope_usage_is_answered_in_the_ack(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    case = realworld("06-socket-envelope-slash-usage.json")
    envelope = copy.deepcopy(case["replay"]["socket_envelope"])
    envelope["payload"].update(case["replay"]["set"], response_url=fake_slack.response_url("usage"))
    socket_mode.send(envelope)
    ack = socket_mode.wait_ack(envelope["envelope_id"], WAIT)
    assert case["expect"]["ack"] == "blocks" and ack.payload is not None
    valid_message(ack.payload)
    assert case["expect"]["ack_contains"] in blocks_text(ack.payload)
    assert fake_slack.calls_to("response_url") == [] and fake_nexar.requests == []


def test_realworld_bare_mention_envelope_gets_help_in_its_thread(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    case = realworld("12-socket-envelope-bare-mention.json")
    envelope = copy.deepcopy(case["replay"]["socket_envelope"])
    socket_mode.send(envelope)
    assert socket_mode.wait_ack(envelope["envelope_id"], WAIT).payload is None
    # Help for a mention goes to the asker only, in the thread.
    post = fake_slack.wait_for("chat.postEphemeral", timeout=WAIT)[0]
    assert post.args["user"] == envelope["payload"]["event"]["user"]
    for key, value in case["expect"]["post"].items():
        assert post.args[key] == value
    valid_message(post.args)
    assert fake_nexar.requests == []


def test_realworld_share_click_arrives_as_an_interactive_envelope(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    case = realworld("22-share-click-ephemeral.json")
    private = ask(socket_mode, fake_slack, "AD7685ARM x250", "private")
    button = share_button(private)
    payload = copy.deepcopy(case["interactive_payload"])
    payload["actions"][0].update(action_id=button["action_id"], value=button["value"])
    payload["response_url"] = fake_slack.response_url("share")
    # Kept answers are filed per workspace: the click comes from the workspace that asked.
    payload["team"] = {"id": "T0001", "domain": "partbot-test"}
    payload["user"]["team_id"] = "T0001"
    envelope_id = socket_mode.interactive(payload)
    assert socket_mode.wait_ack(envelope_id, WAIT).payload is None
    shared = next(p for p in response_posts(fake_slack, "share", 2) if p.get("response_type") == "in_channel")
    assert "Shared by <@W111>" in blocks_text(shared)
    assert len(fake_nexar.requests) == 1


# --- the fake itself ------------------------------------------------------------------------


def test_fake_socket_mode_urls_are_single_use_and_need_the_app_token(socket_mode: FakeSocketMode, fake_slack: FakeSlack) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(base_url=fake_slack.api_url)
    url = client.apps_connections_open(app_token=socket_mode.app_token)["url"]
    with connect(url) as ws:
        hello = json.loads(ws.recv(timeout=WAIT))
        assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == socket_mode.app_id
    with pytest.raises(InvalidStatus), connect(url):
        pass
    assert socket_mode.rejected == 1
    for token, error in ((BOT_TOKEN, "not_allowed_token_type"), ("xapp-1-wrong", "invalid_auth")):
        with pytest.raises(SlackApiError) as info:
            client.apps_connections_open(app_token=token)
        assert info.value.response["error"] == error
    with pytest.raises(SlackApiError) as info:
        WebClient(token=socket_mode.app_token, base_url=fake_slack.api_url).chat_postMessage(channel="C1", text="x")
    assert info.value.response["error"] == "not_allowed_token_type"


def test_sigterm_lets_a_running_lookup_finish_then_exits(
    socket_bot: SocketBot, socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    """A deploy stops the process with SIGTERM: no new envelopes, the lookup in flight answers."""
    fake_nexar.latency = 2.0
    envelope_id = socket_mode.slash_command(command_payload("AD7685ARM x250", fake_slack, "draining"))
    assert socket_mode.wait_ack(envelope_id, WAIT).payload is None
    deadline = time.monotonic() + WAIT
    while not fake_nexar.requests and time.monotonic() < deadline:  # the lookup is in flight
        time.sleep(0.05)
    socket_bot.proc.send_signal(signal.SIGTERM)
    assert socket_bot.proc.wait(WAIT) == 0
    assert "AD7685ARM" in json.dumps(response_posts(fake_slack, "draining")[0])
    assert "finishing the jobs in flight" in socket_bot.output()

"""Every real Slack request in ../shared/realworld/slack/, replayed against the real app.

HTTP ones are signed as Slack signs them (or tampered as the file says) and sent to the
bot's WSGI app on loopback; Socket Mode envelopes go through Bolt's socket-mode dispatch.
The bot runs on its sample catalog against a recording fake Slack, and each file's
`expect` is checked. Skipped when ../shared is absent.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.app import build_app, build_core
from bot.domain.workspace import Workspace
from bot.jobs import Jobs
from bot.settings import Settings
from bot.web import Front
from tests.blockkit import assert_valid_message
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, bot_env, free_port
from tests.fakes.signing import signed_headers
from tests.fakes.slack import FakeSlack, SlackCall
from tests.shared import shared_dir

SLACK_DIR = shared_dir() / "realworld" / "slack"
CASES: dict[str, dict[str, Any]] = (
    {c["id"]: c | {"file": p.name} for p in sorted(SLACK_DIR.glob("*.json")) for c in [json.loads(p.read_text("utf-8"))]}
    if SLACK_DIR.is_dir()
    else {}
)
BOM_CSV = b"MPN,Qty\nAD7685ARM,10\nNE555DR,25\nLM358DR,5\n"
WAIT = 10.0
# Payloads that need an earlier one: a redelivery needs the first delivery, a Share click
# needs a private answer to share (and a second click needs the first).
PREREQUISITES = {
    "mention-enterprise-retry": ["mention-enterprise-lookup"],
    "share-click-ephemeral": ["slash-enterprise-grid"],
    "share-click-again": ["slash-enterprise-grid", "share-click-ephemeral"],
}


def test_the_corpus_is_all_here() -> None:
    if not CASES:
        pytest.skip(f"real-world Slack requests not found at {SLACK_DIR}")
    assert len(CASES) == 29


T = TypeVar("T")


class CountingJobs(Jobs):
    """The job pool, and the name of every job submitted: a request that starts no job
    cannot look anything up or post anything later."""

    def __init__(self) -> None:
        super().__init__(16)
        self.jobs: list[str] = []
        self.futures: list[Future[object]] = []

    def submit(self, fn: Callable[[], T], name: str = "") -> Future[T]:
        self.jobs.append(name or getattr(fn, "__name__", "job"))
        future = super().submit(fn, name)
        self.futures.append(future)  # type: ignore[arg-type]
        return future

    def settle(self) -> None:
        """Wait for every job submitted so far to finish."""
        wait(list(self.futures), timeout=30)


@dataclass
class Reply:
    status: int
    body: str


def workspace_of(case: dict[str, Any]) -> str:
    envelope = (case.get("replay") or {}).get("socket_envelope")
    payload = case.get("json") or case.get("interactive_payload") or (envelope or {}).get("payload")
    if payload is None:
        payload = dict(parse_qsl(case.get("form", ""), keep_blank_values=True))
    return Workspace.of(payload).key


@dataclass
class Replayer:
    """The bot (HTTP and Socket Mode) against one fake Slack, and what earlier payloads left."""

    slack: FakeSlack
    http_app: App
    socket_app: App
    http: httpx.Client
    runners: list[CountingJobs]
    share_values: dict[str, str] = field(default_factory=dict)
    """A private answer's Share value, per workspace: kept answers are filed per workspace."""
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def jobs(self) -> list[str]:
        return [j for r in self.runners for j in r.jobs]

    def send(self, case: dict[str, Any]) -> Reply:
        replay = case.get("replay") or {}
        if "socket_envelope" in replay:
            return self._socket(case, replay["socket_envelope"])
        body, content_type = self._body(case)
        headers = signed_headers(
            "not-the-signing-secret" if replay.get("tamper") == "secret" else SIGNING_SECRET,
            body,
            content_type=content_type,
            timestamp=int(time.time()) - 360 if replay.get("tamper") == "stale" else None,
        )
        headers.update(case.get("headers") or {})
        resp = self.http.post("/slack/events", content=body, headers=headers)
        return Reply(resp.status_code, resp.text)

    def _substitute(self, case: dict[str, Any], value: Any) -> Any:
        if value == "$RESPONSE_URL":
            return self.slack.response_url(case["id"])
        if value == "$SHARE_VALUE":
            return self.share_values.get(workspace_of(case), "")
        if isinstance(value, str) and value.startswith("$FILE_BASE"):
            return self.slack.base_url + value[len("$FILE_BASE") :]
        return value

    def _apply(self, case: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(data)
        for path, raw in ((case.get("replay") or {}).get("set") or {}).items():
            *parents, last = path.split(".")
            node: Any = data
            for key in parents:
                node = node[int(key)] if isinstance(node, list) else node[key]
            if raw == "$DELETE":
                node.pop(last, None)
            elif isinstance(node, list):
                node[int(last)] = self._substitute(case, raw)
            else:
                node[last] = self._substitute(case, raw)
        return self._event_id(case, data)

    @staticmethod
    def _event_id(case: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Fixtures reuse `Ev111`: suffix it with the payload id (or the one it repeats)."""
        if data.get("type") == "event_callback" and data.get("event_id"):
            owner = (case.get("replay") or {}).get("same_event_id_as") or case["id"]
            data["event_id"] = f"{data['event_id']}-{owner}"
        return data

    def _body(self, case: dict[str, Any]) -> tuple[bytes, str]:
        if "json" in case:
            return json.dumps(self._apply(case, case["json"])).encode(), "application/json"
        if "interactive_payload" in case:
            payload = self._apply(case, case["interactive_payload"])
            return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"
        fields = dict(parse_qsl(case["form"], keep_blank_values=True))
        return urlencode(self._apply(case, fields)).encode(), "application/x-www-form-urlencoded"

    def _socket(self, case: dict[str, Any], envelope: dict[str, Any]) -> Reply:
        payload = self._apply(case, envelope["payload"])
        request = SocketModeRequest(
            type=envelope["type"],
            envelope_id=envelope["envelope_id"],
            payload=payload,
            accepts_response_payload=envelope.get("accepts_response_payload"),
            retry_attempt=envelope.get("retry_attempt"),
            retry_reason=envelope.get("retry_reason"),
        )
        resp = run_bolt_app(self.socket_app, request)
        body = resp.body if isinstance(resp.body, str) else json.dumps(resp.body)
        return Reply(resp.status, body)


@pytest.fixture
def replayer(tmp_path: Path) -> Iterator[Replayer]:
    if not CASES:
        pytest.skip(f"real-world Slack requests not found at {SLACK_DIR}")
    with FakeSlack(bot_token=BOT_TOKEN, team_id="T111") as slack:
        for case in CASES.values():
            for file_id, name in ((case.get("replay") or {}).get("file_host") or {}).items():
                slack.add_file(file_id, name, BOM_CSV)
        env = bot_env(tmp_path, None, slack, PARTBOT_OFFLINE="1", SLACK_APP_TOKEN="xapp-1-test")
        http_core = build_core(Settings.from_mapping(env))
        socket_env = {k: v for k, v in env.items() if k != "SLACK_SIGNING_SECRET"} | {"PARTBOT_DB": str(tmp_path / "s.sqlite3")}
        socket_core = build_core(Settings.from_mapping(socket_env, mode="socket"))
        runners = [CountingJobs(), CountingJobs()]
        http_app = build_app(http_core, "http", jobs=runners[0])
        socket_app = build_app(socket_core, "socket", jobs=runners[1])
        port = free_port()
        config = uvicorn.Config(
            Front(http_app, http_core.store, SIGNING_SECRET), host="127.0.0.1", port=port, lifespan="off", log_config=None
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.01)
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        try:
            yield Replayer(slack, http_app, socket_app, http, runners)
        finally:
            http.close()
            server.should_exit = True
            thread.join(10)
            http_core.close()
            socket_core.close()


# --- waiting for and checking what the bot did ---------------------------------------------------


def wait_until(find: Callable[[], SlackCall | None], what: str, slack: FakeSlack) -> SlackCall:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = find()
        if found is not None:
            return found
        time.sleep(0.02)
    raise AssertionError(f"no {what} within {WAIT}s; saw {[(c.method, c.args.get('text', ''))[:2] for c in slack.calls]}")


def new_calls(slack: FakeSlack, since: int, *methods: str) -> list[SlackCall]:
    return [c for c in slack.calls[since:] if c.method in methods]


def message_text(call: SlackCall) -> str:
    return str(call.args.get("text", "")) + json.dumps(call.args.get("blocks", ""), ensure_ascii=False)


def check_response_url(slack: FakeSlack, since: int, expect: dict[str, Any]) -> dict[str, Any]:
    call = wait_until(lambda: next(iter(new_calls(slack, since, "response_url")), None), "response_url post", slack)
    msg = call.args
    assert msg.get("response_type") == expect.get("response_type", msg.get("response_type")), msg
    if expect.get("has_blocks"):
        assert_valid_message(msg)
        assert msg.get("blocks")
    if "share_button" in expect:
        assert ("share_answer" in json.dumps(msg.get("blocks", []))) is expect["share_button"]
    if "text_contains" in expect:
        assert expect["text_contains"] in message_text(call), msg
    if "replace_original" in expect:
        assert msg.get("replace_original") is expect["replace_original"]
    return msg


def check_post(slack: FakeSlack, since: int, expect: dict[str, Any]) -> SlackCall:
    """A reply in the thread: public, or (help, usage, could-not-read) to the asker alone."""

    def find() -> SlackCall | None:
        for c in new_calls(slack, since, "chat.postMessage", "chat.postEphemeral"):
            if c.args.get("channel") == expect["channel"] and c.args.get("thread_ts") == expect["thread_ts"]:
                return c
        return None

    call = wait_until(find, f"post in {expect['channel']} thread {expect['thread_ts']}", slack)
    text = message_text(call)
    if "text_contains" in expect:
        assert expect["text_contains"] in text, text
    if "text_contains_any" in expect:
        assert any(t in text for t in expect["text_contains_any"]), text
    blocks = call.args.get("blocks")
    if blocks:
        assert_valid_message({"text": call.args["text"], "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks})
    return call


def check_bom(slack: FakeSlack, since: int, expect: dict[str, Any]) -> None:
    def find() -> SlackCall | None:
        done = new_calls(slack, since, "files.completeUploadExternal")
        return done[0] if done else None

    upload = wait_until(find, "priced BOM upload", slack)
    assert upload.args["channel_id" if "channel_id" in upload.args else "channel"] == expect["channel"]
    assert upload.args["thread_ts"] == expect["thread_ts"]
    first = next(c for c in new_calls(slack, since, "chat.postMessage") if c.args.get("thread_ts") == expect["thread_ts"])
    assert first.args["channel"] == expect["channel"]
    priced = b"".join(slack.uploads.values())
    for mpn in (b"AD7685ARM", b"NE555DR", b"LM358DR"):
        assert mpn in priced, "every line of the BOM is in the priced file"


def replay(r: Replayer, case: dict[str, Any]) -> None:
    """Send `case` and check its `expect`; remember a private answer's Share value."""
    expect = case["expect"]
    since = len(r.slack.calls)
    reply = r.send(case)
    assert reply.status == expect["status"], (reply.status, reply.body)
    if expect.get("ack") == "empty":
        assert reply.body == "", reply.body
    if expect.get("ack") == "blocks":
        assert_valid_message(json.loads(reply.body))
    if "ack_contains" in expect:
        assert expect["ack_contains"] in reply.body, reply.body
    if expect.get("ack_or_response"):
        if not reply.body:
            check_response_url(r.slack, since, {})
        else:
            assert_valid_message(json.loads(reply.body))
    if expect.get("no_calls") or expect.get("no_lookup_for_userless"):
        # Acks are synchronous and every lookup or post happens in a job: none started, none will.
        # Every lookup or post happens in a job; a redelivered event's job finds its id claimed
        # and does nothing. Once the jobs have finished, none of them called Slack.
        for runner in r.runners:
            runner.settle()
        assert r.slack.calls[since:] == [], [c.method for c in r.slack.calls[since:]]
    if "response_url" in expect:
        msg = check_response_url(r.slack, since, expect["response_url"])
        buttons = [e for b in msg.get("blocks", []) if b.get("type") == "actions" for e in b["elements"]]
        if buttons:
            r.share_values[workspace_of(case)] = buttons[0]["value"]
    if expect.get("share"):
        shared = check_response_url(r.slack, since, {"response_type": "in_channel", "has_blocks": True})
        assert "Shared by <@W111>" in json.dumps(shared["blocks"])
        wait_until(
            lambda: next((c for c in new_calls(r.slack, since, "response_url") if c.args.get("delete_original")), None),
            "delete_original",
            r.slack,
        )
    if "post" in expect:
        check_post(r.slack, since, expect["post"])
    if "files_info" in expect:
        wait_until(
            lambda: next(
                (c for c in new_calls(r.slack, since, "files.info") if c.args.get("file") == expect["files_info"]), None
            ),
            "files.info",
            r.slack,
        )
    if "bom" in expect:
        check_bom(r.slack, since, expect["bom"])
    if expect.get("no_file_download"):
        assert r.slack.file_fetches == 0
    if "views_publish" in expect:
        call = wait_until(lambda: next(iter(new_calls(r.slack, since, "views.publish")), None), "views.publish", r.slack)
        assert call.args["user_id"] == expect["views_publish"]["user_id"]


CASE_IDS: list[str] = sorted(CASES, key=lambda c: str(CASES[c]["file"])) or ["(absent: skipped)"]


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_real_slack_request(replayer: Replayer, case_id: str) -> None:
    case = CASES[case_id]
    for earlier in PREREQUISITES.get(case_id, []):
        replay(replayer, CASES[earlier])
    replay(replayer, case)

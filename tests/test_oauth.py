"""Many workspaces, end to end over loopback: Bolt's OAuth flow against the fake Slack's
oauth.v2.access, each workspace answered with its own token (jobs and BOM downloads too),
token rotation, Enterprise Grid org installs, uninstalls, the plan-wide cap, encrypted tokens."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis

from bot.domain.workspace import Workspace
from tests.conftest import SIGNING_SECRET, BotServer, bot_env, mention
from tests.fakes.nexar import FakeNexar
from tests.fakes.signing import event_body, signed_headers
from tests.fakes.slack import FakeSlack
from tests.serve import ServeProcess

CLIENT_ID = "1234.5678"
CLIENT_SECRET = "test-oauth-client-secret-3b9f"
TOKEN_KEY = "q8F5cVZ0b1N2m3X4y5Z6a7B8c9D0e1F2g3H4i5J6k7L="


def oauth_env(tmp_path: Path, nexar: FakeNexar, slack: FakeSlack, **extra: str) -> dict[str, str]:
    env = bot_env(tmp_path, nexar, slack, SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET, **extra)
    del env["SLACK_BOT_TOKEN"]
    return env


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    """Extra settings for each store: SQLite, then a real redis-server."""
    return {} if request.param == "sqlite" else {"REDIS_URL": request.getfixturevalue("redis_url")}


@pytest.fixture
def start(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> Iterator[Callable[..., BotServer]]:
    """Start the bot installed through OAuth (settings in keyword arguments)."""
    fake_slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
    servers: list[BotServer] = []

    def start(**extra: str) -> BotServer:
        server = BotServer(oauth_env(tmp_path, fake_nexar, fake_slack, **extra), fake_slack)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


Target = BotServer | httpx.Client
"""The bot in this process (BotServer), or a served one (an httpx client on its URL)."""


def _http(target: Target) -> httpx.Client:
    return target.http if isinstance(target, BotServer) else target


def install(bot: Target, slack: FakeSlack, team: str | None, enterprise: str | None = None, *, org_wide: bool = False) -> str:
    """Click "Add to Slack" on /slack/install, approve on Slack, follow the redirect back: the
    success page. Returns the bot token Slack issued."""
    page = _http(bot).get("/slack/install")
    assert page.status_code == 200 and "Add to Slack" in page.text
    authorize_url = re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', page.text)
    assert authorize_url is not None
    url = authorize_url.group(1).replace("&amp;", "&")
    assert url.startswith("https://slack.com/oauth/v2/authorize?") and f"client_id={CLIENT_ID}" in url
    state = re.search(r"[?&]state=([^&]+)", url)
    assert state is not None
    code = f"code-{enterprise}-{team}-{len(slack.calls)}"
    slack.grant(code, team, enterprise_id=enterprise, org_wide=org_wide)
    done = redirect(bot, page, code, state.group(1))
    assert done.status_code == 200, done.text
    return slack.tokens_of(team, enterprise)[-1]


def redirect(bot: Target, page: httpx.Response, code: str, state: str) -> httpx.Response:
    """Slack's redirect back, from the browser that began the install: with the state cookie
    /slack/install set (a Secure cookie, which a browser sends over https; the test server is http)."""
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    return _http(bot).get("/slack/oauth_redirect", params={"code": code, "state": state}, headers={"Cookie": cookie})


def event(bot: Target, body: dict[str, Any], team: str | None, enterprise: str | None = None, *, org_wide: bool = False) -> None:
    """A signed event from `team` (of `enterprise`; `org_wide`: for an org-wide install)."""
    if team and body["type"] not in ("app_uninstalled", "tokens_revoked"):
        body = body | {"team": team}
    envelope = json.loads(event_body(body, event_id=f"Ev{time.monotonic_ns()}", team_id=team or ""))
    envelope["team_id"] = envelope["context_team_id"] = team
    envelope["enterprise_id"] = envelope["context_enterprise_id"] = enterprise
    envelope["is_enterprise_install"] = org_wide
    envelope["authorizations"][0] |= {"team_id": None if org_wide else team, "enterprise_id": enterprise}
    envelope["authorizations"][0]["is_enterprise_install"] = org_wide
    raw = json.dumps(envelope).encode()
    resp = _http(bot).post(
        "/slack/events", content=raw, headers=signed_headers(SIGNING_SECRET, raw, content_type="application/json")
    )
    assert resp.status_code == 200, resp.text


def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait for a background job's effect (a wait, not a timing assertion)."""
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def posts_with(slack: FakeSlack, token: str) -> list[str]:
    return [c.args.get("text", "") for c in slack.calls_to("chat.postMessage") if c.token == token]


def test_the_oauth_round_trip_installs_a_workspace_and_takes_each_state_once(
    start: Callable[..., BotServer], fake_slack: FakeSlack, backend: dict[str, str]
) -> None:
    bot = start(**backend)
    token = install(bot, fake_slack, "T1")
    grant = fake_slack.calls_to("oauth.v2.access")[-1]
    assert grant.status == 200 and grant.headers["Authorization"].startswith("Basic "), "client credentials by Basic auth"
    assert bot.core.store.installation("T1", "") is not None
    assert bot.core.store.installation("T1", "UINSTALLER") is not None, "the installer's record too"
    event(bot, mention("AD7685ARM x10"), "T1")
    fake_slack.wait_for("chat.postMessage")
    assert posts_with(fake_slack, token), "answered with the token of the install"

    page = bot.http.get("/slack/install")
    state = re.search(r"state=([^&\"]+)", page.text)
    assert state is not None
    fake_slack.grant("code-again", "T1")
    first = redirect(bot, page, "code-again", state.group(1))
    assert first.status_code == 200
    fake_slack.grant("code-replayed", "T1")
    replay = redirect(bot, page, "code-replayed", state.group(1))
    assert replay.status_code != 200, "a state is taken once"
    unknown = redirect(bot, page, "code-replayed", "made-up")
    assert unknown.status_code != 200


def test_a_signed_state_refuses_one_partbot_did_not_sign(start: Callable[..., BotServer], fake_slack: FakeSlack) -> None:
    bot = start(SLACK_STATE_SECRET="state-secret-91c2")
    page = bot.http.get("/slack/install")
    state = re.search(r"state=([^&\"]+)", page.text)
    assert state is not None and "." in state.group(1)
    nonce = state.group(1).split(".")[0]
    fake_slack.grant("code-forged", "T1")
    forged = redirect(bot, page, "code-forged", nonce + ".0000")
    assert forged.status_code != 200
    assert not fake_slack.calls_to("oauth.v2.access"), "refused before the code was exchanged"
    assert install(bot, fake_slack, "T1")


def test_two_workspaces_are_answered_with_their_own_tokens(
    start: Callable[..., BotServer], fake_slack: FakeSlack, fake_nexar: FakeNexar
) -> None:
    bot = start()
    t1, t2 = install(bot, fake_slack, "T1"), install(bot, fake_slack, "T2")
    assert t1 != t2
    event(bot, mention("AD7685ARM x10", ts="1700000001.000100"), "T1")
    fake_slack.wait_for("chat.postMessage", 1)
    bom = fake_slack.add_file("F1", "bom.csv", b"MPN,Qty\nAD7685ARM,5\n", team_id="T2")
    with_file = mention("price this", ts="1700000002.000100") | {"files": [bom]}
    event(bot, with_file, "T2")
    fake_slack.wait_for("files.completeUploadExternal", 1)
    assert len(posts_with(fake_slack, t1)) == 1 and posts_with(fake_slack, t2), "each in its own workspace"
    download = fake_slack.calls_to("file_download")
    assert [c.status for c in download] == [200] and download[0].headers["Authorization"] == f"Bearer {t2}"
    uploads = fake_slack.calls_to("files.getUploadURLExternal")
    assert uploads and all(c.token == t2 for c in uploads)
    assert {c.token for c in fake_slack.calls if c.method not in ("oauth.v2.access", "file_download", "upload")} <= {
        t1,
        t2,
    }


def test_app_home_is_published_with_the_workspaces_token(start: Callable[..., BotServer], fake_slack: FakeSlack) -> None:
    bot = start(PARTBOT_SUPPORT_URL="https://support.example.com/partbot")
    token = install(bot, fake_slack, "T7")
    event(bot, {"type": "app_home_opened", "user": "U123", "channel": "D1", "tab": "home", "event_ts": "1.2"}, "T7")
    published = fake_slack.wait_for("views.publish")[0]
    assert published.token == token
    home = json.dumps(published.args["view"])
    assert "never your name, your messages" in home and "90 days" in home
    assert "https://support.example.com/partbot" in home


def test_an_org_wide_install_answers_each_workspace_of_the_org(start: Callable[..., BotServer], fake_slack: FakeSlack) -> None:
    bot = start()
    token = install(bot, fake_slack, None, "E1", org_wide=True)
    assert bot.core.store.installation(Workspace(None, "E1").key, "") is not None, "filed under the org"
    event(bot, mention("AD7685ARM x10"), "T5", "E1", org_wide=True)
    fake_slack.wait_for("chat.postMessage")
    assert posts_with(fake_slack, token)
    assert "1/25 matched parts today" in command(bot, fake_slack, "usage", "T5", "E1"), "quotas stay per workspace"
    event(
        bot,
        {"type": "app_home_opened", "user": "U123", "channel": "D1", "tab": "home", "event_ts": "1.2"},
        "T5",
        "E1",
        org_wide=True,
    )
    published = fake_slack.wait_for("views.publish")[0]
    assert published.token == token and "*AD7685ARM* × 10" in json.dumps(published.args["view"], ensure_ascii=False), (
        "T5's lookups"
    )


def command(bot: BotServer, slack: FakeSlack, text: str, team: str, enterprise: str | None = None) -> str:
    fields = {"team_id": team, "user_id": "U123", "channel_id": "C1", "command": "/part", "text": text}
    fields["response_url"] = slack.response_url(f"r-{team}-{text}-{len(slack.calls)}")
    if enterprise:
        fields |= {"enterprise_id": enterprise, "is_enterprise_install": "false"}
    resp = bot._post(urlencode(fields).encode(), "application/x-www-form-urlencoded")
    assert resp.status_code == 200
    return resp.text


def test_rotating_tokens_are_refreshed_before_they_expire(
    start: Callable[..., BotServer], fake_slack: FakeSlack, backend: dict[str, str]
) -> None:
    fake_slack.enable_oauth(CLIENT_ID, CLIENT_SECRET, rotation=True, expires_in=600)
    bot = start(**backend)
    first = install(bot, fake_slack, "T1")
    assert first.startswith("xoxe.xoxb-")
    event(bot, mention("AD7685ARM x10"), "T1")
    answer = fake_slack.wait_for("chat.postMessage")[0]
    refreshes = [c for c in fake_slack.calls_to("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"]
    assert refreshes, "a token expiring within two hours is refreshed"
    assert answer.token != first and answer.token in fake_slack.tokens_of("T1")
    stored = bot.core.store.installation("T1", "")
    assert stored is not None and json.loads(stored)["bot_token"] == fake_slack.tokens_of("T1")[-1], "the newest is kept"


def test_an_uninstall_deletes_the_workspaces_tokens_and_data(
    start: Callable[..., BotServer], fake_slack: FakeSlack, backend: dict[str, str]
) -> None:
    bot = start(**backend)
    install(bot, fake_slack, "T1")
    t2 = install(bot, fake_slack, "T2")
    for team in ("T1", "T2"):
        command(bot, fake_slack, "AD7685ARM x10", team)
    fake_slack.wait_for("response_url", 2)
    store = bot.core.store
    assert store.recent("T1", "U123", 5) and store.recent("T2", "U123", 5)
    before = bot.core.service.quota("T1", "U123")
    assert before is not None and before.user_spent == 1, "T1 paid; T2 was answered from the shared cache"

    fake_slack.revoke("T1")
    event(bot, {"type": "app_uninstalled", "event_ts": "1700000009.000100"}, "T1")
    eventually(lambda: store.installation("T1", "") is None, "T1's installation deleted")
    assert store.installation("T1", "UINSTALLER") is None
    assert store.recent("T1", "U123", 5) == [], "its recent lookups"
    quota = bot.core.service.quota("T1", "U123")
    assert quota is not None and (quota.user_spent, quota.team_spent) == (0, 0), "its quotas"
    assert store.installation("T2", "") is not None and store.recent("T2", "U123", 5), "another workspace keeps its own"

    posts = len(fake_slack.calls_to("chat.postMessage"))
    event(bot, mention("AD7685ARM"), "T1")
    event(bot, mention("AD7685ARM"), "T2")
    fake_slack.wait_for("chat.postMessage", posts + 1)
    assert [c.token for c in fake_slack.calls_to("chat.postMessage")[posts:]] == [t2], "T1 is not answered any more"


def test_revoked_bot_tokens_delete_the_workspace_too(start: Callable[..., BotServer], fake_slack: FakeSlack) -> None:
    bot = start()
    install(bot, fake_slack, "T1")
    event(bot, {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}, "event_ts": "1700000009.000100"}, "T1")
    eventually(lambda: bot.core.store.installation("T1", "") is None, "T1's installation deleted")


def test_an_org_uninstall_forgets_every_workspace_of_the_org(start: Callable[..., BotServer], fake_slack: FakeSlack) -> None:
    bot = start()
    install(bot, fake_slack, None, "E1", org_wide=True)
    install(bot, fake_slack, "T9")
    for team, org in (("T5", "E1"), ("T6", "E1"), ("T9", None)):
        command(bot, fake_slack, "AD7685ARM x10", team, org)
    fake_slack.wait_for("response_url", 3)
    event(bot, {"type": "app_uninstalled", "event_ts": "1700000009.000100"}, None, "E1", org_wide=True)
    store = bot.core.store
    eventually(lambda: store.installation("E1/-", "") is None, "the org's installation deleted")
    assert store.recent("E1/T5", "U123", 5) == [] and store.recent("E1/T6", "U123", 5) == []
    assert store.recent("T9", "U123", 5) and store.installation("T9", "") is not None


def test_the_plan_cap_holds_across_workspaces(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, backend: dict[str, str]
) -> None:
    env = bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_PLAN_MONTHLY_PARTS="1", PARTBOT_ADMINS="U123", **backend)
    bot = BotServer(env, fake_slack)
    try:
        command(bot, fake_slack, "AD7685ARM x10", "T1")
        first = fake_slack.wait_for("response_url", 1)[0]
        assert "AD7685ARM" in json.dumps(first.args)
        command(bot, fake_slack, "NE555DR x10", "T2")
        refused = fake_slack.wait_for("response_url", 2)[1]
        assert "shared by every workspace" in refused.args["text"] or "shared by every workspace" in json.dumps(refused.args)
        assert fake_nexar.matched_parts_billed == 1, "the second workspace's part was not bought"
        usage = command(bot, fake_slack, "usage", "T2")
        assert "0/25 matched parts today" in usage, "nothing was charged to it"
        assert "Nexar plan this month, all workspaces:* 1 of 1 used" in usage, "an admin sees the plan"
        command(bot, fake_slack, "AD7685ARM x99", "T2")
        cached = fake_slack.wait_for("response_url", 3)[2]
        assert "AD7685ARM" in json.dumps(cached.args) and fake_nexar.matched_parts_billed == 1, "the shared cache is free"
    finally:
        bot.close()


def test_tokens_are_encrypted_at_rest(
    start: Callable[..., BotServer], fake_slack: FakeSlack, tmp_path: Path, backend: dict[str, str]
) -> None:
    bot = start(PARTBOT_TOKEN_KEY=TOKEN_KEY, **backend)
    token = install(bot, fake_slack, "T1")
    if backend:
        raw = redis.Redis.from_url(backend["REDIS_URL"]).dump("partbot:ws:T1:installations") or b""
    else:
        bot.core.store.close()
        raw = (tmp_path / "partbot.sqlite3").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("partbot.sqlite3-wal"))
        with sqlite3.connect(tmp_path / "partbot.sqlite3") as db:
            assert db.execute("SELECT count(*) FROM installations").fetchone()[0] == 2
    assert raw and token.encode() not in raw and b"bot_token" not in raw
    bot = start(PARTBOT_TOKEN_KEY=TOKEN_KEY, **backend)
    event(bot, mention("AD7685ARM x10"), "T1")
    assert fake_slack.wait_for("chat.postMessage")[0].token == token, "read back with the key"


def test_a_store_without_the_key_does_not_hand_out_encrypted_tokens(
    start: Callable[..., BotServer], fake_slack: FakeSlack
) -> None:
    bot = start(PARTBOT_TOKEN_KEY=TOKEN_KEY)
    install(bot, fake_slack, "T1")
    bot.core.store.close()
    keyless = start()
    assert keyless.core.store.installation("T1", "") is not None
    from bot.app import installation_store

    assert installation_store(keyless.settings, keyless.core.store).find_bot(enterprise_id=None, team_id="T1") is None


def test_the_served_app_installs_and_answers_each_workspace_with_its_token(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    """`python -m bot serve` (uvicorn behind partbot's front, which routes the OAuth flow to
    Bolt): its background jobs find each workspace's token in the shared store."""
    fake_slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
    env = oauth_env(tmp_path, fake_nexar, fake_slack, PARTBOT_TOKEN_KEY=TOKEN_KEY, WEB_CONCURRENCY="1")
    server = ServeProcess(env, tmp_path)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            t1, t2 = install(http, fake_slack, "T1"), install(http, fake_slack, "T2")
            event(http, mention("AD7685ARM x10", ts="1700000001.000100"), "T2")
            event(http, mention("NE555DR x10", ts="1700000002.000100"), "T1")
            posts = fake_slack.wait_for("chat.postMessage", 2, timeout=30)
        assert sorted(c.token for c in posts) == sorted([t1, t2])
        assert {c.token: c.args["thread_ts"] for c in posts} == {t2: "1700000001.000100", t1: "1700000002.000100"}
    finally:
        server.stop()

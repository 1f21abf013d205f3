"""Installations and OAuth states on each store, token encryption, the plan-wide cap, and the
settings that switch many workspaces on."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.adapters.installations import Sealer, StoreInstallationStore, StoreStateStore
from bot.adapters.slack_clients import InstalledTokens
from bot.adapters.stores.redis import RedisStore
from bot.adapters.stores.redis_schema import SCHEMA_VERSION as REDIS_SCHEMA
from bot.adapters.stores.sqlite import SQLiteStore
from bot.domain.outcomes import Refusal
from bot.domain.recent import RecentLookup
from bot.domain.workspace import Workspace
from bot.messages.home import render_home
from bot.messages.replies import render_help, render_over_quota
from bot.ports import Bucket, Store
from bot.service.quota import QuotaLedger, Reservation
from bot.settings import ConfigError, Settings
from tests.fakes.slack import FakeSlack


def installation(team: str | None, enterprise: str | None = None, *, token: str = "xoxb-1", user: str = "U1") -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise,
        team_id=team,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        bot_refresh_token="xoxe-1-r",
        bot_token_expires_in=43200,
        user_id=user,
        is_enterprise_install=team is None,
    )


def test_installations_are_found_by_workspace_and_deleted(store: Store) -> None:
    installs = StoreInstallationStore(store, Sealer(None))
    installs.save(installation("T1", token="xoxb-t1"))
    installs.save(installation("T1", "E1", token="xoxb-e1t1"))
    installs.save(installation(None, "E2", token="xoxb-org"))
    assert installs.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-t1"  # type: ignore[union-attr]
    assert installs.find_bot(enterprise_id="E1", team_id="T1").bot_token == "xoxb-e1t1"  # type: ignore[union-attr]
    org = installs.find_installation(enterprise_id="E2", team_id="T7")
    assert org is not None and org.bot_token == "xoxb-org", "a workspace of an org installed org-wide"
    assert org.bot_token_expires_at is not None and org.bot_refresh_token == "xoxe-1-r", "rotation's fields kept"
    assert installs.find_bot(enterprise_id=None, team_id="T2") is None
    assert installs.find_installation(enterprise_id=None, team_id="T1", user_id="U1") is not None

    installs.save_bot(
        Bot(
            enterprise_id=None,
            team_id="T1",
            bot_token="xoxb-t1-rotated",
            bot_id="B1",
            bot_user_id="UBOT",
            bot_refresh_token="xoxe-1-r2",
            bot_token_expires_at=2_000_000_000,
            installed_at=1.0,
        )
    )
    rotated = installs.find_bot(enterprise_id=None, team_id="T1")
    assert rotated is not None and (rotated.bot_token, rotated.bot_token_expires_at) == ("xoxb-t1-rotated", 2_000_000_000)

    installs.delete_all(enterprise_id=None, team_id="T1")
    assert installs.find_bot(enterprise_id=None, team_id="T1") is None
    assert installs.find_bot(enterprise_id="E1", team_id="T1") is not None, "E1's T1 is another workspace"


def test_forgetting_a_workspace_deletes_everything_filed_under_it(store: Store) -> None:
    installs = StoreInstallationStore(store, Sealer(None))
    for key in ("T1", "T2", "E1/T5", "E1/-"):
        ws = Workspace.from_key(key)
        installs.save(installation(ws.team, ws.enterprise))
        store.add_recent(key, "U1", RecentLookup(at=__import__("time").time(), mpn="NE555"), keep=5)
        store.reserve([(Bucket(key, "day:x", "U1"), 10)], 1, 3600)
        store.stash(key, "share:1", {"a": 1}, 3600)
    store.forget_workspace("T1")
    assert store.installation("T1", "") is None and store.recent("T1", "U1", 5) == []
    assert store.spent(Bucket("T1", "day:x", "U1")) == 0 and store.unstash("T1", "share:1") is None
    assert store.installation("T2", "") is not None and store.spent(Bucket("T2", "day:x", "U1")) == 1
    store.forget_workspace("E1/-")
    for key in ("E1/T5", "E1/-"):
        assert store.installation(key, "") is None and store.recent(key, "U1", 5) == [], key
    assert store.recent("T2", "U1", 5), "other workspaces stay"


def test_workspace_keys_read_back() -> None:
    for ws in (Workspace("T1"), Workspace("T1", "E1"), Workspace(None, "E1"), Workspace()):
        assert Workspace.from_key(ws.key) == ws


def test_records_are_encrypted_with_the_key_and_keys_rotate(store: Store) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    StoreInstallationStore(store, Sealer(None)).save(installation("T0", token="xoxb-plain"))
    StoreInstallationStore(store, Sealer(old)).save(installation("T1", token="xoxb-secret"))
    raw = store.installation("T1", "")
    assert raw is not None and "xoxb-secret" not in raw and not raw.startswith("{")
    rotated = StoreInstallationStore(store, Sealer(f"{new},{old}"))
    assert rotated.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-secret"  # type: ignore[union-attr]
    assert rotated.find_bot(enterprise_id=None, team_id="T0").bot_token == "xoxb-plain", "written before the key"
    assert StoreInstallationStore(store, Sealer(new)).find_bot(enterprise_id=None, team_id="T1") is None, "wrong key"


def test_oauth_states_are_taken_once_and_signed_when_a_secret_is_set(store: Store) -> None:
    plain = StoreStateStore(store, None)
    state = plain.issue()
    assert plain.consume(state) and not plain.consume(state)
    assert not plain.consume("never-issued") and not plain.consume("")
    signed = StoreStateStore(store, "secret-1")
    state = signed.issue()
    nonce, _, mac = state.partition(".")
    assert len(mac) == 32
    assert not signed.consume(nonce + "." + "0" * 32), "a forged signature"
    assert not StoreStateStore(store, "secret-2").consume(state), "another secret"
    assert signed.consume(state) and not signed.consume(state)


def test_the_plan_cap_is_reserved_with_each_workspaces_buckets(store: Store) -> None:
    ledger = QuotaLedger(store, user_daily=25, team_monthly=1000, plan_monthly=5)
    first = ledger.reserve("T1", "U1", 3)
    assert isinstance(first, Reservation)
    refused = ledger.reserve("T2", "U2", 3)
    assert isinstance(refused, Refusal) and (refused.scope, refused.left) == ("plan", 2)
    assert ledger.view("T2", "U2").user_spent == 0, "nothing added to the refused workspace"
    ledger.settle(first, 1)
    assert isinstance(ledger.reserve("T2", "U2", 3), Reservation), "what T1 did not use went back to the plan"
    store.forget_workspace("T1")
    assert isinstance(ledger.reserve("T3", "U3", 2), Refusal), "a forgotten workspace's spending stays on the plan"
    assert "shared by every workspace" in render_over_quota_text(refused)
    assert isinstance(QuotaLedger(store, 25, 1000).reserve("T3", "U3", 10), Reservation), "unset: no cap"


def render_over_quota_text(refusal: Refusal) -> str:
    from bot.domain.outcomes import OverQuota

    return render_over_quota(OverQuota(refusal, (), 0)).text  # type: ignore[arg-type]


def test_sqlite_version_2_gains_the_installations_table(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    SQLiteStore(str(path)).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE installations")
        db.execute("INSERT INTO quotas VALUES ('T1', 'day:x', 'U1', 4, 9e12)")
        db.execute("PRAGMA user_version = 2")
    store = SQLiteStore(str(path))
    try:
        assert store.spent(Bucket("T1", "day:x", "U1")) == 4, "nothing lost"
        store.put_installation("T1", "", "{}")
        assert store.installation("T1", "") == "{}"
    finally:
        store.close()


def test_redis_version_2_is_brought_to_the_current_version(redis_url: str) -> None:
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.set("partbot:schema", 2)
    r.hset("partbot:ws:T1:quota:day:x", "U1", 4)
    store = RedisStore(redis_url)
    try:
        assert r.get("partbot:schema") == str(REDIS_SCHEMA) and store.spent(Bucket("T1", "day:x", "U1")) == 4
    finally:
        store.close()


def test_oauth_settings() -> None:
    oauth = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "x"}
    s = Settings.from_mapping(oauth, mode="http")
    assert s.oauth and s.slack_bot_token is None and s.plan_monthly_parts is None
    assert not Settings.from_mapping(oauth | {"SLACK_BOT_TOKEN": "xoxb-1"}).oauth, "a bot token: one workspace"
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        Settings.from_mapping(oauth | {"SLACK_APP_TOKEN": "xapp-1"}, mode="socket")
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET is missing"):
        Settings.from_mapping({"SLACK_CLIENT_ID": "1.2"})
    with pytest.raises(ConfigError, match="SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead"):
        Settings.from_mapping({"SLACK_SIGNING_SECRET": "x"}, mode="http")
    s = Settings.from_mapping({"PARTBOT_PLAN_MONTHLY_PARTS": "5000", "PARTBOT_SUPPORT_URL": "https://help.example.com"})
    assert (s.plan_monthly_parts, s.support_url) == (5000, "https://help.example.com")
    with pytest.raises(ConfigError, match="PARTBOT_PLAN_MONTHLY_PARTS must be a whole number"):
        Settings.from_mapping({"PARTBOT_PLAN_MONTHLY_PARTS": "lots"})
    with pytest.raises(ConfigError, match="PARTBOT_SUPPORT_URL must be an http"):
        Settings.from_mapping({"PARTBOT_SUPPORT_URL": "mailto:help@example.com"})


def test_a_malformed_token_key_stops_the_start_with_a_clear_error() -> None:
    key = Fernet.generate_key().decode()
    assert Settings.from_mapping({"PARTBOT_TOKEN_KEY": key}).token_key == key
    assert Settings.from_mapping({"PARTBOT_TOKEN_KEY": f"{key}, {Fernet.generate_key().decode()}"}).token_key
    for bad in ("not-a-key", key[:-4], key + "," + "short"):
        with pytest.raises(ConfigError) as caught:
            Settings.from_mapping({"PARTBOT_TOKEN_KEY": bad})
        message = str(caught.value)
        assert "PARTBOT_TOKEN_KEY must be Fernet keys" in message and "Fernet.generate_key()" in message
        assert bad not in message, "the value is not shown"


def test_help_and_home_say_what_leaves_slack_and_link_support() -> None:
    help_text = json.dumps(render_help(support_url="https://help.example.com/partbot").to_dict())
    assert "never your name, your messages" in help_text and "https://help.example.com/partbot" in help_text
    assert "help.example.com" not in json.dumps(render_help().to_dict())
    home = json.dumps(render_home([], None, sample=False, cache_ttl=7200))
    assert "90 days" in home and "bot token" in home and "uninstalled" in home and "for 2 hours" in home
    assert "support" not in home


def test_processes_sharing_a_store_rotate_a_token_once(store: Store, fake_slack: FakeSlack) -> None:
    """Slack revokes a refresh token once used: of several processes finding the token about
    to expire, one refreshes it (under the store's lease) and the others use what it saved."""
    fake_slack.enable_oauth("cid", "csecret", rotation=True, expires_in=43200)
    fake_slack.grant("code", "T1")
    granted = WebClient(base_url=fake_slack.api_url).oauth_v2_access(client_id="cid", client_secret="csecret", code="code")
    installs = StoreInstallationStore(store, Sealer(None))
    installs.save(
        Installation(
            team_id="T1",
            bot_token=granted["access_token"],
            bot_refresh_token=granted["refresh_token"],
            bot_token_expires_at=int(time.time()) + 60,
            bot_id="B1",
            bot_user_id="UBOT",
            user_id="U1",
        )
    )

    def process() -> InstalledTokens:
        client = WebClient(base_url=fake_slack.api_url)
        rotator = TokenRotator(client_id="cid", client_secret="csecret", client=client)
        return InstalledTokens(installs, lambda t: WebClient(token=t, base_url=fake_slack.api_url), rotator, store)

    processes = [process() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda p: p.token_for("T1"), processes))
    refreshes = [c for c in fake_slack.calls_to("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1 and all(c.status == 200 for c in refreshes)
    newest = fake_slack.tokens_of("T1")[-1]
    assert set(tokens) <= {granted["access_token"], newest}, "the old token while it lasts, or the new one"
    assert processes[0].token_for("T1") == newest and installs.find_bot(enterprise_id=None, team_id="T1").bot_token == newest  # type: ignore[union-attr]
    for client in (processes[0].client_for("T1"),):
        assert client.auth_test()["team_id"] == "T1"


class _Tokens:
    """`InstalledTokens` as `WorkspaceAuthorize` uses it: a token, or the store failing."""

    def __init__(self, token: str) -> None:
        self.token, self.reads, self.failing = token, 0, False

    def token_for(self, workspace: str) -> str:
        self.reads += 1
        if self.failing:
            from bot.ports import StoreError

            raise StoreError("redis installation read: TimeoutError")
        return self.token


def test_authorize_reads_the_store_once_a_minute_and_a_sick_store_refuses_cleanly(fake_slack: FakeSlack) -> None:
    from slack_bolt import BoltContext

    from bot.adapters.slack_clients import WorkspaceAuthorize

    tokens = _Tokens(fake_slack.bot_token)
    authorize = WorkspaceAuthorize(tokens)  # type: ignore[arg-type]
    context = BoltContext({"client": WebClient(base_url=fake_slack.api_url), "is_enterprise_install": False})
    ask = {"context": context, "enterprise_id": None, "team_id": "T1", "user_id": "U1"}
    first = authorize(**ask)
    assert first is not None and first.bot_token == fake_slack.bot_token
    assert authorize(**ask) is first and tokens.reads == 1, "an ack does not read the store again within the minute"
    tokens.failing = True
    assert authorize(**{**ask, "team_id": "T2"}) is None, "the store failing: refused (Bolt says so), no exception"

"""The fake Slack answers the real slack_sdk and Bolt clients the way Slack does."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from slack_bolt import Ack, App, BoltRequest, Respond, Say
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.fakes.signing import (
    event_body,
    interaction_body,
    signed_headers,
    slack_signature,
    slash_command_body,
)
from tests.fakes.slack import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TS_RE = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


# ------------------------------------------------------------------ Web API


def test_auth_test_identifies_the_bot(fake: FakeSlack, client: WebClient) -> None:
    resp = client.auth_test()

    assert resp["ok"] is True
    assert (resp["team_id"], resp["user_id"], resp["bot_id"]) == (
        "T0001",
        "UBOT",
        "B0001",
    )
    assert resp["user"] == "partbot"
    (call,) = fake.calls_to("auth.test")
    assert call.headers["Authorization"] == "Bearer xoxb-test-token"
    assert (call.path, call.status) == ("/api/auth.test", 200)


def test_post_message_records_blocks_and_thread(fake: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*LM358*"}}]

    first = client.chat_postMessage(channel="C123", text="LM358", blocks=blocks, thread_ts="1.2")
    second = client.chat_postMessage(channel="C123", text="again")

    assert first["channel"] == "C123"
    assert TS_RE.match(first["ts"]) and first["ts"] < second["ts"]
    assert first["message"]["blocks"] == blocks
    assert first["message"]["thread_ts"] == "1.2"
    assert "thread_ts" not in second["message"]
    call = fake.calls_to("chat.postMessage")[0]
    assert call.headers["Content-Type"].startswith("application/json")  # slack_sdk sends JSON here
    assert call.args == {
        "channel": "C123",
        "text": "LM358",
        "blocks": blocks,
        "thread_ts": "1.2",
    }


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_message_methods_validate_like_slack(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as missing_text:
        client.chat_postMessage(channel="C123")
    assert missing_text.value.response["error"] == "no_text"

    eph = client.chat_postEphemeral(channel="C123", user="U123", text="only you")
    upd = client.chat_update(channel="C123", ts="1700000000.000100", text="edited")
    link = client.chat_getPermalink(channel="C123", message_ts="1700000000.000100")
    assert TS_RE.match(eph["message_ts"])
    assert (upd["channel"], upd["ts"], upd["text"]) == (
        "C123",
        "1700000000.000100",
        "edited",
    )
    assert link["permalink"].endswith("/archives/C123/p1700000000000100")


def test_views_publish_home(fake: FakeSlack, client: WebClient) -> None:
    view = {"type": "home", "blocks": [{"type": "divider"}]}

    resp = client.views_publish(user_id="U123", view=view)

    assert resp["view"]["type"] == "home"
    assert resp["view"]["blocks"] == [{"type": "divider"}]
    assert fake.calls_to("views.publish")[0].args["view"] == view


def test_users_and_conversations_info(client: WebClient) -> None:
    user = client.users_info(user="U123")["user"]
    channel = client.conversations_info(channel="C123")["channel"]

    assert user["id"] == "U123" and user["tz"] == "Europe/Berlin"
    assert set(user["profile"]) >= {"display_name", "real_name"}
    assert channel["id"] == "C123" and channel["is_channel"] is True


def test_unknown_method_is_ok_and_recorded(fake: FakeSlack, client: WebClient) -> None:
    resp = client.api_call("reactions.add", params={"channel": "C1", "name": "eyes"})

    assert resp.data == {"ok": True}
    assert fake.calls_to("reactions.add")[0].args == {"channel": "C1", "name": "eyes"}


def test_wrong_or_missing_token_is_rejected(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=fake.api_url).auth_test()

    assert wrong.value.response["error"] == "invalid_auth"
    assert missing.value.response["error"] == "not_authed"


# ------------------------------------------------------------------ files


def test_files_upload_v2_runs_the_external_upload_flow(fake: FakeSlack, client: WebClient) -> None:
    content = "mpn,qty\nLM358,100\n"

    resp = client.files_upload_v2(
        channel="C123",
        content=content,
        filename="quote.csv",
        thread_ts="1700000000.000100",
        initial_comment="Your quote",
    )

    assert [c.method for c in fake.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    get_url, upload, complete = fake.calls
    assert get_url.args["filename"] == "quote.csv"
    assert get_url.args["length"] == str(len(content))
    file_id = resp["file"]["id"]
    assert fake.uploads == {file_id: content.encode()}
    assert "Authorization" not in upload.headers  # the upload URL is pre-signed
    assert json.loads(complete.args["files"]) == [{"id": file_id, "title": "quote.csv"}]
    assert complete.args["channel_id"] == "C123"
    assert complete.args["thread_ts"] == "1700000000.000100"
    assert complete.args["initial_comment"] == "Your quote"
    assert client.files_info(file=file_id)["file"]["size"] == len(content)


def test_private_file_download_needs_the_bot_token(fake: FakeSlack, client: WebClient) -> None:
    file_obj = fake.add_file("F1", "bom.csv", b"mpn,qty\nNE555,50\n")
    url = file_obj["url_private_download"]
    assert url == f"{fake.base_url}/files-pri/T0001-F1/download/bom.csv"
    assert client.files_info(file="F1")["file"]["url_private_download"] == url

    ok = httpx.get(url, headers={"Authorization": f"Bearer {fake.bot_token}"})
    anonymous = httpx.get(url)

    assert ok.status_code == 200 and ok.content == b"mpn,qty\nNE555,50\n"
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == f"{fake.base_url}/login"
    assert anonymous.text.startswith("<!DOCTYPE html>")
    assert [c.status for c in fake.calls_to("file_download")] == [200, 302]
    assert fake.file_fetches == 2
    with pytest.raises(SlackApiError) as missing:
        client.files_info(file="F404")
    assert missing.value.response["error"] == "file_not_found"


# ------------------------------------------------------------------ response_url


def test_webhook_client_posts_to_response_url(fake: FakeSlack) -> None:
    resp = WebhookClient(fake.response_url("r9")).send(text="hello", response_type="ephemeral")

    assert (resp.status_code, resp.body) == (200, "ok")
    (call,) = fake.calls_to("response_url")
    assert call.path == "/response/r9"
    assert call.args == {"text": "hello", "response_type": "ephemeral"}


def test_response_url_404_fault_then_recovers(fake: FakeSlack) -> None:
    fake.fail_next("response_url", "404")
    webhook = WebhookClient(fake.response_url())

    failed = webhook.send(text="late")
    retried = webhook.send(text="late")

    assert (failed.status_code, failed.body) == (404, "expired_url")
    assert retried.status_code == 200
    assert [c.status for c in fake.calls_to("response_url")] == [404, 200]


# ------------------------------------------------------------------ faults


def test_rate_limit_is_retried_by_slack_sdk(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", "429", retry_after=0)
    client = WebClient(
        token=fake.bot_token,
        base_url=fake.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )

    resp = client.chat_postMessage(channel="C123", text="hi")

    assert resp["ok"] is True
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


def test_rate_limit_without_retry_handler_surfaces(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "429", retry_after=7)

    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C123", text="hi")

    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"


@pytest.mark.parametrize(
    ("kind", "kw", "status", "error"),
    [
        ("500", {}, 500, "internal_error"),
        ("invalid_auth", {}, 200, "invalid_auth"),
        ("error", {"error": "channel_not_found"}, 200, "channel_not_found"),
    ],
)
def test_api_faults(
    fake: FakeSlack,
    client: WebClient,
    kind: str,
    kw: dict[str, Any],
    status: int,
    error: str,
) -> None:
    fake.fail_next("chat.postMessage", kind, **kw)

    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C123", text="hi")

    assert (err.value.response.status_code, err.value.response["error"]) == (
        status,
        error,
    )
    assert client.chat_postMessage(channel="C123", text="hi")["ok"] is True


def test_slow_fault_delays_then_answers(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("auth.test", "slow", seconds=0.2)
    started = time.monotonic()

    assert client.auth_test()["ok"] is True
    assert time.monotonic() - started >= 0.2


def test_unknown_fault_kind_is_refused(fake: FakeSlack) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        fake.fail_next("auth.test", "teapot")


def test_wait_for_blocks_until_the_call_arrives(fake: FakeSlack, client: WebClient) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="later"))
    timer.start()
    try:
        (call,) = fake.wait_for("chat.postMessage", timeout=5)
    finally:
        timer.join()
    assert call.args["text"] == "later"

    with pytest.raises(AssertionError, match=r"chat.update.*saw \['chat.postMessage 200'\]"):
        fake.wait_for("chat.update", timeout=0.05)


def test_reset_forgets_calls_faults_and_files(fake: FakeSlack, client: WebClient) -> None:
    fake.add_file("F1", "bom.csv", b"x")
    fake.fail_next("auth.test", "500")
    client.chat_postMessage(channel="C1", text="x")

    fake.reset()

    assert fake.calls == [] and fake.file_fetches == 0 and fake.uploads == {}
    assert client.auth_test()["ok"] is True
    with pytest.raises(SlackApiError):
        client.files_info(file="F1")


# ------------------------------------------------------------------ signing


def test_signature_matches_slacks_documented_example() -> None:
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

    assert slack_signature(SECRET, "1531420618", body) == expected


@pytest.mark.parametrize(
    "body",
    [
        slash_command_body("LM358 x100", response_url="http://127.0.0.1:1/response/r1"),
        event_body({"type": "app_mention", "text": "<@UBOT> NE555", "ts": "1700000000.000100"}),
        interaction_body({"type": "block_actions", "actions": []}),
    ],
)
def test_signed_headers_pass_slack_sdk_verification(body: bytes) -> None:
    headers = signed_headers(SECRET, body)

    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 600)
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)


def test_payload_builders_look_like_slack() -> None:
    form = parse_qs(slash_command_body("LM358, NE555 x5", response_url="http://h/response/r1").decode())
    envelope = json.loads(event_body({"type": "app_mention", "ts": "1700000000.000100"}))
    payload = parse_qs(interaction_body({"type": "block_actions"}).decode())["payload"][0]

    assert form["command"] == ["/part"] and form["text"] == ["LM358, NE555 x5"]
    assert form["response_url"] == ["http://h/response/r1"]
    assert {
        "token",
        "team_domain",
        "channel_name",
        "api_app_id",
        "is_enterprise_install",
    } <= set(form)
    assert envelope["type"] == "event_callback" and envelope["event_time"] == 1700000000
    assert envelope["authorizations"] == [
        {
            "enterprise_id": None,
            "team_id": "T0001",
            "user_id": "UBOT",
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    assert json.loads(payload) == {"type": "block_actions"}


# ------------------------------------------------------------------ Bolt end to end


def _bolt_app(fake: FakeSlack) -> App:
    return App(
        signing_secret=SECRET,
        client=WebClient(token=fake.bot_token, base_url=fake.api_url),
    )


def _signed_request(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> BoltRequest:
    headers = signed_headers(SECRET, body, content_type=content_type)
    return BoltRequest(body=body.decode(), headers={**headers})


def test_bolt_slash_command_respond_lands_on_the_fake(fake: FakeSlack) -> None:
    app = _bolt_app(fake)

    @app.command("/part")
    def part(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        ack()
        respond(f"price for {command['text']}")

    body = slash_command_body("LM358", response_url=fake.response_url("cmd1"))
    resp = app.dispatch(_signed_request(body))

    assert resp.status == 200
    (call,) = fake.wait_for("response_url")
    assert call.path == "/response/cmd1"
    assert call.args == {"text": "price for LM358"}
    assert fake.calls[0].method == "auth.test"  # App() verifies its token


def test_bolt_mention_say_posts_in_thread(fake: FakeSlack) -> None:
    app = _bolt_app(fake)

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Say) -> None:
        say(text="on it", thread_ts=event["ts"])

    event = {
        "type": "app_mention",
        "user": "U123",
        "text": "<@UBOT> NE555",
        "ts": "1700000000.000100",
        "channel": "C123",
        "event_ts": "1700000000.000100",
    }
    body = event_body(event)
    assert app.dispatch(_signed_request(body, "application/json")).status == 200

    (call,) = fake.wait_for("chat.postMessage")
    assert call.args["thread_ts"] == "1700000000.000100"
    assert call.args["channel"] == "C123"


def test_oauth_exchanges_a_code_once_for_a_token_good_in_its_workspace_only(fake: FakeSlack) -> None:
    fake.enable_oauth("cid", "csecret", rotation=True, expires_in=600)
    fake.grant("code-1", "T2", enterprise_id="E1")
    anon = WebClient(base_url=fake.api_url)
    with pytest.raises(SlackApiError, match="bad_client_secret"):
        anon.oauth_v2_access(client_id="cid", client_secret="wrong", code="code-1")
    grant = anon.oauth_v2_access(client_id="cid", client_secret="csecret", code="code-1")
    assert grant["team"]["id"] == "T2" and grant["enterprise"]["id"] == "E1" and grant["token_type"] == "bot"
    assert grant["expires_in"] == 600 and grant["refresh_token"].startswith("xoxe-")
    with pytest.raises(SlackApiError, match="invalid_code"):
        anon.oauth_v2_access(client_id="cid", client_secret="csecret", code="code-1")
    token = grant["access_token"]
    client = WebClient(token=token, base_url=fake.api_url)
    assert client.auth_test()["team_id"] == "T2" and client.auth_test()["enterprise_id"] == "E1"
    assert fake.calls_to("auth.test")[-1].token == token

    refreshed = anon.oauth_v2_access(
        client_id="cid", client_secret="csecret", grant_type="refresh_token", refresh_token=grant["refresh_token"]
    )
    assert refreshed["access_token"] != token and fake.tokens_of("T2", "E1") == [token, refreshed["access_token"]]
    with pytest.raises(SlackApiError, match="invalid_refresh_token"):
        anon.oauth_v2_access(
            client_id="cid", client_secret="csecret", grant_type="refresh_token", refresh_token=grant["refresh_token"]
        )

    mine = fake.add_file("F1", "bom.csv", b"MPN\nNE555\n", team_id="T2")
    other = fake.add_file("F2", "bom.csv", b"MPN\nNE555\n")
    assert httpx.get(mine["url_private_download"], headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(other["url_private_download"], headers={"Authorization": f"Bearer {token}"}).status_code == 302
    fake.revoke("T2", "E1")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        client.auth_test()

"""The front door, end to end against `python -m bot serve` over loopback: body caps, slow
clients, malformed input before auth, replays, a sick store, and shutdown with jobs in flight."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import shutil
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.logs import OneLine
from bot.web import MAX_BODY, Front
from tests.conftest import SIGNING_SECRET, BotServer, RedisProcess, bot_env, free_port, mention
from tests.fakes.nexar import FakeNexar
from tests.fakes.signing import event_body, signed_headers, slash_command_body
from tests.fakes.slack import FakeSlack
from tests.serve import ServeProcess

GENEROUS = 20.0
"""A client timeout far above any ack: reaching it means the server stalled, not that it was slow."""


@pytest.fixture
def server(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> Iterator[ServeProcess]:
    proc = ServeProcess(bot_env(tmp_path, fake_nexar, fake_slack), tmp_path)
    try:
        yield proc
    finally:
        proc.kill()


def responses(slack: FakeSlack, name: str) -> list[dict[str, object]]:
    return [c.args for c in slack.calls_to("response_url") if c.path.endswith("/" + name)]


def raw_request(port: int, head: bytes, body: bytes = b"") -> bytes:
    """Send bytes as written while reading the answer (the server may answer and close
    before the body is all sent: a reader blocked in recv gets the answer before the
    connection is reset)."""
    with socket.create_connection(("127.0.0.1", port), timeout=GENEROUS) as s:

        def send() -> None:
            with contextlib.suppress(OSError):
                s.sendall(head + body)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while data := s.recv(65536):
                chunks.append(data)
        sender.join(GENEROUS)
    return b"".join(chunks)


def post(server: ServeProcess, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(server.url + "/slack/events", content=body, headers=headers, timeout=GENEROUS)


# --- size -------------------------------------------------------------------------------


def test_a_body_over_the_cap_is_refused_before_it_is_read(server: ServeProcess) -> None:
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
    answer = raw_request(server.port, head, b"{" * 4096)  # a 100 MiB body that never comes
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"{{{{" not in server.output().encode()


def test_a_chunked_body_gets_the_same_cap(server: ServeProcess) -> None:
    chunk = b"x" * 65536
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Slack-Signature: v0=00\r\n"
    head += f"X-Slack-Request-Timestamp: {int(time.time())}\r\n\r\n".encode()
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_BODY // len(chunk) + 2))
    answer = raw_request(server.port, head, body)
    assert answer.startswith(b"HTTP/1.1 413")
    assert "xxxx" not in server.output()


def test_a_real_event_with_big_blocks_gets_through(server: ServeProcess, fake_slack: FakeSlack) -> None:
    event = mention("help")
    event["blocks"] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "lorem ipsum " * 250}, "block_id": f"b{i}"} for i in range(50)
    ]
    body = event_body(event, event_id="EvBig")
    assert 100_000 < len(body) < MAX_BODY
    assert post(server, body, signed_headers(SIGNING_SECRET, body, content_type="application/json")).status_code == 200
    fake_slack.wait_for("chat.postEphemeral", 1, timeout=GENEROUS)  # help for a mention goes to the asker


# --- slow clients -------------------------------------------------------------------------


def test_slow_bodies_cost_no_thread_and_time_out(server: ServeProcess, fake_slack: FakeSlack) -> None:
    slow = []
    for _ in range(64):  # more than any thread pool in the server
        s = socket.create_connection(("127.0.0.1", server.port), timeout=GENEROUS)
        head = "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nContent-Type: application/json\r\n"
        head += f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=00\r\n\r\n{{"
        s.sendall(head.encode())
        slow.append(s)
    try:
        assert httpx.get(server.url + "/healthz", timeout=GENEROUS).status_code == 200
        ack = server.command("help", fake_slack, "h")
        assert ack.status_code == 200 and "/part" in ack.text
        # The body never completes: the read deadline ends it with 408.
        slow[0].settimeout(GENEROUS)
        assert slow[0].recv(100).startswith(b"HTTP/1.1 408")
    finally:
        for s in slow:
            s.close()
    assert "408" in server.output()


# --- malformed input before auth ----------------------------------------------------------

DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"command=%2Fpart&text=hi", {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=ab"}, 401),
        (b"\xff\xfe\x00bad", {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=ab"}, 401),
        (b"\xff\xfe\x00bad", {}, 401),
        (DEEP, {"Content-Type": "application/json"}, 401),
        (b"payload=%7Bnope", {}, 401),
    ],
    ids=["timestamp", "non-utf8-stale", "non-utf8-unsigned", "deep-unsigned", "payload-unsigned"],
)
def test_unsigned_malformed_input_is_401_with_one_line(
    server: ServeProcess, body: bytes, headers: dict[str, str], status: int
) -> None:
    before = server.output().count("\n")
    assert post(server, body, headers).status_code == status
    time.sleep(0.2)  # let the log line reach the file
    new = server.output().splitlines()[before:]
    assert [line for line in new if "refused" in line] and len(new) == 1, new
    assert "Traceback" not in server.output()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00bad", "application/x-www-form-urlencoded"),
        (b'{"type": "event_callback", "event": ', "application/json"),
        (DEEP, "application/json"),
        (b"payload=%7Bnope", "application/x-www-form-urlencoded"),
        (b"[1, 2]", "application/json"),
    ],
    ids=["non-utf8", "bad-json", "deep-json", "bad-payload", "not-an-object"],
)
def test_signed_malformed_input_is_400_without_a_traceback(server: ServeProcess, body: bytes, content_type: str) -> None:
    assert post(server, body, signed_headers(SIGNING_SECRET, body, content_type=content_type)).status_code == 400
    assert post(server, b"", {}).status_code == 401  # and the server goes on
    assert "Traceback" not in server.output()


def test_an_unverified_body_is_never_logged(server: ServeProcess) -> None:
    body = b"command=%2Fpart&text=secret-looking-text%0Aforged 2026 INFO line"
    headers = signed_headers("not-the-secret", body)
    assert post(server, body, headers).status_code == 401
    time.sleep(0.2)
    assert "secret-looking-text" not in server.output() and "forged" not in server.output()


# --- replays --------------------------------------------------------------------------------


def test_a_replayed_slash_command_is_answered_and_billed_once(
    server: ServeProcess, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    body = slash_command_body("NE555DR x10", response_url=fake_slack.response_url("once"))
    headers = signed_headers(SIGNING_SECRET, body)
    assert post(server, body, headers).status_code == 200
    fake_slack.wait_for("response_url", 1, timeout=GENEROUS)
    assert post(server, body, headers).status_code == 200  # the same signed bytes again
    server.command("LM358DR", fake_slack, "later")  # a request after the replay, answered
    fake_slack.wait_for("response_url", 2, timeout=GENEROUS)
    assert len(responses(fake_slack, "once")) == 1
    assert len(fake_nexar.requests) == 2
    usage = server.command("usage", fake_slack, "u").json()
    assert "2 of 25 matched parts used" in json.dumps(usage)


# --- a sick store ---------------------------------------------------------------------------


def test_a_write_locked_sqlite_holds_no_ack(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    env = bot_env(tmp_path, fake_nexar, fake_slack)
    server = ServeProcess(env, tmp_path)
    try:
        lock = sqlite3.connect(env["PARTBOT_DB"], isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")  # readers go on (WAL); no other connection can write
        try:
            ack = server.command("NE555DR", fake_slack, "locked")
            assert ack.status_code == 200 and ack.text == ""
            mentioned = event_body(mention("LM358DR"), event_id="EvLocked")
            headers = signed_headers(SIGNING_SECRET, mentioned, content_type="application/json")
            assert post(server, mentioned, headers).status_code == 200
            assert not responses(fake_slack, "locked"), "acked before the lookup could bill"
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        fake_slack.wait_for("response_url", 1, timeout=GENEROUS)
        assert "NE555DR" in json.dumps(responses(fake_slack, "locked"))
        fake_slack.wait_for("chat.postMessage", 1, timeout=GENEROUS)
        assert httpx.get(server.url + "/healthz", timeout=GENEROUS).status_code == 200
    finally:
        server.kill()


def test_a_stopped_redis_holds_no_ack(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("REDIS BACKEND NOT TESTED: redis-server is not installed")
    redis = RedisProcess(binary)
    server = ServeProcess(bot_env(tmp_path, fake_nexar, fake_slack, REDIS_URL=redis.url), tmp_path)
    assert redis.proc is not None
    try:
        redis.proc.send_signal(signal.SIGSTOP)
        try:
            ack = server.command("NE555DR", fake_slack, "stopped")
            assert ack.status_code == 200
            usage = server.command("usage", fake_slack, "u")
            assert usage.status_code == 200 and "matched parts" not in usage.text
            health = httpx.get(server.url + "/healthz", timeout=GENEROUS)
            assert health.status_code == 503 and "store" in health.json()
        finally:
            redis.proc.send_signal(signal.SIGCONT)
        fake_slack.wait_for("response_url", 2, timeout=GENEROUS)
        assert responses(fake_slack, "stopped"), "the lookup got an answer or a clear message"
    finally:
        server.kill()
        redis.stop()


# --- shutdown ---------------------------------------------------------------------------------


def test_sigterm_lets_a_running_lookup_finish(server: ServeProcess, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    fake_nexar.latency = 1.0
    assert server.command("AD7685ARM x250", fake_slack, "late").status_code == 200
    time.sleep(0.3)  # the lookup is in flight
    server.stop()  # SIGTERM, as on a deploy
    assert server.proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it is done
    assert "Finished server process" in server.output()
    answer = json.dumps(responses(fake_slack, "late"))
    assert "AD7685ARM" in answer and "this answer cost 1 matched part" in answer


def test_user_text_in_a_log_line_cannot_forge_another() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLine("%(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("test.oneline")
    log.addHandler(handler)
    try:
        log.warning("pricing the BOM %s failed", "q3.csv\nERROR bot: forged\r\nline")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("with a traceback")
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "WARNING test.oneline: pricing the BOM q3.csv\\nERROR bot: forged\\r\\nline failed"
    assert lines[1] == "ERROR test.oneline: with a traceback" and lines[2].startswith("Traceback")


def test_more_processes_with_web_concurrency(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    server = ServeProcess(bot_env(tmp_path, fake_nexar, fake_slack, WEB_CONCURRENCY="2"), tmp_path)
    try:
        for n in range(4):
            assert server.command(f"NE555DR x{n + 1}", fake_slack, f"w{n}").status_code == 200
        fake_slack.wait_for("response_url", 4, timeout=GENEROUS)
        assert server.output().count("Started server process") == 2
    finally:
        server.stop()


# --- /healthz asks the store ----------------------------------------------------------------


class SickStore:
    """Only `ping`, the one call /healthz makes: raises, says False, or hangs until released."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.release = threading.Event()

    def ping(self) -> bool:
        if self.mode == "raises":
            raise sqlite3.DatabaseError("database disk image is malformed")
        if self.mode == "hangs":
            self.release.wait(30)
        return self.mode != "false"


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("raises", "DatabaseError: database disk image is malformed"),
        ("false", "the store's check failed"),
        ("hangs", "the store did not answer within 1 s"),
        ("ok", ""),
    ],
)
def test_healthz_says_what_is_wrong_with_the_store(bot: BotServer, mode: str, says: str) -> None:
    import uvicorn

    store = SickStore(mode)
    front = Front(bot.app, store, SIGNING_SECRET)  # type: ignore[arg-type]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(front, host="127.0.0.1", port=port, lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.01)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=GENEROUS)
        if mode == "ok":
            assert health.status_code == 200 and health.json() == {"ok": True, "store": "ok"}
        else:
            assert health.status_code == 503 and health.json() == {"ok": False, "store": says}
    finally:
        store.release.set()
        server.should_exit = True
        thread.join(10)
        front.close()

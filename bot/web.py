"""HTTP mode: a thin ASGI front for the Bolt app, served by uvicorn.

The front holds the door on the event loop, where a connection costs no thread: it caps
the body (413 before reading one that says it is too big), gives the whole body a read
deadline, checks Slack's signature on the raw bytes before anything parses them, and
refuses malformed input with one log line. Only a complete, signed, well-formed request
reaches Bolt, whose sync handler runs in a small thread pool; listeners ack and leave
their work to `bot.jobs`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.request.internals import parse_body

from bot.ports import Store
from bot.settings import Settings

log = logging.getLogger("bot.web")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY = 1024 * 1024
"""Slack's largest requests (events with 50 rich blocks, view submissions) run to a few
hundred KiB; nothing Slack sends comes near 1 MiB."""
BODY_DEADLINE = 10.0
"""Slack sends a body at once and gives up on the ack after 3 s; a body still trickling
in after this is not from Slack."""
MAX_SKEW = 300
"""Slack's rule: a request signed more than 5 minutes ago is refused (no replays)."""
HEALTH_DEADLINE = 1.0
MAX_QUERY = 4096
"""The OAuth redirect's query (a code and a state) is a few hundred bytes."""
ACK_THREADS = 8


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def check_headers(headers: dict[str, str], now: float) -> None:
    """What can be refused before reading the body: no signature, a malformed or stale timestamp."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    if not timestamp or not headers.get("x-slack-signature"):
        raise Refused(401, "unsigned request")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise Refused(401, "malformed X-Slack-Request-Timestamp")
    if abs(now - int(timestamp)) > MAX_SKEW:
        raise Refused(401, "stale or future X-Slack-Request-Timestamp")


def verify(secret: bytes, headers: dict[str, str], body: bytes, now: float) -> None:
    """Slack's v0 signature over the raw bytes; raises Refused(401) with a short reason."""
    check_headers(headers, now)
    timestamp, signature = headers["x-slack-request-timestamp"], headers["x-slack-signature"]
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Refused(401, "bad signature")


def check_payload(headers: dict[str, str], body: bytes) -> str:
    """The body as text, if Bolt can read it as one object (as Bolt parses it); else Refused(400)."""
    try:
        text = body.decode("utf-8")
        parsed = parse_body(text, headers.get("content-type"))
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    except RecursionError:
        raise Refused(400, "JSON nested too deep") from None
    except ValueError:
        raise Refused(400, "malformed JSON") from None
    if not isinstance(parsed, dict):
        raise Refused(400, "body is not a JSON object or a form")
    return text


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(400, "client went away mid-body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"body over {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class Front:
    """The ASGI app: `GET /healthz` and `POST /slack/events`."""

    def __init__(
        self,
        app: App,
        store: Store,
        signing_secret: str,
        *,
        on_shutdown: Callable[[], None] | None = None,
        max_body: int = MAX_BODY,
        body_deadline: float = BODY_DEADLINE,
    ) -> None:
        self.app, self.store = app, store
        self.secret = signing_secret.encode()
        self.on_shutdown = on_shutdown
        self.max_body, self.body_deadline = max_body, body_deadline
        self.acks = ThreadPoolExecutor(ACK_THREADS, thread_name_prefix="partbot-ack")
        self.health = ThreadPoolExecutor(1, thread_name_prefix="partbot-health")
        self._ping: Future[bool] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            try:
                await self._http(scope, receive, send)
            except Refused as refused:
                client = (scope.get("client") or ("?", 0))[0]
                log.warning(
                    "refused %s %s from %s: %d %s", scope["method"], scope["path"], client, refused.status, refused.reason
                )
                await respond(send, refused.status, {"ok": False, "error": refused.reason})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.get_running_loop().run_in_executor(None, self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        if self.on_shutdown is not None:
            self.on_shutdown()
        self.acks.shutdown(wait=False)
        self.health.shutdown(wait=False)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == "/healthz" and method in ("GET", "HEAD"):
            status, health = await self.healthz()
            await respond(send, status, health)
            return
        flow = self.app.oauth_flow
        if flow is not None and method == "GET" and path in (flow.install_path, flow.redirect_uri_path):
            await self._oauth(scope, send, path == flow.install_path)
            return
        if path != "/slack/events":
            await respond(send, 404, {"ok": False, "error": "not found"})
            return
        if method != "POST":
            await respond(send, 405, {"ok": False, "error": "POST only"})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or len(length) > 18):
            raise Refused(400, "malformed Content-Length")
        if length is not None and int(length) > self.max_body:
            raise Refused(413, f"body over {self.max_body} bytes")
        check_headers(headers, time.time())
        try:
            async with asyncio.timeout(self.body_deadline):
                body = await read_body(receive, self.max_body)
        except TimeoutError:
            raise Refused(408, f"body not received within {self.body_deadline:.0f} s") from None
        verify(self.secret, headers, body, time.time())
        text = check_payload(headers, body)
        request = BoltRequest(body=text, query=scope.get("query_string", b"").decode("latin-1"), headers=headers)
        response = await asyncio.get_running_loop().run_in_executor(self.acks, self.app.dispatch, request)
        await send_bolt(send, response)

    async def _oauth(self, scope: Scope, send: Send, install: bool) -> None:
        """Bolt's OAuth flow (many workspaces): the "Add to Slack" page, and Slack's redirect
        back with a code and a state, which Bolt checks before anything is stored."""
        query = scope.get("query_string", b"")
        if len(query) > MAX_QUERY:
            raise Refused(414, f"query over {MAX_QUERY} bytes")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request = BoltRequest(body="", query=query.decode("latin-1"), headers=headers)
        flow = self.app.oauth_flow
        assert flow is not None
        handle = flow.handle_installation if install else flow.handle_callback
        response = await asyncio.get_running_loop().run_in_executor(self.acks, handle, request)
        await send_bolt(send, response)

    async def healthz(self) -> tuple[int, dict[str, Any]]:
        """The store answers `ping()` within HEALTH_DEADLINE, or 503 saying what is wrong.
        One ping at a time: a hung store does not pile up threads."""
        if self._ping is None or self._ping.done():
            self._ping = self.health.submit(self.store.ping)
        try:
            ok = await asyncio.wait_for(asyncio.wrap_future(self._ping), HEALTH_DEADLINE)
            problem = "" if ok else "the store's check failed"
        except TimeoutError:
            ok, problem = False, f"the store did not answer within {HEALTH_DEADLINE:.0f} s"
        except Exception as exc:
            ok, problem = False, f"{type(exc).__name__}: {str(exc)[:200]}"
        if ok:
            return 200, {"ok": True, "store": "ok"}
        log.warning("healthz: %s", problem)
        return 503, {"ok": False, "store": problem}


async def send_bolt(send: Send, response: BoltResponse) -> None:
    out = response.body.encode()
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, vs in response.headers.items() for v in vs if k != "content-length"]
    raw.append((b"content-length", str(len(out)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": raw})
    await send({"type": "http.response.body", "body": out})


async def respond(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if status >= 400:
        headers.append((b"connection", b"close"))  # the rest of a refused body is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def build_front(settings: Settings) -> Front:
    from bot.app import build_app, build_core

    core = build_core(settings)
    assert settings.slack_signing_secret
    front = Front(build_app(core, "http"), core.store, settings.slack_signing_secret, on_shutdown=core.close)
    log.info("partbot serving HTTP%s", " (sample catalog)" if core.source.is_sample else "")
    return front


def from_environment() -> Front:
    """The factory each uvicorn worker process calls when WEB_CONCURRENCY > 1."""
    from bot.logs import setup_logging
    from bot.settings import load_settings

    settings = load_settings(mode="http")
    setup_logging(settings.secrets)
    return build_front(settings)


def serve(settings: Settings, port: int, *, workers: int = 1, host: str = "0.0.0.0") -> None:
    """Run uvicorn until SIGTERM/SIGINT: it stops accepting, finishes the requests in
    flight, then the lifespan shutdown waits for the jobs (within 30 s in all). One process
    by default; `workers` > 1 starts that many, each building its own app."""
    import uvicorn

    options: dict[str, Any] = dict(
        host=host,
        port=port,
        lifespan="on",
        access_log=False,
        log_config=None,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=3,
    )
    if workers > 1:
        uvicorn.run("bot.web:from_environment", factory=True, workers=workers, **options)
    else:
        uvicorn.run(build_front(settings), **options)

"""A fake Slack: Web API, response_url endpoints, upload URLs and a private file host.

Real HTTP on loopback, so the real slack_sdk / Bolt clients talk to it unchanged::

    with FakeSlack() as fake:
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.calls_to("chat.postMessage")[0].args["text"] == "hi"

Every request is recorded as a :class:`SlackCall` *before* it is answered, so a call
is visible as soon as the client has its response.

Many workspaces: ``enable_oauth`` and ``grant`` make ``oauth.v2.access`` exchange a code
for a workspace's own bot token (with token rotation's ``refresh_token``/``expires_in``,
and the refresh grant); every token is good for its own workspace only, and each call
records the token it came with (:attr:`SlackCall.token`)::

    fake.enable_oauth("cid", "csecret", rotation=True)
    fake.grant("code-1", "T2")
"""

from __future__ import annotations

import base64
import itertools
import json
import mimetypes
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["FAULT_KINDS", "FakeSlack", "SlackCall"]

FAULT_KINDS = frozenset({"429", "500", "404", "invalid_auth", "error", "slow"})

_TEAM_DOMAIN = "partbot-test"
_BOT_ID = "B0001"
_LOGIN_HTML = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"

JsonDict = dict[str, Any]


@dataclass
class SlackCall:
    """One request the fake received."""

    # A Web API method, or "response_url", "upload", "file_download", "login", "unknown".
    method: str
    # JSON body or form fields; JSON-encoded form fields (blocks, files) stay strings.
    args: dict[str, Any]
    # Request headers, names in canonical case ("Content-Type", "Authorization").
    headers: dict[str, str]
    path: str
    status: int  # HTTP status answered
    at: float = 0.0  # time.monotonic() when the request arrived

    @property
    def token(self) -> str:
        """The bearer token the request came with ("" if none)."""
        auth = self.headers.get("Authorization", "")
        return auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else str(self.args.get("token", ""))


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: JsonDict, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
        return cls(status, json.dumps(data).encode("utf-8"), headers=headers or {})

    @classmethod
    def text(cls, text: str, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
        return cls(status, text.encode("utf-8"), "text/plain; charset=utf-8", headers or {})


@dataclass(frozen=True)
class _Grant:
    """What an OAuth code or refresh token installs: a workspace (or an org, org-wide)."""

    team_id: str | None
    enterprise_id: str | None = None
    org_wide: bool = False
    installer: str = "UINSTALLER"


@dataclass
class _Fault:
    kind: str
    kw: dict[str, Any]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst of response_url posts must not overflow the listen backlog
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive; every reply carries Content-Length
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall on keep-alive

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr logging."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        headers = {_canonical(k): v for k, v in self.headers.items()}
        try:
            reply = self.server.fake._dispatch(self.command, self.path, headers, body)
        except Exception as exc:
            reply = _Reply.text(f"FakeSlack error: {exc!r}", 500)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


def _canonical(name: str) -> str:
    """``content-type`` / ``Content-type`` -> ``Content-Type``."""
    return "-".join(part.capitalize() for part in name.split("-"))


def _header(headers: dict[str, str], name: str) -> str:
    """A header's value from canonicalised ``headers``, or ""."""
    return headers.get(_canonical(name), "")


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields of a multipart body: text parts as str, file parts as bytes."""
    message = BytesParser(policy=policy.HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not name or not isinstance(payload, bytes):
            continue
        fields[str(name)] = payload if part.get_filename() else payload.decode("utf-8")
    return fields


def _parse_args(headers: dict[str, str], query: str, body: bytes) -> dict[str, Any]:
    """Query-string args overlaid with the body's (JSON, urlencoded or multipart)."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    content_type = _header(headers, "Content-Type").lower()
    if not body:
        return args
    if content_type.startswith("application/json"):
        parsed = json.loads(body)
        if isinstance(parsed, dict):
            args.update(parsed)
    elif content_type.startswith("multipart/form-data"):
        args.update(_parse_multipart(_header(headers, "Content-Type"), body))
    else:
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return args


def _guess_type(name: str) -> tuple[str, str]:
    """Slack-style (filetype, mimetype) from a file name."""
    filetype = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
    return filetype, mimetypes.guess_type(name)[0] or "application/octet-stream"


def _maybe_json(value: Any) -> Any:
    """Decode a JSON-encoded form field (blocks, view, files); leave other values alone."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeSlack:
    """Fake Slack HTTP endpoints on 127.0.0.1, recording every request."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        team_id: str = "T0001",
        bot_user_id: str = "UBOT",
    ) -> None:
        self.bot_token = bot_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._seq = 0  # ids and message timestamps; never reset, so they stay unique
        self._calls: list[SlackCall] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._files: dict[str, JsonDict] = {}
        self._contents: dict[str, bytes] = {}
        self._pending_uploads: dict[str, JsonDict] = {}
        self._uploads: dict[str, bytes] = {}
        self._app_token: str | None = None
        self._tokens: dict[str, _Grant] = {bot_token: _Grant(team_id)}
        self._oauth: tuple[str, str] | None = None
        self._rotation: int | None = None
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._token_seq = itertools.count(1)
        self._issue_socket_url: Callable[[], str] | None = None
        self._api: dict[str, Callable[[dict[str, Any]], JsonDict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.getPermalink": self._chat_get_permalink,
            "views.publish": self._views_publish,
            "files.info": self._files_info,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "chat.unfurl": self._chat_unfurl,
            "conversations.open": self._conversations_open,
        }

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Bind an ephemeral port and serve from a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-slack",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- addresses

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the fake must be started)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)``; ends with ``/api/``."""
        return self.base_url + "/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url to put in slash-command or interaction payloads."""
        return self.base_url + f"/response/{name}"

    # ---------------------------------------------------------------- inspection

    @property
    def calls(self) -> list[SlackCall]:
        """A snapshot of every request received, in order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        """The recorded requests for ``method``."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """Block until ``count`` calls of ``method`` arrived; raise AssertionError on timeout."""
        with self._changed:

            def enough() -> bool:
                return sum(c.method == method for c in self._calls) >= count

            if not self._changed.wait_for(enough, timeout=timeout):
                seen = [f"{c.method} {c.status}" for c in self._calls]
                raise AssertionError(f"expected {count} {method!r} call(s) within {timeout}s; saw {seen}")
            return [c for c in self._calls if c.method == method]

    @property
    def uploads(self) -> dict[str, bytes]:
        """file_id -> bytes received through the external upload flow (a snapshot)."""
        with self._lock:
            return dict(self._uploads)

    @property
    def file_fetches(self) -> int:
        """Requests to the private file host, authorised or not."""
        return len(self.calls_to("file_download"))

    # ---------------------------------------------------------------- setup

    def add_file(
        self,
        file_id: str,
        name: str,
        content: bytes,
        *,
        filetype: str = "csv",
        mimetype: str = "text/csv",
        team_id: str | None = None,
    ) -> JsonDict:
        """Register a downloadable private file (of `team_id`, default the fake's own
        workspace: only that workspace's tokens download it); returns its Slack file object."""
        file_obj = self._file_object(file_id, name, content, filetype=filetype, mimetype=mimetype, team_id=team_id)
        with self._lock:
            self._files[file_id] = file_obj
            self._contents[file_id] = content
        return dict(file_obj)

    def serve_socket_mode(self, app_token: str, issue_url: Callable[[], str]) -> None:
        """Answer apps.connections.open for the app-level ``app_token`` with ``issue_url()``.

        As on Slack, that method takes only the app-level token, and the app-level token
        is good for nothing else (``not_allowed_token_type``).
        """
        with self._lock:
            self._app_token, self._issue_socket_url = app_token, issue_url

    def enable_oauth(self, client_id: str, client_secret: str, *, rotation: bool = False, expires_in: int = 43200) -> None:
        """Answer oauth.v2.access for this app; with `rotation`, bot tokens expire in
        `expires_in` seconds and come with a refresh token (Slack's token rotation)."""
        with self._lock:
            self._oauth = (client_id, client_secret)
            self._rotation = expires_in if rotation else None

    def grant(
        self,
        code: str,
        team_id: str | None,
        *,
        enterprise_id: str | None = None,
        org_wide: bool = False,
        installer: str = "UINSTALLER",
    ) -> None:
        """Make `code` (once) install the app in `team_id` (of `enterprise_id`), or org-wide."""
        with self._lock:
            self._codes[code] = _Grant(team_id, enterprise_id, org_wide, installer)

    def tokens_of(self, team_id: str | None, enterprise_id: str | None = None) -> list[str]:
        """The bot tokens issued for a workspace (or, with team None, an org-wide install), oldest first."""
        with self._lock:
            return [t for t, g in self._tokens.items() if (g.team_id, g.enterprise_id) == (team_id, enterprise_id)]

    def revoke(self, team_id: str | None, enterprise_id: str | None = None) -> None:
        """Invalidate every token of a workspace, as an uninstall does."""
        with self._lock:
            for token, g in list(self._tokens.items()):
                if (g.team_id, g.enterprise_id) == (team_id, enterprise_id):
                    del self._tokens[token]

    def fail_next(self, method: str, kind: str, times: int = 1, **kw: Any) -> None:
        """Make the next ``times`` requests for ``method`` fail as ``kind``.

        ``method`` is a Web API method, "response_url", "upload" or "file_download".
        Kinds: "429" (kw retry_after), "500", "404", "invalid_auth", "error" (kw error),
        "slow" (kw seconds, then answers normally). kw ``error``/``status`` override the
        error string and HTTP status of any kind.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        with self._lock:
            queue = self._faults.setdefault(method, deque())
            queue.extend(_Fault(kind, dict(kw)) for _ in range(times))

    def reset(self) -> None:
        """Forget calls, faults, files and uploads (ids and timestamps keep increasing)."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._files.clear()
            self._contents.clear()
            self._pending_uploads.clear()
            self._uploads.clear()

    # ---------------------------------------------------------------- dispatch

    def _dispatch(self, verb: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Reply:
        arrived = time.monotonic()
        parts = urlsplit(raw_path)
        method, args, handle = self._route(verb, parts.path, parts.query, headers, body)
        fault = self._take_fault(method)
        if fault is not None and fault.kind == "slow":
            time.sleep(float(fault.kw.get("seconds", 2)))
            fault = None
        reply = self._fault_reply(method, fault) if fault is not None else handle()
        with self._changed:
            self._calls.append(SlackCall(method, args, headers, parts.path, reply.status, arrived))
            self._changed.notify_all()
        return reply

    def _route(
        self, verb: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[str, dict[str, Any], Callable[[], _Reply]]:
        """Name the endpoint, parse its args and pick the function that answers it."""
        if path.startswith("/api/"):
            method = unquote(path[len("/api/") :])
            try:
                args = _parse_args(headers, query, body)
            except ValueError:
                return (
                    method,
                    {},
                    partial(_Reply.json, {"ok": False, "error": "invalid_json"}),
                )
            return method, args, partial(self._web_api, method, args, headers)
        if path.startswith("/response/") and verb == "POST":
            args = self._response_url_args(body)
            return "response_url", args, partial(self._response_url, args)
        if path.startswith("/upload/") and verb == "POST":
            file_id = path[len("/upload/") :]
            return (
                "upload",
                {"file_id": file_id, "size": len(body)},
                partial(self._upload, file_id, headers, body),
            )
        if path.startswith("/files-pri/"):
            file_id = self._file_id_from_path(path)
            return (
                "file_download",
                {"file_id": file_id},
                partial(self._download, file_id, headers),
            )
        if path == "/login":
            return (
                "login",
                {},
                partial(_Reply, 200, _LOGIN_HTML, "text/html; charset=utf-8"),
            )
        return "unknown", {"verb": verb}, partial(_Reply.text, "not found", 404)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None

    def _fault_reply(self, method: str, fault: _Fault) -> _Reply:
        kind, kw = fault.kind, fault.kw
        is_api = method not in ("response_url", "upload", "file_download")
        headers: dict[str, str] = {}
        if kind == "429":
            status, error = 429, "ratelimited"
            headers["Retry-After"] = str(kw.get("retry_after", 1))
        elif kind == "500":
            status, error = 500, "internal_error"
        elif kind == "404":
            status, error = (
                404,
                "expired_url" if method == "response_url" else "not_found",
            )
        elif kind == "invalid_auth":
            if method == "file_download":
                return self._login_redirect()
            status, error = (200 if is_api else 403), "invalid_auth"
        else:  # "error"
            status, error = (200 if is_api else 400), "internal_error"
        status = int(kw.get("status", status))
        error = str(kw.get("error", error))
        if is_api:
            return _Reply.json({"ok": False, "error": error}, status, headers)
        return _Reply.text(error, status, headers)

    # ---------------------------------------------------------------- Web API

    def _web_api(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> _Reply:
        auth = _header(headers, "Authorization")
        token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else str(args.get("token", ""))
        if method == "oauth.v2.access":
            return _Reply.json(self._oauth_v2_access(args, auth))
        if not token:
            return _Reply.json({"ok": False, "error": "not_authed"})
        if self._app_token is not None and (method == "apps.connections.open" or token == self._app_token):
            return _Reply.json(self._apps_connections_open(method, token))
        with self._lock:
            grant = self._tokens.get(token)
        if grant is None:
            return _Reply.json({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return _Reply.json(self._auth_test_for(grant))
        handler = self._api.get(method)
        return _Reply.json(handler(args) if handler is not None else {"ok": True})

    def _next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def _next_ts(self) -> str:
        """Unique, increasing message timestamps: 1700000000.000100, 1700000000.000200, …"""
        n = self._next_seq() - 1
        return f"{1_700_000_000 + n // 9999}.{(n % 9999 + 1) * 100:06d}"

    def _apps_connections_open(self, method: str, token: str) -> JsonDict:
        if method != "apps.connections.open" or token == self.bot_token:
            return {"ok": False, "error": "not_allowed_token_type"}
        if token != self._app_token or self._issue_socket_url is None:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self._issue_socket_url()}

    def _auth_test(self, args: dict[str, Any]) -> JsonDict:
        return self._auth_test_for(_Grant(self.team_id))

    def _auth_test_for(self, grant: _Grant) -> JsonDict:
        answer: JsonDict = {
            "ok": True,
            "url": f"https://{_TEAM_DOMAIN}.slack.com/",
            "team": f"Team {grant.team_id}" if grant.team_id else None,
            "user": "partbot",
            "team_id": grant.team_id,
            "user_id": self.bot_user_id,
            "bot_id": _BOT_ID,
            "is_enterprise_install": grant.org_wide,
        }
        if grant.enterprise_id:
            answer["enterprise_id"] = grant.enterprise_id
        return answer

    def _oauth_v2_access(self, args: dict[str, Any], auth: str) -> JsonDict:
        """The code exchange and (token rotation) the refresh grant; client credentials by
        HTTP Basic auth, as slack_sdk sends them, or as form fields."""
        client = (str(args.get("client_id", "")), str(args.get("client_secret", "")))
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[len("Basic ") :]).decode("utf-8").partition(":")
            client = (user, password)
        with self._lock:
            if self._oauth is None or client != self._oauth:
                return {"ok": False, "error": "invalid_client_id" if self._oauth is None else "bad_client_secret"}
            if args.get("grant_type") == "refresh_token":
                grant = self._refresh.pop(str(args.get("refresh_token", "")), None)  # used once, as on Slack
                if grant is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
            else:
                grant = self._codes.pop(str(args.get("code", "")), None)
                if grant is None:
                    return {"ok": False, "error": "invalid_code"}
            n = next(self._token_seq)
            prefix = "xoxe.xoxb-1" if self._rotation is not None else "xoxb"
            token = f"{prefix}-{grant.enterprise_id or 'E'}-{grant.team_id or 'ORG'}-{n}"
            self._tokens[token] = grant
            answer: JsonDict = {
                "ok": True,
                "app_id": "A0001",
                "access_token": token,
                "token_type": "bot",
                "scope": "commands,chat:write,app_mentions:read,files:read,files:write",
                "bot_user_id": self.bot_user_id,
                "team": {"id": grant.team_id, "name": f"Team {grant.team_id}"} if grant.team_id else None,
                "enterprise": {"id": grant.enterprise_id, "name": f"Org {grant.enterprise_id}"} if grant.enterprise_id else None,
                "is_enterprise_install": grant.org_wide,
                "authed_user": {"id": grant.installer},
            }
            if self._rotation is not None:
                refresh = f"xoxe-1-refresh-{n}"
                self._refresh[refresh] = grant
                answer |= {"refresh_token": refresh, "expires_in": self._rotation}
        return answer

    @staticmethod
    def _message_error(args: dict[str, Any]) -> JsonDict | None:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return {"ok": False, "error": "no_text"}
        return None

    def _chat_post_message(self, args: dict[str, Any]) -> JsonDict:
        if (error := self._message_error(args)) is not None:
            return error
        ts = self._next_ts()
        message: JsonDict = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": _BOT_ID,
            "text": args.get("text", ""),
            "blocks": _maybe_json(args.get("blocks", [])),
            "ts": ts,
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> JsonDict:
        if (error := self._message_error(args)) is not None:
            return error
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, args: dict[str, Any]) -> JsonDict:
        if not args.get("channel") or not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {
            "ok": True,
            "channel": args["channel"],
            "ts": args["ts"],
            "text": args.get("text", ""),
        }

    def _chat_get_permalink(self, args: dict[str, Any]) -> JsonDict:
        channel, ts = str(args.get("channel", "")), str(args.get("message_ts", ""))
        if not channel or not ts:
            return {"ok": False, "error": "message_not_found"}
        permalink = f"https://{_TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    @staticmethod
    def _chat_unfurl(args: dict[str, Any]) -> JsonDict:
        """As Slack checks it: channel and ts, or unfurl_id and source; a JSON map of unfurls."""
        by_message = bool(args.get("channel")) and bool(args.get("ts"))
        by_id = bool(args.get("unfurl_id")) and args.get("source") in ("composer", "conversations_history")
        if not (by_message or by_id):
            return {"ok": False, "error": "invalid_arguments"}
        unfurls = _maybe_json(args.get("unfurls"))
        if not isinstance(unfurls, dict) or not unfurls:
            return {"ok": False, "error": "invalid_unfurls"}
        return {"ok": True}

    @staticmethod
    def _conversations_open(args: dict[str, Any]) -> JsonDict:
        """The bot's DM with one user: `D` + the user's id here."""
        users = str(args.get("users") or "")
        if not users or "," in users:
            return {"ok": False, "error": "users_list_not_supplied" if not users else "not_supported"}
        return {"ok": True, "channel": {"id": "D" + users.removeprefix("U")}}

    def _views_publish(self, args: dict[str, Any]) -> JsonDict:
        view = _maybe_json(args.get("view"))
        if not args.get("user_id") or not isinstance(view, dict) or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        seq = self._next_seq()
        return {
            "ok": True,
            "view": {
                "id": f"V{seq:08d}",
                "team_id": self.team_id,
                "type": "home",
                "blocks": view.get("blocks", []),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "hash": f"{int(time.time())}.{seq:08d}",
                "app_id": "A0001",
                "bot_id": _BOT_ID,
            },
        }

    def _files_info(self, args: dict[str, Any]) -> JsonDict:
        with self._lock:
            file_obj = self._files.get(str(args.get("file", "")))
        if file_obj is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": file_obj}

    def _files_get_upload_url_external(self, args: dict[str, Any]) -> JsonDict:
        filename, length = args.get("filename"), str(args.get("length", ""))
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F_UP{self._next_seq():06d}"
        with self._lock:
            self._pending_uploads[file_id] = {
                "filename": str(filename),
                "length": int(length),
            }
        return {
            "ok": True,
            "upload_url": self.base_url + f"/upload/{file_id}",
            "file_id": file_id,
        }

    def _files_complete_upload_external(self, args: dict[str, Any]) -> JsonDict:
        files = _maybe_json(args.get("files"))
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        completed: list[JsonDict] = []
        with self._lock:
            for item in files:
                file_id = str(item.get("id", "")) if isinstance(item, dict) else ""
                if file_id not in self._uploads:
                    return {"ok": False, "error": "file_not_found"}
                name = str(self._pending_uploads.get(file_id, {}).get("filename", file_id))
                content = self._uploads[file_id]
                filetype, mimetype = _guess_type(name)
                title = str(item.get("title") or name)
                file_obj = self._file_object(
                    file_id,
                    name,
                    content,
                    filetype=filetype,
                    mimetype=mimetype,
                    title=title,
                )
                self._files[file_id] = file_obj
                self._contents[file_id] = content
                completed.append(file_obj)
        return {"ok": True, "files": completed}

    def _conversations_info(self, args: dict[str, Any]) -> JsonDict:
        channel = str(args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": "general" if channel == "C123" else f"channel-{channel.lower()}",
                "is_channel": channel.startswith("C"),
                "is_group": channel.startswith("G"),
                "is_im": channel.startswith("D"),
                "is_private": channel.startswith(("G", "D")),
                "is_archived": False,
                "is_member": True,
                "created": 1_600_000_000,
                "creator": "U0ADMIN",
                "context_team_id": self.team_id,
            },
        }

    def _users_info(self, args: dict[str, Any]) -> JsonDict:
        user = str(args.get("user", ""))
        if not user:
            return {"ok": False, "error": "user_not_found"}
        is_bot = user == self.bot_user_id
        name = "partbot" if is_bot else f"user-{user.lower()}"
        real_name = "partbot" if is_bot else f"User {user}"
        return {
            "ok": True,
            "user": {
                "id": user,
                "team_id": self.team_id,
                "name": name,
                "real_name": real_name,
                "deleted": False,
                "is_bot": is_bot,
                "is_admin": False,
                "tz": "Europe/Berlin",
                "tz_label": "Central European Time",
                "tz_offset": 3600,
                "profile": {"display_name": name, "real_name": real_name},
            },
        }

    # ---------------------------------------------------------------- other endpoints

    @staticmethod
    def _response_url_args(body: bytes) -> dict[str, Any]:
        try:
            parsed = json.loads(body or b"null")
        except ValueError:
            return {"_raw": body.decode("utf-8", "replace")}
        return parsed if isinstance(parsed, dict) else {"_raw": parsed}

    @staticmethod
    def _response_url(args: dict[str, Any]) -> _Reply:
        if "_raw" in args:
            return _Reply.text("invalid_payload", 400)
        if not (args.get("text") or args.get("blocks") or args.get("attachments") or args.get("delete_original")):
            return _Reply.text("no_text", 400)
        return _Reply(200, b"ok", "text/html")

    def _upload(self, file_id: str, headers: dict[str, str], body: bytes) -> _Reply:
        content = body
        content_type = _header(headers, "Content-Type")
        if content_type.lower().startswith("multipart/form-data"):
            fields = _parse_multipart(content_type, body)
            value = fields.get("file", fields.get("filename", b""))
            content = value if isinstance(value, bytes) else value.encode("utf-8")
        with self._lock:
            if file_id not in self._pending_uploads:
                return _Reply.text("not found", 404)
            self._uploads[file_id] = content
        return _Reply.text(f"OK - {len(content)}")

    def _file_id_from_path(self, path: str) -> str:
        """``/files-pri/T0001-F123/download/x.csv`` -> ``F123``."""
        segment = path[len("/files-pri/") :].split("/", 1)[0]
        return segment.split("-", 1)[-1]

    def _login_redirect(self) -> _Reply:
        return _Reply(
            302,
            _LOGIN_HTML,
            "text/html; charset=utf-8",
            {"Location": self.base_url + "/login"},
        )

    def _download(self, file_id: str, headers: dict[str, str]) -> _Reply:
        auth = _header(headers, "Authorization")
        with self._lock:
            content = self._contents.get(file_id)
            file_obj = self._files.get(file_id, {})
            grant = self._tokens.get(auth[len("Bearer ") :]) if auth.startswith("Bearer ") else None
        if grant is None or grant.team_id != file_obj.get("user_team", self.team_id):
            return self._login_redirect()
        if content is None:
            return _Reply.text("file_not_found", 404)
        return _Reply(200, content, str(file_obj.get("mimetype", "application/octet-stream")))

    def _file_object(
        self,
        file_id: str,
        name: str,
        content: bytes,
        *,
        filetype: str = "csv",
        mimetype: str = "text/csv",
        title: str | None = None,
        team_id: str | None = None,
    ) -> JsonDict:
        team = team_id or self.team_id
        private = self.base_url + f"/files-pri/{team}-{file_id}"
        return {
            "id": file_id,
            "created": 1_700_000_000,
            "timestamp": 1_700_000_000,
            "name": name,
            "title": title or name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": "U123",
            "user_team": team,
            "mode": "hosted",
            "editable": False,
            "is_external": False,
            "is_public": False,
            "size": len(content),
            "url_private": f"{private}/{name}",
            "url_private_download": f"{private}/download/{name}",
        }

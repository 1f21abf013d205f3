"""A fake of Slack's Socket Mode on loopback: a websocket server that speaks its protocol.

The app asks the fake Slack Web API for ``apps.connections.open`` (app-level token only)
and gets ``ws://127.0.0.1:PORT/link/?ticket=…&app_id=…``; each ticket opens one
connection, once, so a reconnect has to go through ``apps.connections.open`` again. On a
new connection the fake sends ``hello``; the test then sends envelopes
(``slash_commands``, ``events_api``, ``interactive``) and waits for their acks
(``{"envelope_id": …, "payload": …}``), or sends ``disconnect`` or drops the link::

    with FakeSlack() as slack, FakeSocketMode(slack) as socket_mode:
        ...  # start the app with SLACK_APP_TOKEN=socket_mode.app_token
        socket_mode.wait_connected()
        envelope_id = socket_mode.slash_command({...})
        assert socket_mode.wait_ack(envelope_id).payload is None

Message shapes follow Slack's Socket Mode docs and the envelopes in python-slack-sdk's
own Socket Mode tests.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakes.slack import FakeSlack

__all__ = ["Ack", "FakeSocketMode", "Link"]

JsonDict = dict[str, Any]


@dataclass
class Ack:
    """What the app sent back for one envelope."""

    envelope_id: str
    payload: JsonDict | None
    link: int  # the number of the connection it came on (1 = first)


@dataclass
class Link:
    """One websocket connection from the app."""

    number: int
    ticket: str
    ws: ServerConnection = field(repr=False)
    hello: JsonDict = field(default_factory=dict)
    ready: bool = False  # hello sent
    closed: bool = False
    close_code: int | None = None


class FakeSocketMode:
    """Socket Mode endpoint on 127.0.0.1, registered on a :class:`FakeSlack`."""

    def __init__(self, slack: FakeSlack, *, app_token: str = "xapp-1-A0001-1-socketmodetest", app_id: str = "A0001") -> None:
        self.slack = slack
        self.app_token = app_token
        self.app_id = app_id
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._links: list[Link] = []
        self._acks: dict[str, Ack] = {}
        self._send_lock = threading.Lock()
        self.unexpected: list[str] = []  # messages from the app that are not acks
        self.rejected = 0  # handshakes refused (unknown or reused ticket)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        self._server = serve(self._session, "127.0.0.1", 0, process_request=self._check_ticket)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-socket-mode", daemon=True)
        self._thread.start()
        self.slack.serve_socket_mode(self.app_token, self.issue_url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSocketMode is not started")
        return int(self._server.socket.getsockname()[1])

    def issue_url(self) -> str:
        """A fresh single-use websocket URL, as apps.connections.open returns."""
        ticket = str(uuid.uuid4())
        with self._cond:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    # ---------------------------------------------------------------- inspection

    @property
    def links(self) -> list[Link]:
        with self._cond:
            return list(self._links)

    def connected(self, count: int = 1, timeout: float = 0.0) -> bool:
        """Whether `count` connections have been greeted with hello (waiting up to `timeout`)."""
        with self._cond:
            return self._cond.wait_for(lambda: sum(link.ready for link in self._links) >= count, timeout)

    def wait_connected(self, count: int = 1, timeout: float = 30.0) -> Link:
        """The `count`-th connection, once greeted; AssertionError if it does not come."""
        if not self.connected(count, timeout):
            raise AssertionError(f"expected connection #{count} within {timeout}s; have {self.links}")
        return [link for link in self.links if link.ready][count - 1]

    def wait_closed(self, link: Link, timeout: float = 30.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: link.closed, timeout):
                raise AssertionError(f"connection #{link.number} still open after {timeout}s")

    def wait_ack(self, envelope_id: str, timeout: float = 30.0) -> Ack:
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s; acked {sorted(self._acks)}")
            return self._acks[envelope_id]

    @property
    def acks(self) -> dict[str, Ack]:
        with self._cond:
            return dict(self._acks)

    # ---------------------------------------------------------------- sending

    def send(self, message: JsonDict, link: Link | None = None) -> None:
        """Send one JSON message on `link` (default: the newest open connection)."""
        target = link or self._newest_open()
        with self._send_lock:
            target.ws.send(json.dumps(message))

    def envelope(
        self,
        kind: str,
        payload: JsonDict,
        *,
        accepts_response_payload: bool,
        envelope_id: str | None = None,
        extra: JsonDict | None = None,
        link: Link | None = None,
    ) -> str:
        """Send an envelope of type `kind` carrying `payload`; returns its envelope_id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        message: JsonDict = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
            **(extra or {}),
        }
        self.send(message, link)
        return envelope_id

    def slash_command(self, payload: JsonDict, **kw: Any) -> str:
        return self.envelope("slash_commands", payload, accepts_response_payload=True, **kw)

    def event(self, payload: JsonDict, *, retry_attempt: int = 0, retry_reason: str = "", **kw: Any) -> str:
        extra = {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        return self.envelope("events_api", payload, accepts_response_payload=False, extra=extra, **kw)

    def interactive(self, payload: JsonDict, **kw: Any) -> str:
        return self.envelope("interactive", payload, accepts_response_payload=False, **kw)

    def disconnect(self, reason: str = "refresh_requested", link: Link | None = None) -> Link:
        """Ask the app to move to a new connection; the old one stays open until it closes it."""
        target = link or self._newest_open()
        self.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}, target)
        return target

    def drop(self, link: Link | None = None) -> Link:
        """Close a connection from Slack's side without warning (close code 1001, going away)."""
        target = link or self._newest_open()
        target.ws.close(1001, "going away")
        return target

    # ---------------------------------------------------------------- server side

    def _newest_open(self) -> Link:
        with self._cond:
            for link in reversed(self._links):
                if link.ready and not link.closed:
                    return link
        raise AssertionError(f"no open Socket Mode connection; have {self.links}")

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = parse_qs(parts.query).get("ticket", [""])[0]
        with self._cond:
            if parts.path.rstrip("/") == "/link" and ticket in self._tickets:
                self._tickets.discard(ticket)
                connection.ticket = ticket  # type: ignore[attr-defined]
                return None
            self.rejected += 1
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")

    def _session(self, ws: ServerConnection) -> None:
        with self._cond:
            link = Link(number=len(self._links) + 1, ticket=getattr(ws, "ticket", ""), ws=ws)
            self._links.append(link)
            open_count = sum(not other.closed for other in self._links)
        hello = {
            "type": "hello",
            "num_connections": open_count,
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        try:
            with self._send_lock:
                ws.send(json.dumps(hello))
            with self._cond:
                link.hello = hello
                link.ready = True
                self._cond.notify_all()
            for raw in ws:
                self._receive(link, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                link.closed = True
                link.close_code = ws.close_code
                self._cond.notify_all()

    def _receive(self, link: Link, raw: str | bytes) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        with self._cond:
            if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
                payload = message.get("payload")
                self._acks[message["envelope_id"]] = Ack(
                    message["envelope_id"], payload if isinstance(payload, dict) else None, link.number
                )
            else:
                self.unexpected.append(text)
            self._cond.notify_all()

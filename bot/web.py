"""HTTP mode: Bolt behind a WSGI app with `GET /healthz`, served by gunicorn."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.ports import Store
from bot.work import Runner

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_wsgi(app: App, store: Store, work: Runner | None = None) -> WSGIApp:
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            try:
                ok = store.ping()
            except Exception:
                ok = False
            status = {"ok": ok, "store": "ok" if ok else "unavailable"}
            if work is not None:
                status["worker"] = "ok" if work.alive() else "down: answers run in the web process"
            body = json.dumps(status).encode()
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return slack(environ, start_response)

    return wsgi


def serve(load: Callable[[], WSGIApp], port: int, *, workers: int | None = None, threads: int = 4) -> None:
    """Run gunicorn (gthread workers) in this process; each worker calls `load` once.

    Web workers only verify, parse and ack (lookups go to worker processes), so a few
    threads each are enough: more would only queue acks behind each other for the
    interpreter lock. Two workers ack in parallel on two cores."""
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"0.0.0.0:{port}")
            self.cfg.set("workers", workers or int(os.environ.get("WEB_CONCURRENCY", "2")))
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", None)

        def load(self) -> WSGIApp:
            return load()

    _Server().run()

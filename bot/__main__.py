"""Command line: `python -m bot [run|serve|socket|ask]`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from bot.settings import ConfigError, Settings, load_settings

SAMPLE_QUESTION = "AD7685ARM x250"
SOCKET_PING_INTERVAL = 3.0
SETUP_HELP = """\
partbot is running on its bundled sample catalog (invented prices), outside Slack.

To connect Slack: create an app from manifest.yml (api.slack.com/apps → Create New App →
From an app manifest), install it, then put its credentials in .env (see .env.example):
  Socket Mode (no public URL): SLACK_BOT_TOKEN=xoxb-…  SLACK_APP_TOKEN=xapp-…
  HTTP mode:                   SLACK_BOT_TOKEN=xoxb-…  SLACK_SIGNING_SECRET=…
  Many workspaces (HTTP):      SLACK_CLIENT_ID=…  SLACK_CLIENT_SECRET=…  SLACK_SIGNING_SECRET=…
                               (each installs from https://YOUR-HOST/slack/install)
and run `make run` again (or `python -m bot socket` / `python -m bot serve`).
To answer from live Octopart data: set NEXAR_CLIENT_ID and NEXAR_CLIENT_SECRET
(a Nexar app with the Supply scope, nexar.com).
Ask anything from the terminal: python -m bot ask "LM358 x100, NE555 x50"
"""


def _ask(settings: Settings, text: str, user: str, team: str, as_json: bool) -> int:
    from bot.app import build_core
    from bot.domain.commands import Help, Invalid, Lookup, Usage
    from bot.domain.parsing import parse_command
    from bot.domain.watch_grammar import WATCH_HINT
    from bot.messages.answer import render_outcome
    from bot.messages.terminal import render_terminal
    from bot.replies import quick_reply
    from bot.service.alternates import AlternatesFinder

    core = build_core(settings)
    try:
        command = parse_command(text)
        if isinstance(command, Lookup):
            outcome = core.service.lookup(team, user, command)
            if command.options.alternates:
                outcome = AlternatesFinder(core.service, settings.alternates_reserve).add(team, user, outcome)
            message = render_outcome(outcome)
        elif not isinstance(command, Invalid | Help | Usage):
            message = quick_reply(core.service, (), Invalid("watches alert in Slack, not in a terminal", WATCH_HINT), team, user)
        else:
            message = quick_reply(core.service, settings.admins, command, team, user, support_url=settings.support_url)
    finally:
        core.close()
    if as_json:
        print(json.dumps(message.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render_terminal(message), end="")
    return 0


def _serve(settings: Settings, port: int | None) -> int:
    from bot.app import build_core, check_slack
    from bot.web import serve

    problems = settings.slack_problems("http")
    if problems:
        raise ConfigError(problems)
    check_slack(settings)
    build_core(settings).close()  # the store opens (a config error stops here, not in a worker)
    workers = os.environ.get("WEB_CONCURRENCY", "1")
    if not workers.isdigit() or not 1 <= int(workers) <= 64:
        raise ConfigError([f"WEB_CONCURRENCY must be a whole number from 1 to 64, not {workers!r}"])
    serve(settings, port or settings.port, workers=int(workers))
    return 0


def _socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app, build_core, check_slack

    problems = settings.slack_problems("socket")
    if problems:
        raise ConfigError(problems)
    check_slack(settings)
    core = build_core(settings)
    app = build_app(core, "socket")
    logging.getLogger(__name__).info("partbot connected in Socket Mode%s", " (sample catalog)" if core.source.is_sample else "")
    # slack_sdk's built-in client notices a connection Slack closed (without a `disconnect`
    # message first) only on its next ping check, not when the close arrives: check every
    # SOCKET_PING_INTERVAL seconds rather than its default 10, so the bot is deaf that long at most.
    handler = SocketModeHandler(app, settings.slack_app_token, ping_interval=SOCKET_PING_INTERVAL)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        while not stopping.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        # SIGTERM (a deploy): take no new envelopes, let running jobs finish (the pool
        # waits up to 25 s of the platform's 30), then close the store.
        logging.getLogger(__name__).info("stopping: finishing the jobs in flight")
        handler.close()  # type: ignore[no-untyped-call]
        core.close()
    return 0


def _run(settings: Settings) -> int:
    """With Slack credentials: Socket Mode if an app token is set, else HTTP. Without: a demo."""
    if settings.slack_bot_token and settings.slack_app_token:
        return _socket(settings)
    if (settings.slack_bot_token or settings.oauth) and settings.slack_signing_secret:
        return _serve(settings, None)
    print(f"$ /part {SAMPLE_QUESTION}\n")
    _ask(settings, SAMPLE_QUESTION, "U_LOCAL", "T_LOCAL", False)
    print()
    print(SETUP_HELP, end="")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="partbot: electronic part prices in Slack.")
    sub = parser.add_subparsers(dest="cmd")
    sub.add_parser("run", help="connect to Slack if configured, else answer a sample question")
    p_serve = sub.add_parser("serve", help="HTTP mode (Slack endpoint /slack/events, GET /healthz)")
    p_serve.add_argument("--port", type=int, default=None)
    sub.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN)")
    p_ask = sub.add_parser("ask", help='answer TEXT as `/part TEXT` would, e.g. ask "AD7685ARM x250"')
    p_ask.add_argument("text")
    p_ask.add_argument("--user", default="U_LOCAL", help="Slack user ID to account the lookup to")
    p_ask.add_argument("--team", default="T_LOCAL", help="Slack team ID to account the lookup to")
    p_ask.add_argument("--json", action="store_true", help="print the Slack message as JSON (text and blocks)")
    args = parser.parse_args(argv)

    from bot.logs import setup_logging

    try:
        settings = load_settings(mode={"serve": "http", "socket": "socket"}.get(args.cmd or ""))
        setup_logging(settings.secrets, logging.WARNING if args.cmd in (None, "run", "ask") else logging.INFO)
        if args.cmd == "ask":
            return _ask(settings, args.text, args.user, args.team, args.json)
        if args.cmd == "serve":
            return _serve(settings, args.port)
        if args.cmd == "socket":
            return _socket(settings)
        return _run(settings)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""`@partbot` mentions: answered in the mention's thread (or a thread started on it)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.domain.commands import Command, Lookup, Usage
from bot.domain.parsing import parse_mention
from bot.listeners.bom import BOM_FILETYPES, price_bom
from bot.listeners.common import Deps, answer_lookup, log, quick_reply
from bot.messages.render import Message, render_error


def post(client: WebClient, channel: str, thread_ts: str, message: Message) -> str | None:
    resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks)
    return resp.get("ts")


def answer_mention(deps: Deps, team: str, user: str, channel: str, thread_ts: str, parsed: Command) -> None:
    try:
        _answer(deps, team, user, channel, thread_ts, parsed)
    except Exception:
        log.exception("answering a mention failed")
        post(deps.client, channel, thread_ts, render_error())


def _answer(deps: Deps, team: str, user: str, channel: str, thread_ts: str, parsed: Command) -> None:
    if isinstance(parsed, Lookup):
        post(deps.client, channel, thread_ts, answer_lookup(deps, team, user, parsed, public=True))
    elif isinstance(parsed, Usage):
        message = quick_reply(deps, parsed, team, user, "@partbot")
        deps.client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=message.text, blocks=message.blocks)
    else:
        post(deps.client, channel, thread_ts, quick_reply(deps, parsed, team, user, "@partbot"))


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], context: BoltContext, body: dict[str, Any]) -> None:
        team = context.team_id or event.get("team") or ""
        user = event.get("user") or ""
        channel = event.get("channel") or ""
        thread_ts = event.get("thread_ts") or event.get("ts") or ""
        text = event.get("text") or ""
        files = [
            f
            for f in event.get("files") or ()
            if (f.get("filetype") or "").lower() in BOM_FILETYPES or str(f.get("name", "")).lower().endswith((".csv", ".tsv"))
        ]
        if len(files) > 1:
            log.info("a mention shared %d BOM files; pricing the first", len(files))
        once = body.get("event_id")  # Slack redelivers events it thinks were missed: answer each once
        if files:
            file = files[0]
            deps.submit(lambda: price_bom(deps, team, user, channel, thread_ts, file, text), once=once)
            return
        if event.get("files"):
            log.info("mention with a file that is not a CSV/TSV; reading its text instead")
        parsed = parse_mention(text)
        deps.submit(lambda: answer_mention(deps, team, user, channel, thread_ts, parsed), once=once)

"""`@partbot` mentions: answered in the mention's thread (or a thread started on it)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.domain.commands import Command, Lookup, Usage
from bot.domain.parsing import parse_mention
from bot.listeners.bom import is_bom_file, price_bom
from bot.listeners.common import Deps, answer_lookup, log, quick_reply
from bot.messages.blocks import Message
from bot.messages.replies import render_error


def post(client: WebClient, channel: str, thread_ts: str, message: Message) -> str | None:
    resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks)
    return resp.get("ts")


def answer_mention(deps: Deps, team: str, user: str, channel: str, thread_ts: str, parsed: Command) -> None:
    if isinstance(parsed, Lookup):
        post(deps.client, channel, thread_ts, answer_lookup(deps, team, user, parsed, public=True))
    elif isinstance(parsed, Usage):
        message = quick_reply(deps, parsed, team, user, "@partbot")
        deps.client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=message.text, blocks=message.blocks)
    else:
        post(deps.client, channel, thread_ts, quick_reply(deps, parsed, team, user, "@partbot"))


def mention_failed(deps: Deps, team: str, user: str, channel: str, thread_ts: str, *_: object) -> None:
    post(deps.client, channel, thread_ts, render_error())


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], context: BoltContext) -> None:
        team = context.team_id or event.get("team") or ""
        user = event.get("user") or ""
        channel = event.get("channel") or ""
        thread_ts = event.get("thread_ts") or event.get("ts") or ""
        text = event.get("text") or ""
        files = [f for f in event.get("files") or () if is_bom_file(f)]
        if len(files) > 1:
            log.info("a mention shared %d BOM files; pricing the first", len(files))
        if files:
            deps.submit(price_bom, team, user, channel, thread_ts, files[0], text, on_error=mention_failed)
            return
        if event.get("files"):
            log.info("mention with a file that is not a CSV/TSV/XLSX; reading its text instead")
        deps.submit(answer_mention, team, user, channel, thread_ts, parse_mention(text), on_error=mention_failed)

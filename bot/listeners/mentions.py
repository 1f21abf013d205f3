"""`@partbot` mentions: answered in the mention's thread (or a thread started on it)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.listeners.bom import BOM_FILETYPES, price_bom
from bot.listeners.common import Deps, answer_lookup, log, quick_reply
from bot.parsing import Lookup, Usage, parse_mention
from bot.render import Message, render_error


def post(client: WebClient, channel: str, thread_ts: str, message: Message) -> str | None:
    resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks)
    return resp.get("ts")


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
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

        def reply(message: Message) -> None:
            post(client, channel, thread_ts, message)

        if len(files) > 1:
            log.info("a mention shared %d BOM files; pricing the first", len(files))
        if files:
            deps.submit(
                lambda: price_bom(deps, client, team, user, channel, thread_ts, files[0], text),
                on_error=lambda: reply(render_error()),
            )
            return
        if event.get("files"):
            log.info("mention with a file that is not a CSV/TSV; reading its text instead")
        parsed = parse_mention(text)

        def job() -> None:
            if isinstance(parsed, Lookup):
                reply(answer_lookup(deps, team, user, parsed, public=True))
            elif isinstance(parsed, Usage):
                message = quick_reply(deps, parsed, team, user, "@partbot")
                client.chat_postEphemeral(
                    channel=channel, user=user, thread_ts=thread_ts, text=message.text, blocks=message.blocks
                )
            else:
                reply(quick_reply(deps, parsed, team, user, "@partbot"))

        deps.submit(job, on_error=lambda: reply(render_error()))

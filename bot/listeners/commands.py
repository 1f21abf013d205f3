"""`/part`: help, usage and parse errors answer in the ack; lookups follow via respond()."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.listeners.common import Deps, answer_lookup, log, quick_reply
from bot.parsing import Lookup, parse_command
from bot.render import Message, render_error


def deliver(respond: Respond, message: Message, *, public: bool = False) -> None:
    """Post via response_url; Slack's webhook answers errors with a status, not an exception."""
    resp = respond(
        text=message.text,
        blocks=message.blocks,
        response_type="in_channel" if public else "ephemeral",
        replace_original=False,
    )
    status = getattr(resp, "status_code", 200)
    if status >= 400:
        log.warning("response_url answered HTTP %s (%s)", status, getattr(resp, "body", "")[:100])


def register(app: App, deps: Deps) -> None:
    @app.command("/part")
    def part_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        team, user = command.get("team_id", ""), command.get("user_id", "")
        name = command.get("command") or "/part"
        parsed = parse_command(command.get("text") or "")
        if not isinstance(parsed, Lookup):
            reply = quick_reply(deps, parsed, team, user, name)
            ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
            return
        ack()
        public = parsed.options.public

        def job() -> None:
            message = answer_lookup(deps, team, user, parsed, shareable=not public)
            deliver(respond, message, public=public)

        deps.submit(job, on_error=lambda: deliver(respond, render_error()))

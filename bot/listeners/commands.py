"""`/part`: help, usage and parse errors answer in the ack; lookups follow at the response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.domain.commands import Lookup
from bot.domain.parsing import parse_command
from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, answer_lookup, log, quick_reply, respond
from bot.messages.blocks import Message
from bot.messages.replies import render_error


def deliver(deps: Deps, command: dict[str, Any], message: Message, *, public: bool = False) -> None:
    """Post via response_url (which answers errors with a status, not an exception); if it
    is expired or failing, post through the Web API instead."""
    status, body = respond(
        deps,
        command.get("response_url"),
        text=message.text,
        blocks=message.blocks,
        response_type="in_channel" if public else "ephemeral",
        replace_original=False,
    )
    if status < 400:
        return
    log.warning("response_url failed: HTTP %s (%s); posting through the Web API", status, body)
    channel, user = command.get("channel_id", ""), command.get("user_id", "")
    try:
        client = deps.client_for(Workspace.of(command).key)
        if public:
            client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
        else:
            client.chat_postEphemeral(channel=channel, user=user, text=message.text, blocks=message.blocks)
    except SlackApiError as exc:
        log.error("could not deliver the answer to %s in %s: %s", user, channel, exc.response.get("error"))
    except Exception:
        log.exception("could not deliver the answer to %s in %s", user, channel)


def answer_command(deps: Deps, command: dict[str, Any], lookup: Lookup) -> None:
    public = lookup.options.public
    message = answer_lookup(deps, Workspace.of(command).key, command.get("user_id", ""), lookup, public=public)
    deliver(deps, command, message, public=public)


def command_failed(deps: Deps, command: dict[str, Any], lookup: Lookup) -> None:
    deliver(deps, command, render_error())


def register(app: App, deps: Deps) -> None:
    @app.command("/part")
    def part_command(ack: Ack, command: dict[str, Any]) -> None:
        team, user = Workspace.of(command).key, command.get("user_id", "")
        name = command.get("command") or "/part"
        parsed = parse_command(command.get("text") or "")
        if not isinstance(parsed, Lookup):
            reply = quick_reply(deps, parsed, team, user, name)
            ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
            return
        ack()
        deps.submit(answer_command, _reply_fields(command), parsed, on_error=command_failed)


def _reply_fields(command: dict[str, Any]) -> dict[str, Any]:
    """What a job needs of the payload: who asked, where, and where to answer."""
    return {k: command.get(k) for k in ("team_id", "enterprise_id", "user_id", "channel_id", "response_url")}

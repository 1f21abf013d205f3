"""`/part`: help, usage and parse errors answer in the ack; lookups follow at the response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltRequest
from slack_sdk.errors import SlackApiError

from bot.domain.commands import AddWatch, ListWatches, Lookup, Unwatch
from bot.domain.parsing import parse_command
from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, answer_lookup, log, quick_reply, respond
from bot.listeners.watches import watch_reply
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
    try:
        message = answer_lookup(deps, Workspace.of(command).key, command.get("user_id", ""), lookup, public=public)
    except Exception:
        log.exception("answering /part failed")
        message, public = render_error(), False
    deliver(deps, command, message, public=public)


def answer_watch(deps: Deps, command: dict[str, Any], watch: AddWatch) -> None:
    team, user = Workspace.of(command).key, command.get("user_id", "")
    try:
        message = watch_reply(deps, team, user, watch, command.get("channel_id") or "", None)
    except Exception:
        log.exception("making a watch failed")
        message = render_error()
    deliver(deps, command, message)


def register(app: App, deps: Deps) -> None:
    @app.command("/part")
    def part_command(ack: Ack, command: dict[str, Any], request: BoltRequest) -> None:
        team, user = Workspace.of(command).key, command.get("user_id", "")
        name = command.get("command") or "/part"
        parsed = parse_command(command.get("text") or "")
        fields = _reply_fields(command)
        signature = (request.headers.get("x-slack-signature") or [""])[0]
        # A signed request can be replayed for 5 minutes: the same signature runs (and bills) once.
        once = (team, f"replay:{signature}") if signature else None
        if isinstance(parsed, AddWatch):
            ack()
            deps.submit(lambda: answer_watch(deps, fields, parsed), once=once)
            return
        if isinstance(parsed, ListWatches | Unwatch):
            channel = command.get("channel_id") or ""
            reply = deps.within_deadline(
                lambda: watch_reply(deps, team, user, parsed, channel, None), lambda late: deliver(deps, fields, late)
            )
            ack() if reply is None else ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
            return
        if not isinstance(parsed, Lookup):
            reply = deps.within_deadline(
                lambda: quick_reply(deps, parsed, team, user, name), lambda late: deliver(deps, fields, late)
            )
            if reply is None:
                ack()
            else:
                ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
            return
        ack()
        deps.submit(lambda: answer_command(deps, fields, parsed), once=once)


def _reply_fields(command: dict[str, Any]) -> dict[str, Any]:
    """What a job needs of the payload: who asked, where, and where to answer."""
    return {k: command.get(k) for k in ("team_id", "enterprise_id", "user_id", "channel_id", "response_url")}

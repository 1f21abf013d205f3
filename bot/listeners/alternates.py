"""The "Show alternates" button under an answer whose part is out of stock, NRND, EOL or
obsolete: the same as asking again with `--alternates`, billed to whoever presses it and
shown to them alone, also when the button is on a public answer (a mention's thread, a
DM, a shared answer)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.domain.commands import Lookup
from bot.domain.models import LineItem, Options
from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, log, outcome_message, respond
from bot.messages.alternates import ALTERNATES_ACTION
from bot.messages.blocks import Message
from bot.service.alternates import AlternatesFinder


@dataclass(frozen=True)
class Press:
    """Who pressed the button, and where the message with it is."""

    user: str
    workspace: str
    response_url: str | None
    channel: str = ""
    thread_ts: str = ""
    """The thread the message is a reply in ("" when it is not in a thread)."""

    @classmethod
    def of(cls, body: dict[str, Any]) -> Press:
        message, container = body.get("message") or {}, body.get("container") or {}
        ts = str(message.get("ts") or container.get("message_ts") or "")
        thread_ts = str(message.get("thread_ts") or container.get("thread_ts") or "")
        return cls(
            user=str((body.get("user") or {}).get("id", "")),
            workspace=Workspace.of(body).key,
            response_url=body.get("response_url"),
            channel=str((body.get("channel") or {}).get("id") or container.get("channel_id") or ""),
            thread_ts=thread_ts if thread_ts != ts else "",
        )


def tell_presser(deps: Deps, press: Press, message: Message) -> None:
    """`message` to the presser alone. In a thread, `chat.postEphemeral` puts it in that
    thread (a response_url reply would land in the channel); else, or when Slack refuses
    (partbot not in the channel), the response_url."""
    blocks = {"blocks": message.blocks} if message.blocks else {}
    if press.thread_ts and press.channel and press.user:
        try:
            deps.client_for(press.workspace).chat_postEphemeral(
                channel=press.channel,
                user=press.user,
                thread_ts=press.thread_ts,
                text=message.text,
                blocks=message.blocks or None,
            )
            return
        except SlackApiError as exc:
            log.warning("chat.postEphemeral failed (%s); answering at the response_url", exc.response.get("error"))
        except Exception as exc:  # a workspace uninstalled since, the network: the response_url may still work
            log.warning("chat.postEphemeral failed (%s); answering at the response_url", type(exc).__name__)
    status, said = respond(
        deps, press.response_url, text=message.text, **blocks, response_type="ephemeral", replace_original=False
    )
    if status >= 400:
        log.warning("alternates not delivered: response_url answered %s (%s)", status, said)


def _asked(value: str) -> Lookup | None:
    try:
        data = json.loads(value)
        item = LineItem(str(data["mpn"]), int(data["qty"]), data.get("mfr") or None)
        options = Options(currency=str(data["currency"]), country=str(data["country"]), alternates=True)
    except (ValueError, KeyError, TypeError):
        return None
    return Lookup((item,), options)


def show_alternates(deps: Deps, press: Press, value: str) -> None:
    try:
        _show_alternates(deps, press, value)
    except Exception:
        log.exception("listing alternates failed")
        tell_presser(deps, press, Message("Sorry, listing alternates failed. Please try again."))


def _show_alternates(deps: Deps, press: Press, value: str) -> None:
    lookup = _asked(value)
    if lookup is None:
        tell_presser(deps, press, Message("That button is from an older partbot; ask again with `--alternates`."))
        return
    outcome = deps.service.lookup(press.workspace, press.user, lookup, record=False)
    outcome = AlternatesFinder(deps.service, deps.settings.alternates_reserve).add(press.workspace, press.user, outcome)
    tell_presser(deps, press, outcome_message(deps, outcome, public=False, workspace=press.workspace))


def register(app: App, deps: Deps) -> None:
    @app.action(ALTERNATES_ACTION)
    def press(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        pressed, value = Press.of(body), str(action.get("value") or "")
        deps.submit(lambda: show_alternates(deps, pressed, value))

"""The message shortcut `price_message` ("Price these parts"): a message's part numbers, or
its CSV/TSV/XLSX BOM, read as a mention would read them and priced for the user alone.

The answer goes through the payload's `response_url`, privately, in the channel or thread
the message is in; that works where partbot is not a member. It is also the dependable way
to price a file: a message that shares a file and mentions partbot does not always raise
`app_mention`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from bot.domain.commands import AddWatch, Invalid, ListWatches, Lookup, Unwatch
from bot.domain.parsing import parse_mention
from bot.domain.workspace import Workspace
from bot.listeners.bom import is_bom_file, price_bom_privately, resolve_file
from bot.listeners.common import Deps, answer_lookup, log, quick_reply, respond
from bot.listeners.mentions import SPREADSHEET_TYPES, file_type, is_stub, unreadable_spreadsheet
from bot.messages.blocks import Message
from bot.messages.replies import render_error

CALLBACK_ID = "price_message"
SHORTCUT_HINT = (
    "Use *Price these parts* on a message that lists part numbers (`LM358DR x100, NE555DR x50`) or shares a CSV, TSV or XLSX BOM."
)
NOTHING_TO_READ = Invalid("that message has no text or BOM file partbot can read", SHORTCUT_HINT)


@dataclass(frozen=True)
class Asked:
    team: str
    user: str
    response_url: str


def tell(deps: Deps, asked: Asked, message: Message) -> None:
    status, body = respond(deps, asked.response_url, **message.to_dict(), response_type="ephemeral", replace_original=False)
    if status >= 400:
        log.warning("the shortcut's response_url failed: HTTP %s (%s)", status, body)


def price_message(deps: Deps, asked: Asked, text: str, files: list[dict[str, Any]]) -> None:
    try:
        _price_message(deps, asked, text, files)
    except Exception:
        log.exception("pricing a message from the shortcut failed")
        tell(deps, asked, render_error())


def _price_message(deps: Deps, asked: Asked, text: str, files: list[dict[str, Any]]) -> None:
    files = [resolve_file(deps.client_for(asked.team), f) if is_stub(f) else f for f in files]
    boms = [f for f in files if is_bom_file(f)]
    if boms:
        price_bom_privately(deps, asked.team, asked.user, asked.response_url, boms[0], text)
        return
    sheets = [f for f in files if file_type(f) in SPREADSHEET_TYPES]
    if sheets:
        tell(deps, asked, unreadable_spreadsheet(sheets[0]))
        return
    parsed = parse_mention(text) if text.strip() else NOTHING_TO_READ
    if isinstance(parsed, AddWatch):  # the shortcut prices what a message names; it makes no watch
        parsed = Lookup((parsed.item,), parsed.options)
    if isinstance(parsed, ListWatches | Unwatch):
        parsed = NOTHING_TO_READ
    if isinstance(parsed, Lookup):
        tell(deps, asked, answer_lookup(deps, asked.team, asked.user, parsed, public=False))
        return
    if any(is_stub(f) for f in files):
        parsed = Invalid(
            "I could not open the file shared with that message (Slack's files.info did not give it to me)",
            "Share the BOM again, then use *Price these parts* on that message.",
        )
    elif isinstance(parsed, Invalid):
        parsed = Invalid(parsed.problem, SHORTCUT_HINT)
    tell(deps, asked, quick_reply(deps, parsed, asked.team, asked.user, "@partbot"))


def register(app: App, deps: Deps) -> None:
    @app.shortcut(CALLBACK_ID)
    def on_price_message(ack: Ack, shortcut: dict[str, Any]) -> None:
        ack()
        message = shortcut.get("message") or {}
        asked = Asked(
            team=Workspace.of(shortcut).key,
            user=str((shortcut.get("user") or {}).get("id") or ""),
            response_url=str(shortcut.get("response_url") or ""),
        )
        files = [f for f in message.get("files") or () if isinstance(f, dict)]
        text = str(message.get("text") or "")
        deps.submit(lambda: price_message(deps, asked, text, files))

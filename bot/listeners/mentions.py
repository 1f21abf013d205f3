"""`@partbot` mentions: answered in the mention's thread (or a thread started on it).

Answers are public in the thread; help, usage and "could not read that" go to the asker
alone (`chat.postEphemeral` in the thread), as they do for `/part`. Other apps' bots are
ignored unless listed in `PARTBOT_ALLOWED_BOTS`, and are then billed as themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.commands import AddWatch, Command, Invalid, ListWatches, Lookup, Unwatch
from bot.domain.parsing import parse_mention
from bot.domain.workspace import Workspace
from bot.listeners.bom import BOM_FILETYPES, is_bom_file, price_bom, resolve_file
from bot.listeners.common import Deps, answer_lookup, log, once_per_event, quick_reply
from bot.listeners.watches import watch_reply
from bot.messages.blocks import Message
from bot.messages.replies import render_error, render_invalid
from bot.settings import Settings

SPREADSHEET_TYPES = frozenset({"xlsx", "xlsm", "xls", "ods", "numbers", "gsheet"})


@dataclass(frozen=True)
class Thread:
    """Where a mention is answered, and who asked: a person, or an allowed bot (by its ID)."""

    team: str
    asker: str
    channel: str
    ts: str
    person: bool = True
    private: bool = False
    """A DM with partbot: help and errors are posted there plainly (no one else sees them)."""


def post(client: WebClient, channel: str, thread_ts: str, message: Message) -> str | None:
    """Post in the thread `thread_ts`; with none (a DM), in the conversation itself."""
    resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts or None, text=message.text, blocks=message.blocks)
    return resp.get("ts")


def tell_asker(deps: Deps, where: Thread, message: Message) -> None:
    """Show `message` to the asker alone, in the thread; a bot (which sees no ephemeral
    messages), or an ephemeral Slack refuses, gets it in the thread."""
    if where.person and not where.private:
        try:
            deps.client_for(where.team).chat_postEphemeral(
                channel=where.channel, user=where.asker, thread_ts=where.ts, text=message.text, blocks=message.blocks
            )
            return
        except SlackApiError as exc:
            log.warning("chat.postEphemeral failed (%s); replying in the thread", exc.response.get("error"))
    post(deps.client_for(where.team), where.channel, where.ts, message)


def answer_mention(deps: Deps, where: Thread, parsed: Command) -> None:
    try:
        _answer(deps, where, parsed)
    except Exception:
        log.exception("answering a mention failed")
        post(deps.client_for(where.team), where.channel, where.ts, render_error())


def _answer(deps: Deps, where: Thread, parsed: Command) -> None:
    if isinstance(parsed, Lookup):
        post(deps.client_for(where.team), where.channel, where.ts, answer_lookup(deps, where.team, where.asker, parsed, public=True))
    elif isinstance(parsed, AddWatch | ListWatches | Unwatch):
        tell_asker(deps, where, watch_reply(deps, where.team, where.asker, parsed, where.channel, where.ts))
    else:
        tell_asker(deps, where, quick_reply(deps, parsed, where.team, where.asker, "@partbot"))


def file_type(file: dict[str, Any]) -> str:
    name = str(file.get("name") or "")
    return (file.get("filetype") or (name.rsplit(".", 1)[-1] if "." in name else "")).lower()


def is_stub(file: dict[str, Any]) -> bool:
    """A Slack Connect file: only an id until `files.info` is asked."""
    return file.get("file_access") == "check_file_info"


def unreadable_spreadsheet(file: dict[str, Any]) -> Message:
    name = str(file.get("name") or "that spreadsheet")
    formats = " or ".join(sorted(t.upper() for t in BOM_FILETYPES))
    return render_invalid(
        Invalid(
            f"`{name}` is a spreadsheet, and partbot reads BOM files as {formats}",
            "Save it as CSV (Excel: File → Save As → CSV UTF-8) and share that with a mention of @partbot.",
        )
    )


def answer_files(deps: Deps, where: Thread, files: list[dict[str, Any]], text: str) -> None:
    """A mention with files: price the first BOM among them (Slack Connect stubs resolved
    first), else say a spreadsheet cannot be read, else answer the text."""
    try:
        _answer_files(deps, where, files, text)
    except Exception:
        log.exception("answering a mention with files failed")
        post(deps.client_for(where.team), where.channel, where.ts, render_error())


def _answer_files(deps: Deps, where: Thread, files: list[dict[str, Any]], text: str) -> None:
    client = deps.client_for(where.team)
    files = [resolve_file(client, f) if is_stub(f) else f for f in files]
    boms = [f for f in files if is_bom_file(f)]
    if len(boms) > 1:
        log.info("a mention shared %d BOM files; pricing the first", len(boms))
    if boms:
        price_bom(deps, where.team, where.asker, where.channel, where.ts, boms[0], text)
        return
    sheets = [f for f in files if file_type(f) in SPREADSHEET_TYPES]
    if sheets:
        tell_asker(deps, where, unreadable_spreadsheet(sheets[0]))
        return
    parsed = parse_mention(text)
    if not isinstance(parsed, Lookup) and any(is_stub(f) for f in files):
        parsed = Invalid(
            "I could not open the file shared with that message (Slack's files.info did not give it to me)",
            "Share the BOM again, or upload it in a channel the app is in.",
        )
    else:
        log.info("mention with a file that is not a BOM; reading its text instead")
    answer_mention(deps, where, parsed)


def asker(settings: Settings, event: dict[str, Any]) -> tuple[str, bool] | None:
    """(who is billed, is it a person), or None when the mention is to be ignored: another
    app's bot (it has a `bot_id`, or an `app_id` and no `user`) not in PARTBOT_ALLOWED_BOTS."""
    user = str(event.get("user") or "")
    bot_ids = [str(event.get(k) or "") for k in ("bot_id", "app_id")]
    if user and not bot_ids[0]:
        return user, True
    if not user and not any(bot_ids):
        return None
    allowed = [b for b in bot_ids if b and b in settings.allowed_bots]
    return (allowed[0], False) if allowed else None


def answer_message(deps: Deps, where: Thread, message: dict[str, Any], *, once: tuple[str, str] | None = None) -> None:
    """Answer `message` (its text, or the BOM among its files) at `where`, off the request
    thread; with `once` (workspace, event id), only the first time Slack delivers it."""
    text = message.get("text") or ""
    files = [f for f in message.get("files") or () if isinstance(f, dict)]
    if any(is_bom_file(f) or is_stub(f) or file_type(f) in SPREADSHEET_TYPES for f in files):
        deps.submit(lambda: answer_files(deps, where, files, text), once=once)
        return
    if files:
        log.info("a message with a file that is not a BOM; reading its text instead")
    parsed = parse_mention(text)
    deps.submit(lambda: answer_mention(deps, where, parsed), once=once)


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], context: BoltContext, body: dict[str, Any]) -> None:
        if str(event.get("channel") or "").startswith("D"):
            return  # a mention in a DM also arrives as message.im, answered there (`direct`)
        who = asker(deps.settings, event)
        if who is None:
            log.info("ignoring a mention from bot %s (not in PARTBOT_ALLOWED_BOTS)", event.get("bot_id") or event.get("app_id"))
            return
        where = Thread(
            team=Workspace(context.team_id or event.get("team"), context.enterprise_id).key,
            asker=who[0],
            channel=event.get("channel") or "",
            ts=event.get("thread_ts") or event.get("ts") or "",
            person=who[1],
        )
        answer_message(deps, where, event, once=once_per_event(where.team, body))

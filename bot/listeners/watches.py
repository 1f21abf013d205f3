"""Watches in Slack: made from `/part` or a mention, the "Stop watching" button, and the
alerts themselves (posted where the watch was made, or by DM when the bot cannot post there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.commands import AddWatch, ListWatches, Unwatch
from bot.domain.outcomes import Failed
from bot.domain.watch_outcomes import WatchCreated
from bot.domain.watches import Hit, Watch
from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, log, respond
from bot.messages.blocks import Message
from bot.messages.replies import render_failed
from bot.messages.watches import STOP_WATCH_ACTION, render_alert, render_created, render_list, render_refused, render_unwatched
from bot.ports import StoreError
from bot.service.watch_scheduler import Sender, Sent
from bot.service.watches import Place, WatchService

CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "ekm_access_denied"})


def place_for(client: WebClient, channel: str, thread_ts: str | None) -> Place:
    """Where alerts of a watch made in `channel` go: there, when the bot is a member of an
    open channel (`conversations.info`); else by DM, and the watch says so when it is made."""
    if channel.startswith("D") or not channel:
        return Place(channel, thread_ts, by_dm=True)
    try:
        info = client.conversations_info(channel=channel).get("channel") or {}
    except SlackApiError as exc:
        error = exc.response.get("error", "error")
        return Place(channel, thread_ts, True, f"I cannot see this conversation ({error}), so I cannot post here.")
    except Exception:
        log.exception("conversations.info failed; alerts of this watch go by DM")
        return Place(channel, thread_ts, True, "I could not check whether I can post here.")
    if info.get("is_archived"):
        return Place(channel, thread_ts, True, "This channel is archived.")
    if not info.get("is_member") and not info.get("is_im"):
        return Place(channel, thread_ts, True, "I am not a member of this channel (invite me with `/invite @partbot`).")
    return Place(channel, thread_ts)


def watch_reply(
    deps: Deps, workspace: str, user: str, cmd: AddWatch | ListWatches | Unwatch, channel: str, thread_ts: str | None
) -> Message:
    if deps.watches is None:
        return render_failed(Failed("watches are not available in this process."))
    try:
        return _watch_reply(deps, deps.watches, workspace, user, cmd, channel, thread_ts)
    except StoreError as exc:
        log.error("watch store failed: %s", exc)
        return render_failed(Failed("partbot cannot reach its database right now, so it cannot read or save watches."))


def _watch_reply(
    deps: Deps,
    watches: WatchService,
    workspace: str,
    user: str,
    cmd: AddWatch | ListWatches | Unwatch,
    channel: str,
    thread_ts: str | None,
) -> Message:
    if isinstance(cmd, ListWatches):
        return render_list(watches.listing(workspace, user))
    if isinstance(cmd, Unwatch):
        return render_unwatched(watches.remove(workspace, user, cmd.target))
    made = watches.create(workspace, user, cmd, place_for(deps.client_for(workspace), channel, thread_ts))
    return render_created(made) if isinstance(made, WatchCreated) else render_refused(made)


def alert_sender(client_for: Callable[[str], WebClient]) -> Sender:
    """Posts an alert where its watch was made, with that workspace's token; when Slack
    says the bot cannot post there, by DM instead. Any other failure keeps the alert
    pending (Sent(ok=False))."""

    def send(workspace: str, watch: Watch, hit: Hit) -> Sent:
        message = render_alert(watch, hit)
        client = client_for(workspace)
        targets = [(watch.user, None)] if watch.by_dm else [(watch.channel, watch.thread_ts), (watch.user, None)]
        for channel, thread_ts in targets:
            try:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=message.text, blocks=message.blocks)
                return Sent(True, by_dm=channel == watch.user, channel=channel)
            except SlackApiError as exc:
                error = exc.response.get("error", "error")
                log.warning("could not post watch %s's alert in %s: %s", watch.id, channel, error)
                if error not in CANNOT_POST:
                    return Sent(False, channel=channel)
        return Sent(False)

    return send


def stop_watching(deps: Deps, workspace: str, user: str, watch_id: str, response_url: str | None) -> None:
    try:
        removed = deps.watches.remove_one(workspace, user, watch_id) if deps.watches else None
    except Exception:
        log.exception("removing a watch failed")
        respond(
            deps, response_url, text="Sorry, that did not work. Please try again.", response_type="ephemeral", replace_original=False
        )
        return
    text = (
        f"Stopped watching `{watch_id}` ({removed.mpn})."
        if removed
        else (f"Watch `{watch_id}` is not one of yours, or was already removed (`/part watches` lists yours).")
    )
    respond(deps, response_url, text=text, response_type="ephemeral", replace_original=False)


def register(app: App, deps: Deps) -> None:
    @app.action(STOP_WATCH_ACTION)
    def stop(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        user = (body.get("user") or {}).get("id", "")
        workspace, watch_id, response_url = Workspace.of(body).key, str(action.get("value") or ""), body.get("response_url")
        deps.submit(lambda: stop_watching(deps, workspace, user, watch_id, response_url))

"""Watches in Slack: offered from `/part`, a mention or a DM with what they will cost, and
saved only when the asker presses "Start watching"; the "Stop watching" button; and the
alerts themselves (posted where the watch was made, or by DM when the bot cannot post there)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.commands import AddWatch, ListWatches, Unwatch
from bot.domain.outcomes import Failed
from bot.domain.watch_outcomes import WatchRefused
from bot.domain.watches import Hit, Watch
from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, log, respond
from bot.messages.blocks import Message
from bot.messages.replies import render_failed
from bot.messages.watches import (
    CANCEL_WATCH_ACTION,
    START_WATCH_ACTION,
    STOP_WATCH_ACTION,
    render_alert,
    render_cancelled,
    render_created,
    render_list,
    render_offer,
    render_refused,
    render_unwatched,
)
from bot.ports import StoreError
from bot.service.watch_scheduler import Sender, Sent
from bot.service.watches import Place, WatchService

OFFER_TTL = 86400
OFFER_PREFIX = "watch-offer:"
ANSWERED_PREFIX = "watch-answered:"
"""Marks an offer already started or cancelled, so that a second press does nothing."""
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
    offer = watches.offer(workspace, user, cmd, place_for(deps.client_for(workspace), channel, thread_ts))
    if isinstance(offer, WatchRefused):
        return render_refused(offer)
    key = uuid.uuid4().hex
    kept = {"owner": user, "watch": offer.watch.to_json(), "note": offer.place_note, "expires": time.time() + OFFER_TTL}
    deps.store.stash(workspace, OFFER_PREFIX + key, kept, OFFER_TTL)
    return render_offer(offer, f"{key}|{user}")


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
            deps,
            response_url,
            text="Sorry, that did not work. Please try again.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    text = (
        f"Stopped watching `{watch_id}` ({removed.mpn})."
        if removed
        else (f"Watch `{watch_id}` is not one of yours, or was already removed (`/part watches` lists yours).")
    )
    respond(deps, response_url, text=text, response_type="ephemeral", replace_original=False)


def _tell(deps: Deps, response_url: str | None, text: str) -> None:
    respond(deps, response_url, text=text, response_type="ephemeral", replace_original=False)


def _replace(deps: Deps, response_url: str | None, message: Message) -> None:
    status, body = respond(deps, response_url, text=message.text, blocks=message.blocks, replace_original=True)
    if status >= 400:
        log.warning("could not replace a watch offer: HTTP %s (%s)", status, body)


def _put_back(deps: Deps, workspace: str, key: str, kept: dict[str, Any]) -> None:
    left = int(float(kept.get("expires", 0)) - time.time())
    if left > 0:
        deps.store.stash(workspace, key, kept, left)


def answer_offer(deps: Deps, workspace: str, presser: str, value: str, start: bool, response_url: str | None) -> None:
    """The "Start watching" (`start`) or "Cancel" button under a watch offer: only its asker's press
    counts, and only the first one (the offer is taken from the stash)."""
    key, _, owner = value.partition("|")
    if presser != owner:
        _tell(deps, response_url, f"Only <@{owner}>, who asked for this watch, can start or cancel it.")
        return
    try:
        kept = deps.store.unstash(workspace, OFFER_PREFIX + key) if key else None
        if kept is None:
            answered = deps.store.unstash(workspace, ANSWERED_PREFIX + key) if key else None
            if answered is not None:  # a second press: the first one already answered it
                _put_back(deps, workspace, ANSWERED_PREFIX + key, answered)
                return
            _tell(deps, response_url, "This watch offer has expired (offers last a day). Ask again with `/part watch …`.")
            return
        if kept.get("owner") != presser:
            _put_back(deps, workspace, OFFER_PREFIX + key, kept)
            _tell(deps, response_url, f"Only <@{kept.get('owner')}>, who asked for this watch, can start or cancel it.")
            return
        _answer_offer(deps, workspace, key, kept, start, response_url)
    except StoreError as exc:
        log.error("watch store failed: %s", exc)
        _tell(deps, response_url, "partbot cannot reach its database right now, so it cannot save watches. Please try again.")
    except Exception:
        log.exception("answering a watch offer failed")
        _tell(deps, response_url, "Sorry, that did not work. Please try again.")


def _answer_offer(deps: Deps, workspace: str, key: str, kept: dict[str, Any], start: bool, response_url: str | None) -> None:
    watch = Watch.from_json(kept["watch"])
    answered = {"watch": watch.id, "expires": time.time() + OFFER_TTL}
    deps.store.stash(workspace, ANSWERED_PREFIX + key, answered, OFFER_TTL)
    if not start:
        _replace(deps, response_url, render_cancelled(watch))
        return
    if deps.watches is None:
        _put_back(deps, workspace, OFFER_PREFIX + key, kept)
        _tell(deps, response_url, "Watches are not available in this process.")
        return
    try:
        made = deps.watches.start(workspace, watch, kept.get("note"))
    except Exception:
        _put_back(deps, workspace, OFFER_PREFIX + key, kept)
        raise
    if isinstance(made, WatchRefused):  # the offer stays: it can be started once there is room
        _put_back(deps, workspace, OFFER_PREFIX + key, kept)
        message = render_refused(made)
        _tell(deps, response_url, f"{message.text} The offer stays: press Start watching again once there is room.")
        return
    _replace(deps, response_url, render_created(made))


def register(app: App, deps: Deps) -> None:
    def on_offer(start: bool) -> Callable[[Ack, dict[str, Any], dict[str, Any]], None]:
        def press(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            presser = (body.get("user") or {}).get("id", "")
            workspace, value, response_url = Workspace.of(body).key, str(action.get("value") or ""), body.get("response_url")
            deps.submit(lambda: answer_offer(deps, workspace, presser, value, start, response_url))

        return press

    app.action(START_WATCH_ACTION)(on_offer(True))
    app.action(CANCEL_WATCH_ACTION)(on_offer(False))

    @app.action(STOP_WATCH_ACTION)
    def stop(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        user = (body.get("user") or {}).get("id", "")
        workspace, watch_id, response_url = Workspace.of(body).key, str(action.get("value") or ""), body.get("response_url")
        deps.submit(lambda: stop_watching(deps, workspace, user, watch_id, response_url))

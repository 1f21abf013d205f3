"""Direct messages to partbot (`message.im`): answered like a mention, in the DM.

Only new messages from people (and bots listed in PARTBOT_ALLOWED_BOTS) are answered:
edits, deletions and other bots are not, and partbot's own messages (its answers, its
uploads) never reach the listener (Bolt drops an app's own events)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, log, once_per_event
from bot.listeners.mentions import Thread, answer_message, asker

ANSWERED_SUBTYPES = frozenset({"", "file_share", "bot_message", "thread_broadcast"})
"""A new message, with files, from a bot, or a thread reply also sent to the DM; edits
(`message_changed`), deletions and the rest are not questions."""


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def on_direct_message(event: dict[str, Any], context: BoltContext, body: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or str(event.get("subtype") or "") not in ANSWERED_SUBTYPES:
            return
        who = asker(deps.settings, event)
        if who is None:
            log.info("ignoring a DM from bot %s (not in PARTBOT_ALLOWED_BOTS)", event.get("bot_id") or event.get("app_id"))
            return
        where = Thread(
            team=Workspace(context.team_id or event.get("team"), context.enterprise_id).key,
            asker=who[0],
            channel=str(event.get("channel") or ""),
            ts=str(event.get("thread_ts") or ""),
            person=who[1],
            private=True,
        )
        answer_message(deps, where, event, once=once_per_event(where.team, body))

"""What the listeners share: their dependencies, background work and outcome rendering."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from bot.parsing import Help, Invalid, Lookup, Usage
from bot.ports import Store
from bot.render import Message, public_copy, render_answer, render_help, render_invalid, render_outcome, render_usage
from bot.service import Answer, LookupService, Outcome
from bot.settings import Settings

log = logging.getLogger("bot.listeners")
SHARE_TTL = 86400


@dataclass(frozen=True)
class Deps:
    settings: Settings
    service: LookupService
    store: Store
    work: Executor

    def submit(self, job: Callable[[], None], on_error: Callable[[], None]) -> None:
        """Run `job` on the work pool, so Bolt's small listener pool only ever acks."""

        def run() -> None:
            try:
                job()
            except Exception:
                log.exception("background job failed")
                try:
                    on_error()
                except Exception:
                    log.exception("could not tell the user about the failure")

        self.work.submit(run)


def outcome_message(deps: Deps, outcome: Outcome, *, public: bool) -> Message:
    """The message for `outcome`. A private answer is kept, as the channel would see it, so
    that its "Share in channel" button can post it later without a new lookup."""
    if public or not isinstance(outcome, Answer):
        return render_outcome(outcome, public=public)
    key = uuid.uuid4().hex
    message = render_answer(outcome, share_value=key)
    try:
        deps.store.stash(f"share:{key}", public_copy(outcome, message).to_dict(), SHARE_TTL)
    except Exception:
        log.exception("could not keep an answer for sharing; answering without the button")
        return render_answer(outcome)
    return message


def quick_reply(deps: Deps, command: Help | Usage | Invalid, team: str, user: str, name: str) -> Message:
    """Replies that need no lookup: help, usage and parse errors."""
    if isinstance(command, Help):
        return render_help(name)
    if isinstance(command, Invalid):
        return render_invalid(command)
    top = None
    if user in deps.settings.admins:
        try:
            top = deps.service.top_spenders(team)
        except Exception:
            log.exception("could not read the top spenders")
    return render_usage(deps.service.quota(team, user), sample=deps.service.source.is_sample, top=top)


def answer_lookup(deps: Deps, team: str, user: str, lookup: Lookup, *, public: bool) -> Message:
    return outcome_message(deps, deps.service.lookup(team, user, lookup), public=public)

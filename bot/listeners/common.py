"""What the listeners share: their dependencies, background work and outcome rendering."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from bot.parsing import Help, Invalid, Lookup, Usage
from bot.ports import Store
from bot.render import Message, render_answer, render_help, render_invalid, render_outcome, render_usage
from bot.service import Answer, LookupService, Outcome
from bot.settings import Settings

log = logging.getLogger("bot.listeners")
SHARE_TTL = 7 * 86400


@dataclass(frozen=True)
class Deps:
    settings: Settings
    service: LookupService
    store: Store
    work: Executor
    http_get: Callable[..., Any] | None = None

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


def outcome_message(deps: Deps, outcome: Outcome, *, shareable: bool) -> Message:
    share_value = stash_answer(deps, outcome) if shareable and isinstance(outcome, Answer) else None
    return render_outcome(outcome, share_value=share_value)


def stash_answer(deps: Deps, answer: Answer) -> str | None:
    """Keep the rendered answer so the share button can post it without a new lookup."""
    key = uuid.uuid4().hex
    try:
        deps.store.stash(f"share:{key}", render_answer(answer).to_dict(), SHARE_TTL)
    except Exception:
        log.exception("could not stash an answer for sharing")
        return None
    return key


def quick_reply(deps: Deps, command: Help | Usage | Invalid, team: str, user: str, name: str) -> Message:
    """Replies that need no lookup: help, usage and parse errors."""
    if isinstance(command, Help):
        return render_help(name)
    if isinstance(command, Invalid):
        return render_invalid(command)
    is_admin = user in deps.settings.admins
    top = deps.service.top_spenders(team) if is_admin else None
    return render_usage(deps.service.quota(team, user), sample=deps.service.source.is_sample, top=top)


def answer_lookup(deps: Deps, team: str, user: str, lookup: Lookup, *, shareable: bool) -> Message:
    return outcome_message(deps, deps.service.lookup(team, user, lookup), shareable=shareable)

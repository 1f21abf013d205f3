"""What the listeners share: their dependencies, background work and outcome rendering."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from slack_sdk import WebClient

from bot import replies
from bot.domain.commands import Help, Invalid, Lookup, Usage
from bot.domain.outcomes import Answer, Outcome
from bot.jobs import Jobs
from bot.messages.answer import public_copy, render_answer, render_outcome
from bot.messages.blocks import Message
from bot.ports import ListenerStore
from bot.service.alternates import AlternatesFinder
from bot.service.lookup import LookupService
from bot.service.watches import WatchService
from bot.settings import Settings

log = logging.getLogger("bot.listeners")
SHARE_TTL = 86400
ONCE_TTL = 24 * 3600
"""How long an event id or a slash command's signature is remembered (Slack retries for
minutes; a signed request is replayable for 5)."""
QUICK_REPLY_JOB = "quick_reply"
"""The job that makes an ack's reply under a deadline (it reads the store, nothing more)."""
DOOR_DEADLINE = 0.2
"""The longest an ack waits on the store; past it the answer follows at the response_url."""


class WorkspaceClients(Protocol):
    """Slack Web API clients, each with the bot token of the workspace it serves."""

    def client_for(self, workspace: str) -> WebClient:
        """The client for `workspace` (a `Workspace.key`); raises `NotInstalled` when
        partbot has no token for it (never installed, or uninstalled since)."""
        ...


@dataclass(frozen=True)
class Deps:
    """What a listener, or a job it started, works with."""

    settings: Settings
    service: LookupService
    store: ListenerStore
    client: WebClient
    """The app's client: the one bot token of a single-workspace setup, or no token (OAuth)."""
    jobs: Jobs
    http: httpx.Client
    """Keep-alive connections for response_url posts (slack_sdk opens a new one per post)."""
    watches: WatchService | None = None
    clients: WorkspaceClients | None = None
    """Each workspace's own token (many workspaces); None: `client` serves every request."""

    def client_for(self, workspace: str) -> WebClient:
        """The Web API client to answer `workspace` (a `Workspace.key`) with."""
        return self.clients.client_for(workspace) if self.clients is not None else self.client

    def submit(self, task: Callable[[], None], *, once: tuple[str, str] | None = None) -> None:
        """Run `task()` off the request thread, so the ack goes out at once; a task tells the
        user itself when it fails. With `once`, it runs only the first time that key is seen
        (an event Slack redelivers, a signed request replayed), as `(workspace, key)`: the
        claim is made in the job, so a slow store never holds the ack."""
        if once is None:
            self.jobs.submit(task)
            return

        def claimed() -> None:
            try:
                first = self.store.claim_event(once[0], once[1], ONCE_TTL)
            except Exception as exc:
                # The store is sick: a billable lookup will refuse with a clear message.
                log.warning("could not claim %s (%s); handling it anyway", once[1][:40], type(exc).__name__)
                first = True
            if not first:
                log.info("ignoring a repeated request (%s)", once[1][:40])
                return
            task()

        self.jobs.submit(claimed, name=getattr(task, "__name__", "job"))

    def within_deadline(self, make: Callable[[], Message], late: Callable[[Message], None]) -> Message | None:
        """`make()` if it is done within DOOR_DEADLINE, else None; then `late` gets the message
        when it is ready. For an ack that needs the store (usage)."""
        future = self.jobs.submit(make, name=QUICK_REPLY_JOB)
        try:
            return future.result(timeout=DOOR_DEADLINE)
        except FutureTimeout:
            log.warning("the store is slow; the answer follows at the response_url")

        def deliver(done: Future[Message]) -> None:
            if done.exception() is None:
                late(done.result())

        future.add_done_callback(deliver)
        return None


def once_per_event(workspace: str, body: dict[str, Any]) -> tuple[str, str] | None:
    """The claim that answers an event once, however often Slack delivers it (`Deps.submit`)."""
    event_id = body.get("event_id")
    return (workspace, str(event_id)) if event_id else None


def respond(deps: Deps, response_url: str | None, **message: Any) -> tuple[int, str]:
    """POST `message` to a response_url: (HTTP status, start of the body). Slack answers an
    expired or used-up URL with a status, not an exception; anything that kept the post
    from being made (network, a malformed URL) is status 599, so callers fall back."""
    if not response_url:
        return 599, "no response_url"
    try:
        resp = deps.http.post(response_url, json=message)
    except Exception as exc:
        return 599, type(exc).__name__
    return resp.status_code, resp.text[:100]


def outcome_message(deps: Deps, outcome: Outcome, *, public: bool, workspace: str) -> Message:
    """The message for `outcome`. A private answer is kept, as the channel would see it, so
    that its "Share in channel" button can post it later without a new lookup."""
    if public or not isinstance(outcome, Answer):
        return render_outcome(outcome, public=public)
    key = uuid.uuid4().hex
    message = render_answer(outcome, share_value=key)
    try:
        deps.store.stash(workspace, f"share:{key}", public_copy(outcome, message).to_dict(), SHARE_TTL)
    except Exception:
        log.exception("could not keep an answer for sharing; answering without the button")
        return render_answer(outcome)
    return message


def quick_reply(deps: Deps, command: Help | Usage | Invalid, team: str, user: str, name: str) -> Message:
    return replies.quick_reply(
        deps.service, deps.settings.admins, command, team, user, name, support_url=deps.settings.support_url
    )


def answer_lookup(deps: Deps, team: str, user: str, lookup: Lookup, *, public: bool) -> Message:
    """`team` is the workspace key (`Workspace.key`)."""
    outcome = deps.service.lookup(team, user, lookup)
    if lookup.options.alternates:
        outcome = AlternatesFinder(deps.service, deps.settings.alternates_reserve).add(team, user, outcome)
    return outcome_message(deps, outcome, public=public, workspace=team)

"""What the listeners share: their dependencies, background work and outcome rendering."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from slack_sdk import WebClient

from bot import replies
from bot.domain.commands import Help, Invalid, Lookup, Usage
from bot.domain.outcomes import Answer, Outcome
from bot.messages.answer import public_copy, render_answer, render_outcome
from bot.messages.blocks import Message
from bot.ports import ListenerStore
from bot.service.lookup import LookupService
from bot.settings import Settings
from bot.work import Job, Runner, Task

log = logging.getLogger("bot.listeners")
SHARE_TTL = 86400


class WorkspaceClients(Protocol):
    """Slack Web API clients, each with the bot token of the workspace it serves."""

    def client_for(self, workspace: str) -> WebClient:
        """The client for `workspace` (a `Workspace.key`); raises `NotInstalled` when
        partbot has no token for it (never installed, or uninstalled since)."""
        ...


@dataclass(frozen=True)
class Deps:
    """What a listener, or a job it started, works with (in the web process or the worker)."""

    settings: Settings
    service: LookupService
    store: ListenerStore
    client: WebClient
    """The app's client: the one bot token of a single-workspace setup, or no token (OAuth)."""
    work: Runner
    http: httpx.Client
    """Keep-alive connections for response_url posts (slack_sdk opens a new one per post)."""
    clients: WorkspaceClients | None = None
    """Each workspace's own token (many workspaces); None: `client` serves every request."""

    def client_for(self, workspace: str) -> WebClient:
        """The Web API client to answer `workspace` (a `Workspace.key`) with."""
        return self.clients.client_for(workspace) if self.clients is not None else self.client

    def submit(self, task: Task, *args: Any, on_error: Task | None = None) -> None:
        """Run `task(deps, *args)` off the request thread, so the ack goes out at once.

        Tasks are module-level functions with picklable arguments: they may run in the
        worker process, with that process's own Deps."""
        self.work.submit(Job(task, args, on_error))


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
    return outcome_message(deps, deps.service.lookup(team, user, lookup), public=public, workspace=team)

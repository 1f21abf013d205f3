"""The ports: where parts come from, and one small protocol per role the store plays.

Adapters implement them (the Nexar client and the sample catalog; the SQLite and Redis
stores); the service and listeners depend only on the roles they use, and tests can
substitute hand-written fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from bot.domain.models import LookupKey, Part, SearchResult
from bot.domain.recent import RecentLookup

MAX_MULTI_QUERIES = 20
"""Nexar's limit on queries in one `supMultiMatch`."""


class SourceError(Exception):
    """A lookup that could not be answered. `user_message` is safe to show in Slack."""

    user_message = "Nexar could not answer just now. Please try again in a minute."

    def __init__(self, detail: str = "", user_message: str | None = None) -> None:
        super().__init__(detail or self.user_message)
        if user_message:
            self.user_message = user_message


class SourceUnavailable(SourceError):
    user_message = "Nexar is not answering right now (tried a few times). Please try again in a minute."


class PossiblyBilled(SourceUnavailable):
    """Nexar received the query but its answer never came (a read timeout, asked twice).

    Nexar may have run and billed it, so the service settles the quota as billed: the
    worst case reserved for these parts is kept, not refunded (SPEC, "Nexar")."""

    user_message = (
        "Nexar is not answering in time (asked twice). It may still have counted the lookup "
        "against the plan, so it counts against your quota too. Please try again in a minute."
    )


class PartLimitExceeded(SourceError):
    user_message = (
        "The workspace's Nexar plan has used up its matched parts for now, so partbot cannot "
        "look up new parts. Cached answers still work; an admin can raise the plan on nexar.com."
    )


class QueryRejected(SourceError):
    user_message = "Nexar rejected the query. The admin can find the details in partbot's log."


class PartSource(Protocol):
    """Answers MPN questions. `billed` says whether parts it returns cost money."""

    billed: bool
    is_sample: bool

    def search_mpn(self, key: LookupKey, limit: int) -> SearchResult: ...

    def multi_match(self, keys: Sequence[LookupKey], limit: int) -> list[SearchResult | SourceError]: ...

    def suggest(self, text: str) -> tuple[str, ...]: ...

    def similar(self, key: LookupKey) -> tuple[SearchResult, tuple[Part, ...]]:
        """The best match for `key` and the parts listed as similar to it (`--alternates`)."""
        ...


class StoreError(Exception):
    """The store did not answer within its short timeout, or is broken. The message is a
    short reason, safe for a log line or `/healthz` (never data or credentials)."""


class Bucket(NamedTuple):
    """A quota counter: `member`'s spending in `period` of `workspace`, e.g.
    ("T1", "day:2026-11-26", "U1"). `workspace` is a `Workspace.key`."""

    workspace: str
    period: str
    member: str


class AnswerStore(Protocol):
    """Nexar answers, shared by every workspace: an answer does not depend on who asked."""

    def cache_get(self, key: str) -> tuple[dict[str, Any], float] | None: ...

    def cache_put(self, key: str, value: dict[str, Any], stored_at: float, ttl: int) -> None: ...


class Ledger(Protocol):
    """Quota counters in matched parts."""

    def reserve(self, buckets: Sequence[tuple[Bucket, int]], amount: int, ttl: int) -> int | None:
        """Add `amount` to every bucket if each stays within its limit, atomically.

        Returns None on success, else the index of the first bucket that would overflow
        (and nothing is added)."""
        ...

    def release(self, buckets: Sequence[Bucket], amount: int) -> None:
        """Give back `amount` (unused reservation) to every bucket."""
        ...

    def spent(self, bucket: Bucket) -> int: ...

    def top(self, workspace: str, period: str, n: int) -> list[tuple[str, int]]:
        """The `n` biggest spenders of `period`, as (member, spent), biggest first."""
        ...


class RecentLookups(Protocol):
    """Each user's last lookups, newest first; entries older than 90 days are gone."""

    def add_recent(self, workspace: str, user: str, entry: RecentLookup, keep: int) -> None: ...

    def recent(self, workspace: str, user: str, n: int) -> list[RecentLookup]: ...


class EventClaims(Protocol):
    def claim_event(self, workspace: str, event_id: str, ttl: int) -> bool:
        """True the first time `event_id` is seen (within `ttl` seconds), False after."""
        ...


class Leases(Protocol):
    """Short locks across processes (one Nexar request per part, whoever asks)."""

    def lease(self, key: str, ttl: float) -> str | None:
        """Take `key` for `ttl` seconds unless someone (any process) holds it: a token, or None."""
        ...

    def release_lease(self, key: str, token: str) -> None:
        """Give `key` back, if `token` still holds it."""
        ...


class Stash(Protocol):
    """Values kept for a while to be taken once (a private answer waiting to be shared)."""

    def stash(self, workspace: str, key: str, value: dict[str, Any], ttl: int) -> None: ...

    def unstash(self, workspace: str, key: str) -> dict[str, Any] | None:
        """Take a stashed value: get and delete it in one step, so it is taken once."""
        ...


class NotInstalled(Exception):
    """No bot token for a workspace."""


class Installations(Protocol):
    """Each workspace's installation records (text: JSON, or encrypted), one per installer
    plus the latest under `user` "" (what the workspace's bot token is read from)."""

    def put_installation(self, workspace: str, user: str, record: str) -> None: ...

    def installation(self, workspace: str, user: str) -> str | None: ...

    def delete_installation(self, workspace: str, user: str | None) -> None:
        """Delete `user`'s record, or (None) every record of `workspace`."""
        ...


class WorkspaceData(Protocol):
    def forget_workspace(self, workspace: str) -> None:
        """Delete everything kept for `workspace` (installation and tokens, quotas, recent
        lookups, stashed answers, event claims, and any other per-workspace record), as
        when it uninstalls partbot. Forgetting an org (`E1/-`, an org-wide install) forgets
        each of its workspaces too. The shared answer cache stays."""
        ...


class Health(Protocol):
    def ping(self) -> bool:
        """True when the store answers and is sound; otherwise raises `StoreError` saying why."""
        ...

    def close(self) -> None: ...


class LookupStore(AnswerStore, Ledger, RecentLookups, Leases, Protocol):
    """What the lookup service uses."""


class WatchStore(Protocol):
    """Watches per workspace (`Watch.to_json()` dicts: `id`, `user`, `part_key`, `rev`),
    found by part across every workspace (a fresh answer is shared by all)."""

    def add_watch(self, workspace: str, watch: dict[str, Any], user_limit: int, workspace_limit: int) -> str | None:
        """Save `watch` unless its user has `user_limit` watches or the workspace
        `workspace_limit`, atomically: None when saved, else "user" or "workspace"."""
        ...

    def watches(self, workspace: str) -> list[dict[str, Any]]: ...

    def watched_workspaces(self) -> list[str]: ...

    def watches_of_part(self, part_key: str) -> list[tuple[str, dict[str, Any]]]:
        """(workspace, watch) for every watch of the part with that `LookupKey.cache_key()`."""
        ...

    def update_watch(self, workspace: str, watch: dict[str, Any], rev: int) -> bool:
        """Replace the watch if its stored `rev` is still `rev` (`watch["rev"]` is the new
        one): False when another process changed or removed it first."""
        ...

    def remove_watch(self, workspace: str, watch_id: str) -> bool: ...


class ListenerStore(Stash, EventClaims, Installations, WorkspaceData, Protocol):
    """What the Slack listeners and their jobs use."""


class Store(
    AnswerStore, Ledger, RecentLookups, EventClaims, Leases, Stash, Installations, WorkspaceData, WatchStore, Health, Protocol
):
    """Every role: what `open_store` returns and the app wires to the parts that need each."""

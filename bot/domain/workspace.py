"""Which Slack workspace a request belongs to: the key every per-workspace record is filed under."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Workspace:
    """A workspace, or (Enterprise Grid) a workspace of an org. An org-wide install's
    request may carry only the enterprise; its key then has no team part."""

    team: str | None = None
    enterprise: str | None = None

    @property
    def key(self) -> str:
        """`T123` for a standalone workspace, `E456/T123` inside an org, `E456/-` for the
        org itself. Slack ids never hold a `/`, so keys cannot collide."""
        if not self.enterprise:
            return self.team or "-"
        return f"{self.enterprise}/{self.team or '-'}"

    @classmethod
    def from_key(cls, key: str) -> Workspace:
        """The workspace a `key` names (its inverse)."""
        first, slash, second = key.partition("/")
        if not slash:
            return cls(first if first not in ("", "-") else None)
        return cls(second if second != "-" else None, first or None)

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> Workspace:
        """From a slash command (`team_id`, `enterprise_id`), an event envelope (the same)
        or an interaction (`team.id`, `enterprise.id` or `team.enterprise_id`; `user.team_id`
        when an org-wide install's interaction has no team)."""
        user = payload.get("user")
        user_team = user.get("team_id") if isinstance(user, Mapping) else None
        team = payload.get("team")
        team_org = team.get("enterprise_id") if isinstance(team, Mapping) else None
        enterprise = _id(payload, "enterprise") or (str(team_org) if team_org else None)
        return cls(_id(payload, "team") or (str(user_team) if user_team else None), enterprise)


def _id(payload: Mapping[str, Any], name: str) -> str | None:
    flat = payload.get(f"{name}_id")
    if isinstance(flat, str) and flat:
        return flat
    nested = payload.get(name)
    if isinstance(nested, Mapping) and isinstance(nested.get("id"), str) and nested["id"]:
        return str(nested["id"])
    return None

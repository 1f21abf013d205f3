"""An offer to price a BOM from the team budget: what it covers and what it costs."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.outcomes import QuotaView


@dataclass(frozen=True)
class BomPlan:
    lines: tuple[int, ...]
    """Indexes of the lines covered (the lines of the first `max_parts` distinct parts)."""
    total_lines: int
    parts: int
    """Distinct parts covered that are not cached: what pricing them costs at most."""
    distinct: int
    """Distinct parts covered."""
    cached_lines: int
    """Covered lines whose part is cached: free."""
    left_out: int
    """Distinct parts past `max_parts`, not covered."""

    @property
    def truncated(self) -> bool:
        return self.left_out > 0


@dataclass(frozen=True)
class TeamOffer:
    plan: BomPlan
    quota: QuotaView
    bom_left: int | None
    """What the user's BOMs may still take from the team budget this month (None: an admin)."""

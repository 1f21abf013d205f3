"""One line of a user's recent lookups (App Home): a part asked for, or a BOM priced."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

RECENT_MAX_AGE = 90 * 86400
"""Recent lookups are forgotten after 90 days in every store (SPEC, "What leaves Slack")."""


@dataclass(frozen=True)
class RecentLookup:
    at: float
    mpn: str = ""
    qty: int = 1
    found: str | None = None
    """The MPN Nexar matched; None when nothing matched."""
    price: str | None = None
    """The best unit price at `qty`, formatted with its currency."""
    seller: str | None = None
    bom: str | None = None
    """A BOM's file name: the entry is the whole BOM, not one part."""
    lines: int = 0
    priced: int = 0
    total: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecentLookup:
        """Also reads the plain dicts releases before this one stored."""

        def text(name: str) -> str | None:
            value = data.get(name)
            return None if value is None or value == "" else str(value)

        return cls(
            at=float(data.get("at") or 0),
            mpn=str(data.get("mpn") or ""),
            qty=int(data.get("qty") or 1),
            found=text("found"),
            price=text("price"),
            seller=text("seller"),
            bom=text("bom"),
            lines=int(data.get("lines") or 0),
            priced=int(data.get("priced") or 0),
            total=str(data.get("total") or ""),
        )

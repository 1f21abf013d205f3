"""What a user can ask partbot: the result of parsing a command or a mention."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.models import LineItem, Options

USAGE_HINT = "Write it as `/part MPN`, `/part MPN x250` or `/part LM358 x100, NE555 x50`."


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Usage:
    pass


@dataclass(frozen=True)
class Lookup:
    items: tuple[LineItem, ...]
    options: Options = field(default_factory=Options)
    understood: str | None = None


@dataclass(frozen=True)
class Invalid:
    problem: str
    hint: str = USAGE_HINT


Command = Help | Usage | Lookup | Invalid

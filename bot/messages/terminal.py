"""A plain-text view of a message, for `python -m bot ask`."""

from __future__ import annotations

import re

from bot.messages.blocks import Message

_LINK_RE = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


_DATE_RE = re.compile(r"<!date\^\d+\^[^|]*\|([^>]+)>")


def _plain(text: str) -> str:
    text = _DATE_RE.sub(r"\1", text)
    text = _LINK_RE.sub(r"\2", text)
    text = re.sub(r"<@([A-Z0-9]+)>", r"@\1", text)
    text = re.sub(r":[a-z_]+: ?", "", text)
    text = text.replace("*", "").replace("_", "").replace("`", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_terminal(message: Message) -> str:
    """A readable plain-text view of a message's blocks, for `python -m bot ask`."""
    out: list[str] = []
    for block in message.blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            out += [title, "=" * min(len(title), 78)]
        elif kind == "section":
            if "text" in block:
                out.append(_plain(block["text"]["text"]))
            for f in block.get("fields", []):
                out.append(_plain(f["text"]))
            acc = block.get("accessory") or {}
            if acc.get("type") == "image":
                out.append(f"  [picture: {acc['image_url']}]")
        elif kind == "context":
            out.append("  " + " ".join(_plain(e.get("text", "")) for e in block["elements"]))
        elif kind == "divider":
            out.append("-" * 78)
        elif kind == "table":
            rows = [[c.get("text", "") for c in row] for row in block["rows"]]
            widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(rows[0]))]
            for n, row in enumerate(rows):
                out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
                if n == 0:
                    out.append("  ".join("-" * w for w in widths))
        elif kind == "actions":
            continue
        out.append("")
    return "\n".join(out).rstrip() + "\n"

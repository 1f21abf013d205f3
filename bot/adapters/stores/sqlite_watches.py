"""The SQLite store's watches (table `watches`, schema version 3), mixed into `SQLiteStore`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any


class SQLiteWatches:
    """Uses the store's write transactions and reads (defined by `SQLiteStore`)."""

    _tx: Callable[[str], AbstractContextManager[sqlite3.Connection]]
    _read: Callable[[str, str, Sequence[Any]], list[Any]]

    def add_watch(self, workspace: str, watch: dict[str, Any], user_limit: int, workspace_limit: int) -> str | None:
        with self._tx("watch write") as db:
            (mine,) = db.execute(
                "SELECT COUNT(*) FROM watches WHERE workspace = ? AND user = ?", (workspace, watch["user"])
            ).fetchone()
            if mine >= user_limit:
                return "user"
            (everyone,) = db.execute("SELECT COUNT(*) FROM watches WHERE workspace = ?", (workspace,)).fetchone()
            if everyone >= workspace_limit:
                return "workspace"
            db.execute(
                "INSERT INTO watches VALUES (?, ?, ?, ?, ?, ?)",
                (workspace, watch["id"], watch["user"], watch["part_key"], watch["rev"], json.dumps(watch)),
            )
        return None

    def watches(self, workspace: str) -> list[dict[str, Any]]:
        rows = self._read("watch read", "SELECT value FROM watches WHERE workspace = ? ORDER BY rowid", (workspace,))
        return [json.loads(r[0]) for r in rows]

    def watched_workspaces(self) -> list[str]:
        return [r[0] for r in self._read("watch read", "SELECT DISTINCT workspace FROM watches ORDER BY workspace", ())]

    def watches_of_part(self, part_key: str) -> list[tuple[str, dict[str, Any]]]:
        rows = self._read("watch read", "SELECT workspace, value FROM watches WHERE part_key = ? ORDER BY rowid", (part_key,))
        return [(str(w), json.loads(v)) for w, v in rows]

    def update_watch(self, workspace: str, watch: dict[str, Any], rev: int) -> bool:
        with self._tx("watch write") as db:
            cur = db.execute(
                "UPDATE watches SET value = ?, rev = ? WHERE workspace = ? AND id = ? AND rev = ?",
                (json.dumps(watch), watch["rev"], workspace, watch["id"], rev),
            )
            return cur.rowcount == 1

    def remove_watch(self, workspace: str, watch_id: str) -> bool:
        with self._tx("watch remove") as db:
            return db.execute("DELETE FROM watches WHERE workspace = ? AND id = ?", (workspace, watch_id)).rowcount == 1

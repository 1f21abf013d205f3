"""The SQLite store's tables and their migrations, versioned with `PRAGMA user_version`.

Version 1 is the layout of the first releases (no version set; one `quota` table keyed by
"team:period" scopes, `recent` keyed by "team:user"). Version 2 files every per-workspace
row under its workspace key; the answer cache and the leases stay shared. Version 3 adds
the `watches` table, and version 4 `installations` (each workspace's OAuth installation,
for many workspaces): new tables only, so nothing moves.

A migration runs in one `BEGIN IMMEDIATE` transaction: several processes starting at once
queue on SQLite's write lock, and each re-reads the version once it holds it, so exactly
one of them migrates and the others find the work done.
"""

from __future__ import annotations

import json
import sqlite3
import time

from bot.domain.recent import RECENT_MAX_AGE, RecentLookup
from bot.domain.workspace import Workspace
from bot.ports import StoreError

SCHEMA_VERSION = 4
LEGACY = ""
"""The workspace of event claims and stashed answers written before version 2 (their
workspace was not recorded); they expire within a day."""

_TABLES = (
    "CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL,"
    " expires_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS quotas (workspace TEXT NOT NULL, period TEXT NOT NULL, member TEXT NOT NULL,"
    " spent INTEGER NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (workspace, period, member))",
    "CREATE TABLE IF NOT EXISTS recent_lookups (id INTEGER PRIMARY KEY AUTOINCREMENT, workspace TEXT NOT NULL,"
    " user TEXT NOT NULL, at REAL NOT NULL, entry TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS recent_lookups_user ON recent_lookups (workspace, user, id)",
    "CREATE TABLE IF NOT EXISTS event_claims (workspace TEXT NOT NULL, id TEXT NOT NULL, expires_at REAL NOT NULL,"
    " PRIMARY KEY (workspace, id))",
    "CREATE TABLE IF NOT EXISTS stashed (workspace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " expires_at REAL NOT NULL, PRIMARY KEY (workspace, key))",
    "CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS watches (workspace TEXT NOT NULL, id TEXT NOT NULL, user TEXT NOT NULL,"
    " part_key TEXT NOT NULL, rev INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (workspace, id))",
    "CREATE INDEX IF NOT EXISTS watches_part ON watches (part_key)",
    "CREATE TABLE IF NOT EXISTS installations (workspace TEXT NOT NULL, user TEXT NOT NULL, record TEXT NOT NULL,"
    " PRIMARY KEY (workspace, user))",
)


def migrate(db: sqlite3.Connection) -> int:
    """Bring the file to SCHEMA_VERSION; the version it had before."""
    db.execute("BEGIN IMMEDIATE")
    try:
        before = int(db.execute("PRAGMA user_version").fetchone()[0])
        if before > SCHEMA_VERSION:
            raise StoreError(f"the SQLite file has schema {before}, newer than this partbot's {SCHEMA_VERSION}")
        if before < SCHEMA_VERSION:
            legacy = before == 0 and _has_table(db, "quota")
            for statement in _TABLES:
                db.execute(statement)
            if legacy:
                _from_v1(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return before


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _from_v1(db: sqlite3.Connection) -> None:
    for scope, member, spent, expires_at in db.execute("SELECT scope, member, spent, expires_at FROM quota").fetchall():
        team, _, period = str(scope).partition(":")
        db.execute(
            "INSERT INTO quotas VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace, period, member)"
            " DO UPDATE SET spent = spent + excluded.spent",
            (Workspace(team or None).key, period, member, spent, expires_at),
        )
    cutoff = time.time() - RECENT_MAX_AGE
    for owner, raw in db.execute("SELECT owner, entry FROM recent ORDER BY id").fetchall():
        team, _, user = str(owner).partition(":")
        try:
            entry = RecentLookup.from_json(json.loads(raw))
        except (TypeError, ValueError):
            continue
        if entry.at >= cutoff:
            db.execute(
                "INSERT INTO recent_lookups (workspace, user, at, entry) VALUES (?, ?, ?, ?)",
                (Workspace(team or None).key, user, entry.at, json.dumps(entry.to_json())),
            )
    db.execute("INSERT OR IGNORE INTO event_claims SELECT ?, id, expires_at FROM events", (LEGACY,))
    db.execute("INSERT OR IGNORE INTO stashed SELECT ?, key, value, expires_at FROM stash", (LEGACY,))
    for old in ("quota", "recent", "events", "stash"):
        db.execute(f"DROP TABLE {old}")

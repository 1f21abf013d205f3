"""SQLite store: the embedded default. WAL mode, one connection per thread.

Quota updates run in `BEGIN IMMEDIATE` transactions, so they stay atomic across
threads and across processes sharing the file. Within a process, writers take turns on
a lock first: SQLite's own busy handler waits by sleeping (1, 2, 5 … 100 ms), which
under fifty concurrent lookups adds up to far more than the writes themselves.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from bot.ports import Bucket

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS quota (scope TEXT NOT NULL, member TEXT NOT NULL, spent INTEGER NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (scope, member));
CREATE TABLE IF NOT EXISTS recent (id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, entry TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS recent_owner ON recent (owner, id);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS stash (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at REAL NOT NULL);
"""
_PURGE_EVERY = 200


class SQLiteStore:
    def __init__(self, path: str, *, busy_timeout: float = 10.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        if path != ":memory:" and not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write = threading.Lock()
        self._writes = 0
        self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        with self._write:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _maybe_purge(self, db: sqlite3.Connection) -> None:
        self._writes += 1
        if self._writes % _PURGE_EVERY:
            return
        now = time.time()
        for table in ("cache", "quota", "events", "stash", "leases"):
            db.execute(f"DELETE FROM {table} WHERE expires_at < ?", (now,))

    # cache -------------------------------------------------------------------
    def cache_get(self, key: str) -> tuple[dict[str, Any], float] | None:
        row = (
            self._conn()
            .execute("SELECT value, stored_at FROM cache WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return (json.loads(row[0]), row[1]) if row else None

    def cache_put(self, key: str, value: dict[str, Any], stored_at: float, ttl: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?)",
                (key, json.dumps(value), stored_at, stored_at + ttl),
            )
            self._maybe_purge(db)

    # quota -------------------------------------------------------------------
    def reserve(self, buckets: Sequence[tuple[Bucket, int]], amount: int, ttl: int) -> int | None:
        now = time.time()
        with self._tx() as db:
            for i, ((scope, member), limit) in enumerate(buckets):
                row = db.execute("SELECT spent FROM quota WHERE scope = ? AND member = ?", (scope, member)).fetchone()
                if (row[0] if row else 0) + amount > limit:
                    return i
            for (scope, member), _ in buckets:
                db.execute(
                    "INSERT INTO quota VALUES (?, ?, ?, ?) ON CONFLICT (scope, member) "
                    "DO UPDATE SET spent = spent + excluded.spent",
                    (scope, member, amount, now + ttl),
                )
        return None

    def release(self, buckets: Sequence[Bucket], amount: int) -> None:
        with self._tx() as db:
            for scope, member in buckets:
                db.execute(
                    "UPDATE quota SET spent = MAX(spent - ?, 0) WHERE scope = ? AND member = ?",
                    (amount, scope, member),
                )

    def spent(self, bucket: Bucket) -> int:
        row = self._conn().execute("SELECT spent FROM quota WHERE scope = ? AND member = ?", bucket).fetchone()
        return int(row[0]) if row else 0

    def top(self, scope: str, n: int) -> list[tuple[str, int]]:
        rows = (
            self._conn()
            .execute(
                "SELECT member, spent FROM quota WHERE scope = ? AND spent > 0 ORDER BY spent DESC, member LIMIT ?",
                (scope, n),
            )
            .fetchall()
        )
        return [(m, int(s)) for m, s in rows]

    # recent lookups ----------------------------------------------------------
    def add_recent(self, owner: str, entry: dict[str, Any], keep: int) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO recent (owner, entry) VALUES (?, ?)", (owner, json.dumps(entry)))
            db.execute(
                "DELETE FROM recent WHERE owner = ? AND id NOT IN "
                "(SELECT id FROM recent WHERE owner = ? ORDER BY id DESC LIMIT ?)",
                (owner, owner, keep),
            )

    def recent(self, owner: str, n: int) -> list[dict[str, Any]]:
        rows = self._conn().execute("SELECT entry FROM recent WHERE owner = ? ORDER BY id DESC LIMIT ?", (owner, n)).fetchall()
        return [json.loads(r[0]) for r in rows]

    # event de-duplication and stash -----------------------------------------
    def claim_event(self, event_id: str, ttl: int) -> bool:
        now = time.time()
        with self._tx() as db:
            db.execute("DELETE FROM events WHERE id = ? AND expires_at < ?", (event_id, now))
            cur = db.execute("INSERT OR IGNORE INTO events VALUES (?, ?)", (event_id, now + ttl))
            self._maybe_purge(db)
            return cur.rowcount == 1

    def lease(self, key: str, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        now = time.time()
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE key = ? AND expires_at < ?", (key, now))
            cur = db.execute("INSERT OR IGNORE INTO leases VALUES (?, ?, ?)", (key, token, now + ttl))
            return token if cur.rowcount == 1 else None

    def release_lease(self, key: str, token: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE key = ? AND token = ?", (key, token))

    def stash(self, key: str, value: dict[str, Any], ttl: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO stash VALUES (?, ?, ?)",
                (key, json.dumps(value, separators=(",", ":")), time.time() + ttl),
            )

    def unstash(self, key: str) -> dict[str, Any] | None:
        with self._tx() as db:
            row = db.execute("SELECT value, expires_at FROM stash WHERE key = ?", (key,)).fetchone()
            db.execute("DELETE FROM stash WHERE key = ?", (key,))
        return json.loads(row[0]) if row and row[1] > time.time() else None

    def ping(self) -> bool:
        self._conn().execute("SELECT 1").fetchone()
        return True

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

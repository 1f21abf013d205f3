"""SQLite store: the embedded default. WAL mode, one connection per thread.

Quota updates run in `BEGIN IMMEDIATE` transactions, so they stay atomic across
threads and across processes sharing the file. Within a process, writers take turns on
a lock first: SQLite's own busy handler waits by sleeping (1, 2, 5 … 100 ms), which
under fifty concurrent lookups adds up to far more than the writes themselves.

Waits are short (`busy_timeout`, `lock_wait`): a file another process holds write-locked
fails with `StoreError` in about a second instead of holding a Slack ack for ten.
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

from bot.adapters.stores.sqlite_schema import LEGACY, migrate
from bot.adapters.stores.sqlite_watches import SQLiteWatches
from bot.domain.recent import RECENT_MAX_AGE, RecentLookup
from bot.ports import Bucket, StoreError

_PURGE_EVERY = 200
_EXPIRING = ("cache", "quotas", "event_claims", "stashed", "leases")
CACHE_MAX_ROWS = 20_000
"""Answers kept at most (the newest): expired ones are kept to answer stale, bounded by this and their age."""
MIGRATION_WAIT = 30.0
"""How long a starting process waits for another one's migration (start-up only)."""
QUICK_CHECK_EVERY = 30.0
"""`PRAGMA quick_check` reads the whole file (about 80 ms for 100 MB): health checks
repeat its verdict for this many seconds instead of running it each time."""


@contextmanager
def _sqlite_errors(what: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(f"sqlite {what}: {exc}"[:200]) from exc


PAGE_CACHE_KIB = 256
"""Each thread's connection keeps its own page cache (SQLite's default is 2 MiB): with a
job pool of 64 threads that alone could grow to over 100 MiB. The OS caches the file."""


class SQLiteStore(SQLiteWatches):
    def __init__(
        self, path: str, *, busy_timeout: float = 0.5, lock_wait: float = 1.0, cache_max_rows: int = CACHE_MAX_ROWS
    ) -> None:
        self.path, self.cache_max_rows = path, cache_max_rows
        self.busy_timeout, self.lock_wait = busy_timeout, lock_wait
        if path != ":memory:" and not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write = threading.Lock()
        self._writes = 0
        self._checked: tuple[float, str | None] | None = None
        with _sqlite_errors("migration"):
            db = self._conn()
            db.execute(f"PRAGMA busy_timeout={int(MIGRATION_WAIT * 1000)}")
            try:
                migrate(db)
            finally:
                db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with _sqlite_errors("open"):
                conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _tx(self, what: str) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        if not self._write.acquire(timeout=self.lock_wait):
            raise StoreError(f"sqlite {what}: other writers in this process held the file for over {self.lock_wait:g} s")
        try:
            with _sqlite_errors(what):
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        finally:
            self._write.release()

    def _read(self, what: str, sql: str, args: Sequence[Any]) -> list[Any]:
        with _sqlite_errors(what):
            return self._conn().execute(sql, args).fetchall()

    def _maybe_purge(self, db: sqlite3.Connection) -> None:
        self._writes += 1
        if self._writes % _PURGE_EVERY:
            return
        now = time.time()
        for table in _EXPIRING:
            db.execute(f"DELETE FROM {table} WHERE expires_at < ?", (now,))
        db.execute("DELETE FROM recent_lookups WHERE at < ?", (now - RECENT_MAX_AGE,))
        db.execute(
            "DELETE FROM cache WHERE key IN (SELECT key FROM cache ORDER BY stored_at DESC LIMIT -1 OFFSET ?)",
            (self.cache_max_rows,),
        )

    # cache (shared by every workspace) ---------------------------------------
    def cache_get(self, key: str) -> tuple[dict[str, Any], float] | None:
        rows = self._read("cache read", "SELECT value, stored_at FROM cache WHERE key = ? AND expires_at > ?", (key, time.time()))
        return (json.loads(rows[0][0]), rows[0][1]) if rows else None

    def cache_put(self, key: str, value: dict[str, Any], stored_at: float, ttl: int) -> None:
        with self._tx("cache write") as db:
            db.execute("INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?)", (key, json.dumps(value), stored_at, stored_at + ttl))
            self._maybe_purge(db)

    # quota -------------------------------------------------------------------
    def reserve(self, buckets: Sequence[tuple[Bucket, int]], amount: int, ttl: int) -> int | None:
        now = time.time()
        with self._tx("quota reserve") as db:
            for i, (bucket, limit) in enumerate(buckets):
                row = db.execute(
                    "SELECT spent FROM quotas WHERE workspace = ? AND period = ? AND member = ?", tuple(bucket)
                ).fetchone()
                if (row[0] if row else 0) + amount > limit:
                    return i
            for bucket, _ in buckets:
                db.execute(
                    "INSERT INTO quotas VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace, period, member) "
                    "DO UPDATE SET spent = spent + excluded.spent",
                    (*bucket, amount, now + ttl),
                )
        return None

    def release(self, buckets: Sequence[Bucket], amount: int) -> None:
        with self._tx("quota release") as db:
            for bucket in buckets:
                db.execute(
                    "UPDATE quotas SET spent = MAX(spent - ?, 0) WHERE workspace = ? AND period = ? AND member = ?",
                    (amount, *bucket),
                )

    def spent(self, bucket: Bucket) -> int:
        rows = self._read(
            "quota read", "SELECT spent FROM quotas WHERE workspace = ? AND period = ? AND member = ?", tuple(bucket)
        )
        return int(rows[0][0]) if rows else 0

    def top(self, workspace: str, period: str, n: int) -> list[tuple[str, int]]:
        rows = self._read(
            "quota read",
            "SELECT member, spent FROM quotas WHERE workspace = ? AND period = ? AND spent > 0 "
            "ORDER BY spent DESC, member LIMIT ?",
            (workspace, period, n),
        )
        return [(m, int(s)) for m, s in rows]

    # recent lookups ----------------------------------------------------------
    def add_recent(self, workspace: str, user: str, entry: RecentLookup, keep: int) -> None:
        with self._tx("recent lookups write") as db:
            db.execute(
                "INSERT INTO recent_lookups (workspace, user, at, entry) VALUES (?, ?, ?, ?)",
                (workspace, user, entry.at, json.dumps(entry.to_json())),
            )
            db.execute(
                "DELETE FROM recent_lookups WHERE workspace = ? AND user = ? AND (at < ? OR id NOT IN "
                "(SELECT id FROM recent_lookups WHERE workspace = ? AND user = ? ORDER BY id DESC LIMIT ?))",
                (workspace, user, time.time() - RECENT_MAX_AGE, workspace, user, keep),
            )

    def recent(self, workspace: str, user: str, n: int) -> list[RecentLookup]:
        rows = self._read(
            "recent lookups read",
            "SELECT entry FROM recent_lookups WHERE workspace = ? AND user = ? AND at >= ? ORDER BY id DESC LIMIT ?",
            (workspace, user, time.time() - RECENT_MAX_AGE, n),
        )
        return [RecentLookup.from_json(json.loads(r[0])) for r in rows]

    # event de-duplication, leases and stash ----------------------------------
    def claim_event(self, workspace: str, event_id: str, ttl: int) -> bool:
        now = time.time()
        with self._tx("event claim") as db:
            db.execute("DELETE FROM event_claims WHERE id = ? AND expires_at < ?", (event_id, now))
            if (
                workspace != LEGACY
                and db.execute("SELECT 1 FROM event_claims WHERE workspace = ? AND id = ?", (LEGACY, event_id)).fetchone()
            ):
                return False
            cur = db.execute("INSERT OR IGNORE INTO event_claims VALUES (?, ?, ?)", (workspace, event_id, now + ttl))
            self._maybe_purge(db)
            return cur.rowcount == 1

    def lease(self, key: str, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        now = time.time()
        with self._tx("lease") as db:
            db.execute("DELETE FROM leases WHERE key = ? AND expires_at < ?", (key, now))
            cur = db.execute("INSERT OR IGNORE INTO leases VALUES (?, ?, ?)", (key, token, now + ttl))
            return token if cur.rowcount == 1 else None

    def release_lease(self, key: str, token: str) -> None:
        with self._tx("lease release") as db:
            db.execute("DELETE FROM leases WHERE key = ? AND token = ?", (key, token))

    def stash(self, workspace: str, key: str, value: dict[str, Any], ttl: int) -> None:
        with self._tx("stash write") as db:
            db.execute(
                "INSERT OR REPLACE INTO stashed VALUES (?, ?, ?, ?)",
                (workspace, key, json.dumps(value, separators=(",", ":")), time.time() + ttl),
            )

    def unstash(self, workspace: str, key: str) -> dict[str, Any] | None:
        with self._tx("stash take") as db:
            for owner in (workspace, LEGACY):
                row = db.execute("SELECT value, expires_at FROM stashed WHERE workspace = ? AND key = ?", (owner, key)).fetchone()
                if row is not None:
                    db.execute("DELETE FROM stashed WHERE workspace = ? AND key = ?", (owner, key))
                    break
        return json.loads(row[0]) if row and row[1] > time.time() else None

    # installations ------------------------------------------------------------
    def put_installation(self, workspace: str, user: str, record: str) -> None:
        with self._tx("installation write") as db:
            db.execute("INSERT OR REPLACE INTO installations VALUES (?, ?, ?)", (workspace, user, record))

    def installation(self, workspace: str, user: str) -> str | None:
        rows = self._read(
            "installation read", "SELECT record FROM installations WHERE workspace = ? AND user = ?", (workspace, user)
        )
        return str(rows[0][0]) if rows else None

    def delete_installation(self, workspace: str, user: str | None) -> None:
        with self._tx("installation delete") as db:
            if user is None:
                db.execute("DELETE FROM installations WHERE workspace = ?", (workspace,))
            else:
                db.execute("DELETE FROM installations WHERE workspace = ? AND user = ?", (workspace, user))

    def forget_workspace(self, workspace: str) -> None:
        """Every table with a `workspace` column, so a table added later is covered too."""
        org = workspace[:-1] if workspace.endswith("/-") else None
        with self._tx("forget workspace") as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
            for table in tables:
                if "workspace" not in {c[1] for c in db.execute(f'PRAGMA table_info("{table}")').fetchall()}:
                    continue
                db.execute(f'DELETE FROM "{table}" WHERE workspace = ?', (workspace,))
                if org:
                    db.execute(f'DELETE FROM "{table}" WHERE substr(workspace, 1, ?) = ?', (len(org), org))

    # health ------------------------------------------------------------------
    def ping(self) -> bool:
        """`PRAGMA quick_check`, then a write transaction begun and rolled back: a corrupted
        file, or one another process keeps write-locked, is not healthy."""
        now = time.monotonic()
        if self._checked is None or now - self._checked[0] >= QUICK_CHECK_EVERY:
            rows = self._read("health check", "PRAGMA quick_check(1)", ())
            damage = None if [tuple(r) for r in rows] == [("ok",)] else str(rows[0][0] if rows else "no answer")
            self._checked = (now, damage)
        if self._checked[1] is not None:
            raise StoreError(f"sqlite file is damaged ({self._checked[1]})"[:200])
        with self._tx("health check"):
            pass
        return True

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

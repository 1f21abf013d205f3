"""Redis store: one budget, one cache and one event de-duplication for several processes.

Quota buckets are hashes (one per workspace and period, one field per member) updated by
a Lua script, so the check-and-add across a user's day and the team's month is a single
atomic step. Each update carries a unique id remembered for an hour: when the connection
drops after Redis ran a script but before its reply arrived, the client's retry is not
applied twice.

Timeouts are about a second and a stalled server is not retried: a stopped Redis fails
with `StoreError` at once instead of holding a Slack ack for half a minute. A dropped
connection is retried once.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any, ParamSpec, TypeVar

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from bot.adapters.stores.redis_errors import typed as _typed
from bot.adapters.stores.redis_schema import migrate, workspace_prefix
from bot.adapters.stores.redis_watches import RedisWatches
from bot.domain.recent import RECENT_MAX_AGE, RecentLookup
from bot.ports import Bucket

CACHE_MAX_KEYS = 20_000
"""Answers kept at most (the newest): expired ones are kept to answer stale, bounded by this and their age."""
_TRIM_EVERY = 200

P = ParamSpec("P")
R = TypeVar("R")

_RESERVE = """
local done = redis.call('GET', ARGV[3])
if done then return tonumber(done) end
local amount = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
for i = 1, #KEYS do
  local spent = tonumber(redis.call('HGET', KEYS[i], ARGV[2 + 2 * i]) or '0')
  if spent + amount > tonumber(ARGV[3 + 2 * i]) then
    redis.call('SET', ARGV[3], i - 1, 'EX', 3600)
    return i - 1
  end
end
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], ARGV[2 + 2 * i], amount)
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ttl) end
end
redis.call('SET', ARGV[3], -1, 'EX', 3600)
return -1
"""

_RELEASE = """
if redis.call('SET', ARGV[2], 1, 'NX', 'EX', 3600) == false then return 0 end
local amount = tonumber(ARGV[1])
for i = 1, #KEYS do
  local left = redis.call('HINCRBY', KEYS[i], ARGV[2 + i], -amount)
  if left < 0 then redis.call('HSET', KEYS[i], ARGV[2 + i], 0) end
end
return 0
"""

_ADD_RECENT = """
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local cutoff = tonumber(ARGV[3])
while true do
  local last = redis.call('LINDEX', KEYS[1], -1)
  if not last then break end
  local ok, entry = pcall(cjson.decode, last)
  if ok and type(entry) == 'table' and (tonumber(entry['at']) or 0) < cutoff then
    redis.call('RPOP', KEYS[1])
  else
    break
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 0
"""

_CLAIM_EVENT = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 1 end
return 0
"""

# The lease stays hand-written rather than redis-py's `Lock`: a lease is taken in one call
# and given back by token in another, while `Lock` keeps its token inside the Lock object.
_RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisStore(RedisWatches):
    def __init__(self, url: str, prefix: str = "partbot:", *, timeout: float = 1.0, cache_max_keys: int = CACHE_MAX_KEYS) -> None:
        self.prefix, self.cache_max_keys, self._puts = prefix, cache_max_keys, 0
        self.r = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=15,
            retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1, supported_errors=(redis.ConnectionError,)),
        )
        self._reserve = self.r.register_script(_RESERVE)
        self._release = self.r.register_script(_RELEASE)
        self._add_recent = self.r.register_script(_ADD_RECENT)
        self._claim_event = self.r.register_script(_CLAIM_EVENT)
        self._release_lease = self.r.register_script(_RELEASE_LEASE)
        self._watch_scripts()
        _typed("migration")(migrate)(self.r, prefix)

    def _k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _ws(self, workspace: str, *parts: str) -> str:
        return workspace_prefix(self.prefix, workspace) + ":".join(parts)

    # cache (shared by every workspace) ---------------------------------------
    @_typed("cache read")
    def cache_get(self, key: str) -> tuple[dict[str, Any], float] | None:
        raw = self.r.get(self._k("cache", key))
        if raw is None:
            return None
        data = json.loads(raw)
        return data["value"], float(data["stored_at"])

    @_typed("cache write")
    def cache_put(self, key: str, value: dict[str, Any], stored_at: float, ttl: int) -> None:
        left = int(stored_at + ttl - time.time())
        if left <= 0:
            return
        pipe = self.r.pipeline(transaction=False)
        pipe.set(self._k("cache", key), json.dumps({"value": value, "stored_at": stored_at}), ex=left)
        pipe.zadd(self._k("cache-index"), {key: stored_at})
        pipe.execute()
        self._puts += 1
        if self._puts % _TRIM_EVERY == 0 or self.cache_max_keys < _TRIM_EVERY:
            self._trim_cache()

    def _trim_cache(self) -> None:
        """Drop the oldest answers beyond `cache_max_keys` (and index entries whose answer expired)."""
        index = self._k("cache-index")
        excess = int(self.r.zcard(index)) - self.cache_max_keys
        if excess <= 0:
            return
        oldest = [str(k) for k in self.r.zrange(index, 0, excess - 1)]
        if oldest:
            self.r.unlink(*(self._k("cache", k) for k in oldest))
            self.r.zrem(index, *oldest)

    # quota -------------------------------------------------------------------
    @_typed("quota reserve")
    def reserve(self, buckets: Sequence[tuple[Bucket, int]], amount: int, ttl: int) -> int | None:
        keys = [self._ws(b.workspace, "quota", b.period) for b, _ in buckets]
        args: list[Any] = [amount, ttl, self._k("op", uuid.uuid4().hex)]
        for bucket, limit in buckets:
            args += [bucket.member, limit]
        index = int(self._reserve(keys=keys, args=args))
        return None if index < 0 else index

    @_typed("quota release")
    def release(self, buckets: Sequence[Bucket], amount: int) -> None:
        op = self._k("op", uuid.uuid4().hex)
        keys = [self._ws(b.workspace, "quota", b.period) for b in buckets]
        self._release(keys=keys, args=[amount, op, *(b.member for b in buckets)])

    @_typed("quota read")
    def spent(self, bucket: Bucket) -> int:
        return int(self.r.hget(self._ws(bucket.workspace, "quota", bucket.period), bucket.member) or 0)

    @_typed("quota read")
    def top(self, workspace: str, period: str, n: int) -> list[tuple[str, int]]:
        counts = self.r.hgetall(self._ws(workspace, "quota", period))
        rows = [(str(m), int(s)) for m, s in counts.items() if int(s) > 0]
        return sorted(rows, key=lambda r: (-r[1], r[0]))[:n]

    # recent lookups ----------------------------------------------------------
    @_typed("recent lookups write")
    def add_recent(self, workspace: str, user: str, entry: RecentLookup, keep: int) -> None:
        args: list[str | float] = [json.dumps(entry.to_json()), keep, time.time() - RECENT_MAX_AGE, RECENT_MAX_AGE]
        self._add_recent(keys=[self._ws(workspace, "recent", user)], args=args)

    @_typed("recent lookups read")
    def recent(self, workspace: str, user: str, n: int) -> list[RecentLookup]:
        cutoff = time.time() - RECENT_MAX_AGE
        entries = [RecentLookup.from_json(json.loads(x)) for x in self.r.lrange(self._ws(workspace, "recent", user), 0, n - 1)]
        return [e for e in entries if e.at >= cutoff]

    # event de-duplication, leases and stash ----------------------------------
    @_typed("event claim")
    def claim_event(self, workspace: str, event_id: str, ttl: int) -> bool:
        keys = [self._ws(workspace, "event", event_id), self._k("event", event_id)]
        return bool(self._claim_event(keys=keys, args=[ttl]))

    @_typed("lease")
    def lease(self, key: str, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        return token if self.r.set(self._k(key), token, nx=True, px=max(int(ttl * 1000), 1)) else None

    @_typed("lease release")
    def release_lease(self, key: str, token: str) -> None:
        self._release_lease(keys=[self._k(key)], args=[token])

    @_typed("stash write")
    def stash(self, workspace: str, key: str, value: dict[str, Any], ttl: int) -> None:
        self.r.set(self._ws(workspace, "stash", key), json.dumps(value), ex=ttl)

    @_typed("stash take")
    def unstash(self, workspace: str, key: str) -> dict[str, Any] | None:
        raw = self.r.getdel(self._ws(workspace, "stash", key)) or self.r.getdel(self._k("stash", key))
        return json.loads(raw) if raw else None

    # installations ------------------------------------------------------------
    @_typed("installation write")
    def put_installation(self, workspace: str, user: str, record: str) -> None:
        self.r.hset(self._ws(workspace, "installations"), user, record)

    @_typed("installation read")
    def installation(self, workspace: str, user: str) -> str | None:
        raw = self.r.hget(self._ws(workspace, "installations"), user)
        return str(raw) if raw is not None else None

    @_typed("installation delete")
    def delete_installation(self, workspace: str, user: str | None) -> None:
        if user is None:
            self.r.delete(self._ws(workspace, "installations"))
        else:
            self.r.hdel(self._ws(workspace, "installations"), user)

    @_typed("forget workspace")
    def forget_workspace(self, workspace: str) -> None:
        """Every key under the workspace's prefix; for an org (`E1/-`), under each of its workspaces'."""
        where = f"{self.prefix}ws:{workspace[:-1]}" if workspace.endswith("/-") else self._ws(workspace)
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", where) + "*"
        batch: list[str] = []
        for key in self.r.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                self.r.unlink(*batch)
                batch.clear()
        if batch:
            self.r.unlink(*batch)
        org = workspace[:-1] if workspace.endswith("/-") else None
        spaces = self._k("watchspaces")
        gone = [w for w in self.r.smembers(spaces) if w == workspace or (org and str(w).startswith(org))]
        if gone:
            self.r.srem(spaces, *gone)

    # health ------------------------------------------------------------------
    @_typed("health check")
    def ping(self) -> bool:
        return bool(self.r.ping())

    def close(self) -> None:
        self.r.close()

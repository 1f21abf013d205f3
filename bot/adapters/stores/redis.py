"""Redis store: one budget, one cache and one event de-duplication for several processes.

Quota buckets are hashes (one per scope, one field per member) updated by a Lua script,
so the check-and-add across a user's day and the team's month is a single atomic step.
Each update carries a unique id remembered for an hour: when the connection drops after
Redis ran a script but before its reply arrived, the client's retry is not applied twice.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from bot.ports import Bucket

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

_RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisStore:
    def __init__(self, url: str, prefix: str = "partbot:") -> None:
        self.prefix = prefix
        self.r = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=5,
            socket_connect_timeout=3,
            health_check_interval=15,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=5),
            retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        )
        self._reserve = self.r.register_script(_RESERVE)
        self._release = self.r.register_script(_RELEASE)
        self._release_lease = self.r.register_script(_RELEASE_LEASE)

    def _k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def cache_get(self, key: str) -> tuple[dict[str, Any], float] | None:
        raw = self.r.get(self._k("cache", key))
        if raw is None:
            return None
        data = json.loads(raw)
        return data["value"], float(data["stored_at"])

    def cache_put(self, key: str, value: dict[str, Any], stored_at: float, ttl: int) -> None:
        left = int(stored_at + ttl - time.time())
        if left > 0:
            self.r.set(self._k("cache", key), json.dumps({"value": value, "stored_at": stored_at}), ex=left)

    def reserve(self, buckets: Sequence[tuple[Bucket, int]], amount: int, ttl: int) -> int | None:
        keys = [self._k("quota", scope) for (scope, _), _ in buckets]
        args: list[Any] = [amount, ttl, self._k("op", uuid.uuid4().hex)]
        for (_, member), limit in buckets:
            args += [member, limit]
        index = int(self._reserve(keys=keys, args=args))
        return None if index < 0 else index

    def release(self, buckets: Sequence[Bucket], amount: int) -> None:
        op = self._k("op", uuid.uuid4().hex)
        self._release(keys=[self._k("quota", s) for s, _ in buckets], args=[amount, op, *(m for _, m in buckets)])

    def spent(self, bucket: Bucket) -> int:
        return int(self.r.hget(self._k("quota", bucket[0]), bucket[1]) or 0)

    def top(self, scope: str, n: int) -> list[tuple[str, int]]:
        rows = [(str(m), int(s)) for m, s in self.r.hgetall(self._k("quota", scope)).items() if int(s) > 0]
        return sorted(rows, key=lambda r: (-r[1], r[0]))[:n]

    def add_recent(self, owner: str, entry: dict[str, Any], keep: int) -> None:
        key = self._k("recent", owner)
        with self.r.pipeline() as pipe:
            pipe.lpush(key, json.dumps(entry))
            pipe.ltrim(key, 0, keep - 1)
            pipe.expire(key, 90 * 86400)
            pipe.execute()

    def recent(self, owner: str, n: int) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.r.lrange(self._k("recent", owner), 0, n - 1)]

    def claim_event(self, event_id: str, ttl: int) -> bool:
        return bool(self.r.set(self._k("event", event_id), "1", nx=True, ex=ttl))

    def lease(self, key: str, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        return token if self.r.set(self._k(key), token, nx=True, px=int(ttl * 1000)) else None

    def release_lease(self, key: str, token: str) -> None:
        self._release_lease(keys=[self._k(key)], args=[token])

    def stash(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self.r.set(self._k("stash", key), json.dumps(value), ex=ttl)

    def unstash(self, key: str) -> dict[str, Any] | None:
        raw = self.r.getdel(self._k("stash", key))
        return json.loads(raw) if raw else None

    def ping(self) -> bool:
        return bool(self.r.ping())

    def close(self) -> None:
        self.r.close()

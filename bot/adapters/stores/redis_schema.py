"""The Redis store's key layout and its migrations, versioned by the key `{prefix}schema`.

Version 1 (the first releases, no version key) kept quotas at `quota:{team}:{period}` and
recent lookups at `recent:{team}:{user}`. Version 2 files every per-workspace key under
`ws:{workspace}:`; the answer cache (`cache:`) and the leases stay shared and unchanged.
Version 3 adds watches (`ws:{workspace}:watches`, `watchparts:`, `watchspaces`), and
version 4 `ws:{workspace}:installations` (a hash: installer → installation record, for
many workspaces); new keys only, so nothing of version 2 moves.

Each old key moves in one Lua script (add into the new key, then delete the old), so
several processes migrating at once each move a key at most once and lose nothing.
Event claims and stashed answers of version 1 are not moved: they expire within a day,
and the store reads their old keys until then.
"""

from __future__ import annotations

import redis

from bot.domain.recent import RECENT_MAX_AGE
from bot.domain.workspace import Workspace
from bot.ports import StoreError

SCHEMA_VERSION = 4

_MOVE_HASH = """
local data = redis.call('HGETALL', KEYS[1])
if #data == 0 then return 0 end
for i = 1, #data, 2 do redis.call('HINCRBY', KEYS[2], data[i], data[i + 1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 and redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('DEL', KEYS[1])
return 1
"""

_MOVE_LIST = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
if #items == 0 then return 0 end
for i = 1, #items do redis.call('RPUSH', KEYS[2], items[i]) end
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
"""


def workspace_prefix(prefix: str, workspace: str) -> str:
    return f"{prefix}ws:{workspace}:"


def migrate(r: redis.Redis, prefix: str) -> int:
    """Bring the keys under `prefix` to SCHEMA_VERSION; the version they had before."""
    before = int(r.get(prefix + "schema") or 1)
    if before > SCHEMA_VERSION:
        raise StoreError(f"the Redis data has schema {before}, newer than this partbot's {SCHEMA_VERSION}")
    if before == SCHEMA_VERSION:
        return before
    if before >= 2:  # versions 3 and 4 only add keys
        r.set(prefix + "schema", SCHEMA_VERSION)
        return before
    move_hash, move_list = r.register_script(_MOVE_HASH), r.register_script(_MOVE_LIST)
    old_quota, old_recent = prefix + "quota:", prefix + "recent:"
    for key in r.scan_iter(match=old_quota + "*", count=500):
        team, _, period = str(key)[len(old_quota) :].partition(":")
        new = f"{workspace_prefix(prefix, Workspace(team or None).key)}quota:{period}"
        move_hash(keys=[key, new])
    for key in r.scan_iter(match=old_recent + "*", count=500):
        team, _, user = str(key)[len(old_recent) :].partition(":")
        new = f"{workspace_prefix(prefix, Workspace(team or None).key)}recent:{user}"
        move_list(keys=[key, new], args=[RECENT_MAX_AGE])
    r.set(prefix + "schema", SCHEMA_VERSION)
    return before

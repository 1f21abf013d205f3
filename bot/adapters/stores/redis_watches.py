"""The Redis store's watches, mixed into `RedisStore`.

`ws:{workspace}:watches` is a hash of watch id → JSON; `watchparts:{part key}` a set of
"workspace id" pairs (the index by part, across workspaces); `watchspaces` the workspaces
with watches. Adding (with its limits), replacing (compare-and-set on `rev`) and removing
each run as one Lua script, so two processes never lose an update or pass a limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis

from bot.adapters.stores.redis_errors import typed
from bot.adapters.stores.redis_schema import workspace_prefix

_ADD = """
local mine, everyone = 0, 0
for _, raw in ipairs(redis.call('HVALS', KEYS[1])) do
  everyone = everyone + 1
  if cjson.decode(raw)['user'] == ARGV[3] then mine = mine + 1 end
end
if mine >= tonumber(ARGV[4]) then return 'user' end
if everyone >= tonumber(ARGV[5]) then return 'workspace' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[6] .. ' ' .. ARGV[1])
redis.call('SADD', KEYS[3], ARGV[6])
return ''
"""

_UPDATE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw or tonumber(cjson.decode(raw)['rev']) ~= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

_REMOVE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', ARGV[3] .. cjson.decode(raw)['part_key'], ARGV[2] .. ' ' .. ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return 1
"""


class RedisWatches:
    """Uses the store's connection and key prefix (set by `RedisStore`)."""

    r: redis.Redis
    prefix: str
    _k: Callable[..., str]

    def _watch_scripts(self) -> None:
        self._add_watch = self.r.register_script(_ADD)
        self._update_watch = self.r.register_script(_UPDATE)
        self._remove_watch = self.r.register_script(_REMOVE)

    def _hash(self, workspace: str) -> str:
        return workspace_prefix(self.prefix, workspace) + "watches"

    @typed("add watch")
    def add_watch(self, workspace: str, watch: dict[str, Any], user_limit: int, workspace_limit: int) -> str | None:
        keys = [self._hash(workspace), self._k("watchparts", watch["part_key"]), self._k("watchspaces")]
        args = [watch["id"], json.dumps(watch), watch["user"], user_limit, workspace_limit, workspace]
        refused = str(self._add_watch(keys=keys, args=args) or "")
        return refused or None

    @typed("watches")
    def watches(self, workspace: str) -> list[dict[str, Any]]:
        found = [json.loads(v) for v in self.r.hvals(self._hash(workspace))]
        return sorted(found, key=lambda w: (float(w.get("created_at") or 0), str(w["id"])))

    @typed("watched workspaces")
    def watched_workspaces(self) -> list[str]:
        return sorted(str(w) for w in self.r.smembers(self._k("watchspaces")))

    @typed("watches of part")
    def watches_of_part(self, part_key: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for member in sorted(self.r.smembers(self._k("watchparts", part_key))):
            workspace, _, watch_id = str(member).rpartition(" ")
            raw = self.r.hget(self._hash(workspace), watch_id)
            if raw is not None:  # a forgotten workspace leaves its index entries behind
                found.append((workspace, json.loads(raw)))
        return found

    @typed("update watch")
    def update_watch(self, workspace: str, watch: dict[str, Any], rev: int) -> bool:
        return bool(self._update_watch(keys=[self._hash(workspace)], args=[watch["id"], json.dumps(watch), rev]))

    @typed("remove watch")
    def remove_watch(self, workspace: str, watch_id: str) -> bool:
        keys = [self._hash(workspace), self._k("watchspaces")]
        return bool(self._remove_watch(keys=keys, args=[watch_id, workspace, self._k("watchparts", "")]))

"""Which servers a process serves when several processes share a bot's gateway shards.

Discord sends a server's events and interactions to shard `(guild_id >> 22) % shard_count`; a
process running some of the shards owns exactly those servers' state (trivia games, uploads waiting
for Confirm, staged rows) and never acts for the others.
"""
from __future__ import annotations

from dataclasses import dataclass


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a server's events to."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """SHARD_COUNT and SHARD_IDS as this process runs them; `ids` None: every shard."""

    count: int | None = None
    ids: tuple[int, ...] | None = None

    def owns(self, guild_id: int) -> bool:
        """Whether this process serves `guild_id` (always, when it runs every shard)."""
        if self.ids is None or self.count is None:
            return True
        return shard_of(guild_id, self.count) in self.ids

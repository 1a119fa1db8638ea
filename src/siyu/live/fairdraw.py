"""The fair draw, as published to fans: anyone can recompute a result from the pool, the seed
and these few lines.

At creation a fresh 32-byte seed is drawn and only ``sha256(seed)`` (hex) is shown. When the
draw runs the seed is revealed and winners are taken from the pool's customer ids sorted
ascending: for i = 0, 1, …, k−1 the index is ``int(sha256(seed ‖ i as 4-byte big-endian)
.hexdigest(), 16) mod (ids remaining)``; that id is removed and the next i follows.
"""

from __future__ import annotations

import hashlib
import secrets


def fresh_seed() -> bytes:
    return secrets.token_bytes(32)


def commitment_of(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def draw_winners(seed: bytes, pool: list[int], winners: int) -> list[int]:
    """Winners in draw order; fewer than ``winners`` when the pool is smaller."""
    remaining = sorted(set(pool))
    chosen: list[int] = []
    for i in range(min(winners, len(remaining))):
        digest = hashlib.sha256(seed + i.to_bytes(4, "big")).hexdigest()
        chosen.append(remaining.pop(int(digest, 16) % len(remaining)))
    return chosen

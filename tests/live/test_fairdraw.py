"""The fair draw against an independent recomputation of the published algorithm."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from siyu.live import fairdraw


def recompute(seed_hex: str, pool: list[int], k: int) -> list[int]:
    """Written from the issue's text alone, as a fan would."""
    seed = bytes.fromhex(seed_hex)
    ids = sorted(pool)
    out = []
    i = 0
    while i < k and ids:
        digest = hashlib.sha256(seed + i.to_bytes(4, byteorder="big")).hexdigest()
        out.append(ids.pop(int(digest, 16) % len(ids)))
        i += 1
    return out


def test_a_known_seed_gives_a_known_result() -> None:
    seed = bytes(range(32))
    pool = [42, 7, 19, 3, 88, 61]
    assert fairdraw.draw_winners(seed, pool, 3) == recompute(seed.hex(), pool, 3)
    assert fairdraw.commitment_of(seed) == hashlib.sha256(seed).hexdigest()


@given(
    seed=st.binary(min_size=32, max_size=32),
    pool=st.lists(st.integers(1, 10**12), unique=True, max_size=60),
    k=st.integers(1, 80),
)
def test_matches_the_recomputation_for_any_pool(seed: bytes, pool: list[int], k: int) -> None:
    winners = fairdraw.draw_winners(seed, pool, k)
    assert winners == recompute(seed.hex(), pool, k)
    assert len(winners) == min(k, len(pool)) and len(set(winners)) == len(winners)


def test_seeds_are_fresh() -> None:
    assert fairdraw.fresh_seed() != fairdraw.fresh_seed()

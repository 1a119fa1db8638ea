"""Weighted draws with the cumulative weights computed once, not on every draw."""

import bisect
import itertools
import random
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    def __init__(self, weighted_items: Iterable[tuple[T, float]]) -> None:
        pairs = list(weighted_items)
        self.items = tuple(item for item, _ in pairs)
        self.cum_weights = tuple(itertools.accumulate(weight for _, weight in pairs))
        self.total = self.cum_weights[-1]

    def draw(self, rng: random.Random) -> T:
        return self.items[bisect.bisect(self.cum_weights, rng.random() * self.total)]

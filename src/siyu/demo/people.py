"""Fictional fans: nickname, mobile, receiver name and address."""

import itertools
import random
from dataclasses import dataclass

from siyu.demo import wordlists as words

_PLACE_WEIGHTS = tuple(itertools.accumulate(place[4] for place in words.PLACES))


@dataclass(frozen=True, slots=True)
class Address:
    province: str
    city: str
    district: str
    region_code: str
    street: str  # 街道/镇
    detail: str  # road, number, estate, building and room
    full: str  # the single-cell form Taobao and Youzan write: parts separated by spaces


@dataclass(frozen=True, slots=True)
class Fan:
    number: int
    nickname: str
    mobile: str | None  # None: the buyer left only a landline (Taobao only)
    landline: str | None
    receiver: str
    address: Address

    def nick_on(self, platform: str) -> str:
        """Platform ids differ per platform for the same person; only the phone is shared."""
        if platform == "taobao":
            return self.nickname if self.number % 5 else f"tb{7_300_000_000 + self.number * 7919}"
        if platform == "youzan":
            # A separator never used in base nicks keeps the variants unique.
            return f"{self.nickname}·{self.number % 97}" if self.number % 3 == 0 else self.nickname
        return f"{self.nickname}_{self.number % 1000:03d}"


def make_fan(rng: random.Random, number: int, taken_nicks: set[str]) -> Fan:
    """`taken_nicks` keeps nicknames unique: a platform never gives two buyers one nick."""
    has_mobile = rng.random() < 0.97
    nickname = make_nickname(rng, number)
    while nickname in taken_nicks:
        nickname = f"{nickname}{number}"
    taken_nicks.add(nickname)
    return Fan(
        number=number,
        nickname=nickname,
        mobile=make_mobile(rng) if has_mobile else None,
        landline=None if has_mobile else make_landline(rng),
        receiver=make_person_name(rng),
        address=make_address(rng),
    )


def make_nickname(rng: random.Random, number: int) -> str:
    nick = rng.choice(words.NICK_SUBJECTS) + rng.choice(words.NICK_LINKS)
    nick += rng.choice(words.NICK_OBJECTS)
    tail = rng.random()
    if tail < 0.2:
        return f"{nick}_{rng.randint(2008, 2024)}"
    if tail < 0.35:
        return f"{nick}{number % 1000}"
    return nick


def make_mobile(rng: random.Random) -> str:
    return f"1{rng.randint(3, 9)}{rng.randrange(1_000_000_000):09d}"


def make_landline(rng: random.Random) -> str:
    return f"0{rng.randint(20, 29)}-{rng.randint(50_000_000, 89_999_999)}"


def make_person_name(rng: random.Random) -> str:
    given = rng.choice(words.GIVEN_NAME_CHARS)
    if rng.random() < 0.7:
        given += rng.choice(words.GIVEN_NAME_CHARS)
    return rng.choice(words.SURNAMES) + given


def make_address(rng: random.Random) -> Address:
    province, city, district, code, _ = rng.choices(words.PLACES, cum_weights=_PLACE_WEIGHTS)[0]
    street = rng.choice(words.STREET_WORDS) + rng.choice(words.STREET_KINDS)
    road = rng.choice(words.ROAD_WORDS) + rng.choice(words.ROAD_KINDS)
    estate = rng.choice(words.ESTATE_WORDS) + rng.choice(words.ESTATE_KINDS)
    building, floor, room = rng.randint(1, 30), rng.randint(1, 32), rng.randint(1, 4)
    detail = f"{road}{rng.randint(1, 999)}号{estate}{building}栋{floor}{room:02d}室"
    full = f"{province} {city} {district} {street} {detail}"
    return Address(province, city, district, code, street, detail, full)


def mask_phone(mobile: str) -> str:
    """The masked form platforms print when they hide the buyer's number: 138****1234."""
    return f"{mobile[:3]}****{mobile[-4:]}"

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from siyu.kit.crypto import decrypt_pii, encrypt_pii, mask_name, mask_phone, pii_hash


def test_round_trip_and_fresh_nonce() -> None:
    first = encrypt_pii("13812341234", context=b"phone")
    second = encrypt_pii("13812341234", context=b"phone")
    assert first != second
    assert b"13812341234" not in first
    assert decrypt_pii(first, context=b"phone") == "13812341234"


def test_ciphertext_is_bound_to_its_field() -> None:
    blob = encrypt_pii("上海市徐汇区", context=b"address")
    with pytest.raises(InvalidTag):
        decrypt_pii(blob, context=b"phone")


def test_tampering_is_detected() -> None:
    blob = bytearray(encrypt_pii("13812341234"))
    blob[-1] ^= 1
    with pytest.raises(InvalidTag):
        decrypt_pii(bytes(blob))


def test_lookup_hash_is_deterministic_and_keyed_by_kind() -> None:
    assert pii_hash("13812341234", kind="phone") == pii_hash("13812341234", kind="phone")
    assert pii_hash("13812341234", kind="phone") != pii_hash("13812341234", kind="name")
    assert "13812341234" not in pii_hash("13812341234", kind="phone")


def test_masking() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_name("张三丰") == "张**"
    assert mask_phone("123") == "***"

"""WXBizMsgCrypt: our implementation against OpenSSL-made vectors, both directions."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from siyu.connectors.wecom.crypto import CallbackCrypto, CallbackCryptoError, aes_key, parse_xml

VECTORS = json.loads((Path(__file__).parent / "data" / "openssl_vectors.json").read_text())
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["corp_id"])
def test_opens_messages_sealed_by_openssl(vector: dict[str, str]) -> None:
    crypto = CallbackCrypto(vector["token"], vector["encoding_aes_key"], vector["corp_id"])
    echo = crypto.verify_url(
        vector["msg_signature"], vector["timestamp"], vector["nonce"], vector["encrypted"]
    )
    assert echo == vector["message"]


def test_openssl_opens_what_we_seal() -> None:
    crypto = CallbackCrypto("t", KEY, "wwcorp")
    encrypted = base64.b64decode(crypto.encrypt("<xml>你好</xml>"))
    key = aes_key(KEY)
    done = subprocess.run(
        ["openssl", "enc", "-d", "-aes-256-cbc", "-nopad", "-K", key.hex(), "-iv", key[:16].hex()],
        input=encrypted,
        capture_output=True,
        check=True,
    )
    plain = done.stdout[: -done.stdout[-1]]  # PKCS#7 to 32 bytes
    length = int.from_bytes(plain[16:20], "big")
    assert plain[20 : 20 + length].decode() == "<xml>你好</xml>"
    assert plain[20 + length :] == b"wwcorp"


def test_round_trip_of_a_sealed_post() -> None:
    crypto = CallbackCrypto("tok", KEY, "wwcorp")
    signature, body = crypto.seal("<xml><Event>x</Event></xml>", "1700000000", "n1")
    assert crypto.open_post(signature, "1700000000", "n1", body) == "<xml><Event>x</Event></xml>"


def test_refusals() -> None:
    crypto = CallbackCrypto("tok", KEY, "wwcorp")
    signature, body = crypto.seal("<xml/>", "1", "n")
    with pytest.raises(CallbackCryptoError, match="signature"):
        crypto.open_post("0" * 40, "1", "n", body)
    other = CallbackCrypto("tok", KEY, "wwother")
    with pytest.raises(CallbackCryptoError, match="ReceiveId"):
        other.open_post(signature, "1", "n", body)
    with pytest.raises(CallbackCryptoError):
        crypto.decrypt("not base64!!")
    with pytest.raises(CallbackCryptoError):
        crypto.decrypt(base64.b64encode(b"x" * 32).decode())
    with pytest.raises(CallbackCryptoError):
        parse_xml(b"<xml><unclosed></xml>")
    with pytest.raises(CallbackCryptoError):
        aes_key("short")


def test_entities_are_not_expanded() -> None:
    doc = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><A>&e;</A></xml>'
    assert "root" not in parse_xml(doc).get("A", "")

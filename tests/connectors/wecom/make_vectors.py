"""Writes ``data/openssl_vectors.json``: WXBizMsgCrypt messages built with the OpenSSL command
line (``openssl enc -aes-256-cbc -nopad``) and ``hashlib`` — an implementation independent of
``siyu.connectors.wecom.crypto`` — for its tests to open. Run: ``python -m
tests.connectors.wecom.make_vectors``."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import subprocess
from pathlib import Path

OUT = Path(__file__).parent / "data" / "openssl_vectors.json"
CASES = (
    ("wwvectorcorp01", "<xml><Event><![CDATA[change_external_contact]]></Event></xml>"),
    ("wwvectorcorp02", "短消息"),
    (
        "ww" + "x" * 16,
        "<xml><ChangeType><![CDATA[del_follow_user]]></ChangeType>" + "字" * 200 + "</xml>",
    ),
    ("wwvectorcorp04", "a" * 12),  # padded by a full 32-byte block
)


def _openssl_encrypt(key: bytes, plain: bytes) -> bytes:
    pad = 32 - len(plain) % 32
    padded = plain + bytes([pad]) * pad
    done = subprocess.run(
        ["openssl", "enc", "-aes-256-cbc", "-nopad", "-K", key.hex(), "-iv", key[:16].hex()],
        input=padded,
        capture_output=True,
        check=True,
    )
    return done.stdout


def main() -> None:
    vectors = []
    for number, (corp_id, message) in enumerate(CASES):
        key = os.urandom(32)
        encoding_aes_key = base64.b64encode(key).decode().rstrip("=")
        body = message.encode()
        plain = os.urandom(16) + struct.pack(">I", len(body)) + body + corp_id.encode()
        encrypted = base64.b64encode(_openssl_encrypt(key, plain)).decode()
        token, timestamp, nonce = f"token{number}", str(1765000000 + number), f"nonce{number}"
        signed = "".join(sorted((token, timestamp, nonce, encrypted)))
        vectors.append(
            {
                "corp_id": corp_id,
                "encoding_aes_key": encoding_aes_key,
                "token": token,
                "timestamp": timestamp,
                "nonce": nonce,
                "encrypted": encrypted,
                "msg_signature": hashlib.sha1(signed.encode(), usedforsecurity=False).hexdigest(),
                "message": message,
            }
        )
    OUT.write_text(json.dumps(vectors, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()

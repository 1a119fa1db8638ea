"""WeCom callback intake: open a POSTed event (parse the envelope, check msg_signature,
AES-256-CBC decrypt, unpad, check ReceiveId, parse the event XML) against the engine under it,
bare ``cryptography`` AES-CBC decryption of the same ciphertexts, in the same run.

``SIYU_BENCH_WECOM_EVENTS`` events (default 20,000), each an ``add_external_contact`` of
realistic size. Aim: the whole intake within 10x of bare AES (the rest is SHA-1, base64 and
two small XML parses).
"""

from __future__ import annotations

import base64
import os
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from benchmarks.runner import Result, measure
from siyu.connectors.wecom.crypto import CallbackCrypto, aes_key, parse_xml
from siyu.connectors.wecom.fake import change_contact, event_xml

EVENTS = int(os.environ.get("SIYU_BENCH_WECOM_EVENTS", "20000"))
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CORP = "wwbenchcorp00001"


def run() -> Result:
    crypto = CallbackCrypto("benchtoken", KEY, CORP)
    timestamp = str(int(time.time()))
    posts = []
    for n in range(EVENTS):
        fields = change_contact(
            "add_external_contact",
            "lin",
            f"wm{n:08d}",
            State="sy0123abcd",
            WelcomeCode=f"code{n:012d}",
        )
        signature, body = crypto.seal(event_xml(CORP, fields), timestamp, f"n{n}")
        posts.append((signature, f"n{n}", body))
    ciphertexts = [base64.b64decode(parse_xml(body)["Encrypt"]) for _, _, body in posts]
    key = aes_key(KEY)

    def intake() -> None:
        for signature, nonce, body in posts:
            parse_xml(crypto.open_post(signature, timestamp, nonce, body))

    def bare_aes() -> None:
        for raw in ciphertexts:
            decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
            decryptor.update(raw)
            decryptor.finalize()

    intake()  # warm up
    result = Result("wecom_callback_intake", measure("open + verify + parse", EVENTS, intake))
    result.compare(measure("bare cryptography AES-256-CBC", EVENTS, bare_aes), aim="ratio >= 0.1")
    result.details = {"events": EVENTS, "body_bytes": len(posts[0][2])}
    for name, value in result.details.items():
        print(f"  {name}: {value}")
    return result

"""WeCom's callback crypto (the WXBizMsgCrypt scheme) on ``cryptography``.

* ``msg_signature`` = SHA1 over the sorted concatenation of token, timestamp, nonce and the
  encrypted message.
* The AES key is ``base64(EncodingAESKey + "=")`` (32 bytes); AES-256-CBC with the key's first
  16 bytes as IV; PKCS#7 padding to a 32-byte block (not AES's 16).
* Plaintext = 16 random bytes + 4-byte big-endian length + message + ReceiveId (the corp id).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

BLOCK = 32
RANDOM_PREFIX = 16
ENCODING_AES_KEY_LENGTH = 43


class CallbackCryptoError(ValueError):
    """A callback that is not WeCom's: bad signature, wrong ReceiveId or undecryptable."""


def aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != ENCODING_AES_KEY_LENGTH:
        raise CallbackCryptoError("EncodingAESKey must have 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise CallbackCryptoError("EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise CallbackCryptoError("EncodingAESKey does not decode to 32 bytes")
    return key


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    joined = "".join(sorted((token, timestamp, nonce, encrypted))).encode()
    return hashlib.sha1(joined, usedforsecurity=False).hexdigest()  # WeCom's protocol, not ours


def _pad(data: bytes) -> bytes:
    amount = BLOCK - len(data) % BLOCK
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    amount = data[-1] if data else 0
    if not 1 <= amount <= BLOCK or len(data) < amount:
        raise CallbackCryptoError("bad padding")
    return data[:-amount]


@dataclass(frozen=True)
class CallbackCrypto:
    token: str
    encoding_aes_key: str
    receive_id: str

    @property
    def _cipher(self) -> Cipher[modes.CBC]:
        key = aes_key(self.encoding_aes_key)
        return Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def encrypt(self, message: str, *, random_prefix: bytes | None = None) -> str:
        prefix = random_prefix if random_prefix is not None else os.urandom(RANDOM_PREFIX)
        body = message.encode()
        plain = prefix + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        encryptor = self._cipher.encryptor()
        return base64.b64encode(encryptor.update(_pad(plain)) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CallbackCryptoError("encrypted message is not base64") from exc
        if not raw or len(raw) % 16:
            raise CallbackCryptoError("encrypted message is not whole AES blocks")
        decryptor = self._cipher.decryptor()
        plain = _unpad(decryptor.update(raw) + decryptor.finalize())
        if len(plain) < RANDOM_PREFIX + 4:
            raise CallbackCryptoError("plaintext too short")
        (length,) = struct.unpack(">I", plain[RANDOM_PREFIX : RANDOM_PREFIX + 4])
        start = RANDOM_PREFIX + 4
        if start + length > len(plain):
            raise CallbackCryptoError("length field beyond the plaintext")
        message, receive_id = plain[start : start + length], plain[start + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode()):
            raise CallbackCryptoError("wrong ReceiveId")
        try:
            return message.decode()
        except UnicodeDecodeError as exc:
            raise CallbackCryptoError("message is not UTF-8") from exc

    def check_signature(
        self, msg_signature: str, timestamp: str, nonce: str, encrypted: str
    ) -> None:
        expected = signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, msg_signature.lower()):
            raise CallbackCryptoError("bad msg_signature")

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification: the decrypted echostr, once the signature holds."""
        self.check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def open_post(self, msg_signature: str, timestamp: str, nonce: str, body: bytes) -> str:
        """An event POST: the decrypted XML message."""
        encrypted = envelope_encrypt(body)
        self.check_signature(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def seal(self, message: str, timestamp: str, nonce: str) -> tuple[str, bytes]:
        """What WeCom sends: the signature and the XML envelope around the encrypted message."""
        encrypted = self.encrypt(message)
        body = (
            f"<xml><ToUserName><![CDATA[{self.receive_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
        return signature(self.token, timestamp, nonce, encrypted), body.encode()


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
MAX_BODY_BYTES = 64 * 1024


def parse_xml(text: bytes | str) -> dict[str, str]:
    """The children of an XML message's root as text (entities are not resolved)."""
    data = text.encode() if isinstance(text, str) else text
    if len(data) > MAX_BODY_BYTES:
        raise CallbackCryptoError("message too large")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise CallbackCryptoError("not XML") from exc
    return {
        child.tag: (child.text or "").strip() or ",".join((item.text or "") for item in child)
        for child in root
        if isinstance(child.tag, str)
    }


def envelope_encrypt(body: bytes) -> str:
    encrypted = parse_xml(body).get("Encrypt")
    if not encrypted:
        raise CallbackCryptoError("no Encrypt element")
    return encrypted

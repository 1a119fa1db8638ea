"""Personal data at rest: AES-GCM ciphertext plus a keyed hash (HMAC-SHA256) for exact lookup.

Both keys are derived from ``SIYU_PII_KEY`` with HKDF under distinct labels, so the lookup hash
can't be used to decrypt and a leaked database alone reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siyu.config import get_settings

_NONCE_BYTES = 12
_VERSION = b"\x01"


def _derive(label: bytes) -> bytes:
    material = get_settings().pii_key.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"siyu-pii", info=label).derive(material)


@lru_cache(maxsize=4)
def _keys(pii_key: str) -> tuple[AESGCM, bytes]:
    del pii_key  # part of the cache key only: a changed setting derives new keys
    return AESGCM(_derive(b"encrypt")), _derive(b"lookup")


def _current_keys() -> tuple[AESGCM, bytes]:
    return _keys(get_settings().pii_key)


def encrypt_pii(plaintext: str, *, context: bytes = b"") -> bytes:
    """Version byte + nonce + ciphertext; ``context`` binds it to a field (associated data)."""
    aead, _ = _current_keys()
    nonce = os.urandom(_NONCE_BYTES)
    return _VERSION + nonce + aead.encrypt(nonce, plaintext.encode(), context or None)


def decrypt_pii(blob: bytes, *, context: bytes = b"") -> str:
    aead, _ = _current_keys()
    if blob[:1] != _VERSION:
        raise ValueError("unknown PII ciphertext version")
    nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    return aead.decrypt(nonce, body, context or None).decode()


def pii_hash(value: str, *, kind: str) -> str:
    """Deterministic keyed hash for exact lookup (same phone → same hash in one installation)."""
    _, lookup_key = _current_keys()
    return hmac.new(lookup_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    """Unkeyed SHA-256 for high-entropy secrets (API tokens, session ids)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def mask_phone(phone: str) -> str:
    """138****1234."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """张** — keep the family name."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else name

"""The bypass secret, turned into what the function may hold, and the cookie it signs.

The function never holds the secret. It holds ``key`` = HMAC-SHA256(secret, a fixed label),
signs cookies with HMAC(key, "c:" + expiry) and checks a ``?token=`` by comparing
HMAC(key, "t:" + token) with a precomputed ``token_mac``. Reading the function code gives
neither the secret nor a way to find it; rotating the secret invalidates every cookie.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

KEY_LABEL = b"cffunc bypass key v1"
MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class BypassKeys:
    key: str
    """Hex HMAC key the function holds (used as the UTF-8 bytes of this text)."""
    token_mac: str
    """HMAC(key, "t:" + secret): what a correct ``?token=`` hashes to."""


def derive_keys(secret: str) -> BypassKeys:
    key = hmac.new(secret.encode(), KEY_LABEL, hashlib.sha256).hexdigest()
    return BypassKeys(key=key, token_mac=mac(key, "t:" + secret))


def mac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def cookie_value(keys: BypassKeys, expires_at: int) -> str:
    """The cookie value the function sets: expiry (Unix seconds), a dot, its HMAC."""
    return f"{expires_at}.{mac(keys.key, f'c:{expires_at}')}"


def token_matches(keys: BypassKeys, token: str) -> bool:
    return hmac.compare_digest(mac(keys.key, "t:" + token).encode(), keys.token_mac.encode())


def cookie_valid(keys: BypassKeys, value: str, now_ms: int) -> bool:
    """True for a cookie this key signed whose expiry is still ahead of ``now_ms``."""
    expiry, dot, signature = value.partition(".")
    if not dot or not expiry.isascii() or not expiry.isdigit() or len(expiry) > 12:
        return False
    if int(expiry) * 1000 <= now_ms:
        return False
    # compare_digest refuses non-ASCII text; a cookie may hold anything.
    return hmac.compare_digest(mac(keys.key, "c:" + expiry).encode(), signature.encode())

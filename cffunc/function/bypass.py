"""The bypass secret, turned into what the function may hold, and the cookie it signs.

The function never holds the secret. It holds ``key`` = HMAC-SHA256(secret, a fixed label),
signs cookies with HMAC(key, "c:" + expiry) and checks a ``?token=`` by comparing
HMAC(key, "t:" + token) with a precomputed ``token_mac``. Reading the function code gives
neither the secret nor a way to find it. But ``key`` signs cookies: whoever reads the
function code (or may call ``cloudfront:GetFunction``) can mint one, so the function also
refuses a cookie whose expiry is more than ``bypass_ttl`` ahead (a minted cookie lasts no
longer than an issued one), and ``bypass_generation`` (or a new secret) changes the key,
invalidating every cookie issued before.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

KEY_LABEL = b"cffunc bypass key v1"
MIN_SECRET_LENGTH = 16
CLOCK_SKEW_SECONDS = 60
"""How far an edge's clock may run behind the one that set the cookie."""


@dataclass(frozen=True)
class BypassKeys:
    key: str
    """Hex HMAC key the function holds (used as the UTF-8 bytes of this text)."""
    token_mac: str
    """HMAC(key, "t:" + secret): what a correct ``?token=`` hashes to."""


def derive_keys(secret: str, generation: int = 1) -> BypassKeys:
    """Generation 1 is the original label, so cookies issued before generations existed
    stay valid until someone rotates."""
    label = KEY_LABEL if generation == 1 else KEY_LABEL + f" generation {generation}".encode()
    key = hmac.new(secret.encode(), label, hashlib.sha256).hexdigest()
    return BypassKeys(key=key, token_mac=mac(key, "t:" + secret))


def mac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def cookie_value(keys: BypassKeys, expires_at: int) -> str:
    """The cookie value the function sets: expiry (Unix seconds), a dot, its HMAC."""
    return f"{expires_at}.{mac(keys.key, f'c:{expires_at}')}"


def token_matches(keys: BypassKeys, token: str) -> bool:
    return hmac.compare_digest(mac(keys.key, "t:" + token).encode(), keys.token_mac.encode())


def cookie_valid(keys: BypassKeys, value: str, now_ms: int, ttl: int) -> bool:
    """True for a cookie this key signed whose expiry is still ahead of ``now_ms`` and no
    more than ``ttl`` seconds (plus a minute of clock skew) away."""
    expiry, dot, signature = value.partition(".")
    if not dot or not expiry.isascii() or not expiry.isdigit() or len(expiry) > 12:
        return False
    if not now_ms < int(expiry) * 1000 <= now_ms + (ttl + CLOCK_SKEW_SECONDS) * 1000:
        return False
    # compare_digest refuses non-ASCII text; a cookie may hold anything.
    return hmac.compare_digest(mac(keys.key, "c:" + expiry).encode(), signature.encode())

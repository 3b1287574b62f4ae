"""The pseudonymization key: loading, per-period derivation and key ids.

The master key comes from an environment variable or a key file named in the config, never from
the config itself. It is at least 32 bytes, written as hex (64+ hex digits) or as
`base64:<urlsafe base64>`. A per-period key is derived from it with HMAC-SHA-256 (HKDF-expand
with one block), so tokens of the same patron differ between fiscal years and cannot be linked
across releases. Only key ids (a short HMAC of a fixed label) are ever written anywhere.

Nothing in this module puts key bytes into an exception message or a repr.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from libstats.errors import KeyMaterialError

MIN_KEY_BYTES = 32
_BLOCK = 64  # SHA-256 block size, RFC 2104


@dataclass(frozen=True)
class PeriodKey:
    """A key derived for one period, with the HMAC pads precomputed for SQL.

    `repr()` shows the key id only.
    """

    period: str
    key_id: str
    ipad: bytes = field(repr=False)
    opad: bytes = field(repr=False)


def generate_key() -> str:
    """A new random 32-byte key, hex-encoded (what `libstats keygen` prints)."""
    return secrets.token_hex(MIN_KEY_BYTES)


def parse_key(text: str, origin: str) -> bytes:
    """Decode key text; `origin` names where it came from, for error messages."""
    text = text.strip()
    try:
        if text.startswith("base64:"):
            raw = base64.urlsafe_b64decode(text[7:] + "=" * (-len(text[7:]) % 4))
        else:
            raw = binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        raise KeyMaterialError(
            f"the key in {origin} is not hex or 'base64:...' text; create one with "
            "`libstats keygen`") from None
    if len(raw) < MIN_KEY_BYTES:
        raise KeyMaterialError(
            f"the key in {origin} is {len(raw)} bytes; at least {MIN_KEY_BYTES} are required "
            "(create one with `libstats keygen`)")
    return raw


def load_master_key(env: str | None, file: Path | None) -> bytes:
    """Read the master key from the environment variable or key file the config names."""
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise KeyMaterialError(
                f"environment variable {env} is not set or empty; export a key created with "
                "`libstats keygen` before running")
        return parse_key(value, f"environment variable {env}")
    assert file is not None
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        raise KeyMaterialError(f"key file {file} does not exist") from None
    if mode & 0o077:
        raise KeyMaterialError(
            f"key file {file} can be read by other users; restrict it (chmod 600) so that only "
            "the account running libstats can read it")
    try:
        text = file.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyMaterialError(f"key file {file} does not exist") from None
    except (OSError, UnicodeDecodeError):
        raise KeyMaterialError(f"key file {file} cannot be read as ASCII text") from None
    return parse_key(text, f"key file {file}")


def derive_period_key(master: bytes, period: str) -> PeriodKey:
    """Derive the key for `period` (e.g. "FY2025") and precompute its HMAC pads.

    >>> k1 = derive_period_key(bytes(32), "FY2025"); k2 = derive_period_key(bytes(32), "FY2026")
    >>> k1.key_id != k2.key_id and k1.key_id.startswith("kid-")
    True
    """
    derived = hmac.new(master, b"libstats/v1/period/" + period.encode() + b"\x01",
                       hashlib.sha256).digest()
    key_id = "kid-" + hmac.new(derived, b"libstats/v1/key-id", hashlib.sha256).hexdigest()[:16]
    padded = derived.ljust(_BLOCK, b"\0")
    return PeriodKey(period=period, key_id=key_id,
                     ipad=bytes(b ^ 0x36 for b in padded),
                     opad=bytes(b ^ 0x5C for b in padded))


def derive_subkey(key: PeriodKey, label: str) -> PeriodKey:
    """A key derived from a period's key for a narrower scope, e.g. one day of Wi-Fi device
    tokens (``label`` "wifi-day/2025-01-06"): HMAC(period key, label), computed from the pads.

    >>> k = derive_period_key(bytes(32), "FY2025")
    >>> a, b = derive_subkey(k, "wifi-day/2025-01-06"), derive_subkey(k, "wifi-day/2025-01-07")
    >>> a.ipad != b.ipad and a.key_id != k.key_id
    True
    """
    inner = hashlib.sha256(key.ipad + b"libstats/v1/sub/" + label.encode()).digest()
    derived = hashlib.sha256(key.opad + inner).digest()
    key_id = "kid-" + hmac.new(derived, b"libstats/v1/key-id", hashlib.sha256).hexdigest()[:16]
    padded = derived.ljust(_BLOCK, b"\0")
    return PeriodKey(period=f"{key.period}/{label}", key_id=key_id,
                     ipad=bytes(b ^ 0x36 for b in padded),
                     opad=bytes(b ^ 0x5C for b in padded))


def token_python(key: PeriodKey, domain: str, value: str) -> bytes:
    """Reference implementation of the SQL token (used by tests, never in the hot path)."""
    message = domain.encode() + b"\x1f" + value.encode()
    inner = hashlib.sha256(key.ipad + message).digest()
    return hashlib.sha256(key.opad + inner).digest()

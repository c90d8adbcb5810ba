"""The keys Beacon signs and verifies its own access tokens with (Ed25519).

Configured: ``BEACON_AUTH_SIGNING_KEY`` (a private key PEM, needed only by the issuer,
campaigns) and ``BEACON_AUTH_PUBLIC_KEYS`` (one or more public key PEMs; during a rotation
list the old and the new one). Any service given only the private key derives its public key.

Development and tests, when neither is set: one keypair is created once in a file shared by
every process on the box (``.run/auth/dev-ed25519.pem`` under the repository, or
``BEACON_AUTH_DEV_KEY_FILE``), so tokens one process signs verify in all the others.
Production (``BEACON_ENV=production``) refuses to start without configured keys.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.settings import ConfigurationError, ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEV_KEY_FILE = ROOT / ".run" / "auth" / "dev-ed25519.pem"
# A PEM block, tolerating what environment files do to newlines (one line, or literal \n).
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----(.+?)-----END \1-----", re.S)


__all__ = ["ConfigurationError", "SigningKeys", "load_signing_keys"]


@dataclass(frozen=True)
class SigningKeys:
    private: Ed25519PrivateKey | None  # None: this process verifies only
    public: tuple[Ed25519PublicKey, ...]


def is_production(settings: ServiceSettings) -> bool:
    return settings.production


def load_signing_keys(settings: ServiceSettings) -> SigningKeys:
    private = _private(settings.auth_signing_key) if settings.auth_signing_key else None
    public = [
        serialization.load_pem_public_key(pem) for pem in pem_blocks(settings.auth_public_keys)
    ]
    if private is None and not public:
        if is_production(settings):
            raise ConfigurationError(
                "BEACON_ENV=production needs BEACON_AUTH_SIGNING_KEY (campaigns) or "
                "BEACON_AUTH_PUBLIC_KEYS (every other service); see docs/security.md"
            )
        private = dev_private_key(settings)
    if private is not None and not public:
        public = [private.public_key()]
    if not all(isinstance(key, Ed25519PublicKey) for key in public):
        raise ConfigurationError("BEACON_AUTH_PUBLIC_KEYS must hold Ed25519 public keys")
    return SigningKeys(private, tuple(public))  # type: ignore[arg-type]


def pem_blocks(text: str) -> list[bytes]:
    """Every PEM block in ``text``, rebuilt with proper line breaks."""
    blocks = []
    for label, body in _PEM_BLOCK.findall(text.replace("\\n", "\n")):
        data = "".join(body.split())
        lines = [data[i : i + 64] for i in range(0, len(data), 64)]
        blocks.append(
            f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"
        )
    return [block.encode() for block in blocks]


def _private(pem: str) -> Ed25519PrivateKey:
    blocks = pem_blocks(pem)
    if len(blocks) != 1:
        raise ConfigurationError("BEACON_AUTH_SIGNING_KEY must hold one PEM private key")
    key = serialization.load_pem_private_key(blocks[0], password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("BEACON_AUTH_SIGNING_KEY must be an Ed25519 private key")
    return key


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def dev_private_key(settings: ServiceSettings) -> Ed25519PrivateKey:
    """The box's dev keypair, created by whichever process needs it first.

    The new key is written to a private temporary file and hard-linked into place: the link
    fails if another process won the race, and then its key is the one everybody reads.
    """
    path = Path(settings.auth_dev_key_file) if settings.auth_dev_key_file else DEFAULT_DEV_KEY_FILE
    if not path.exists():
        try:
            _create(path)
        except OSError as error:  # a read-only image, say: keys must come from settings
            raise ConfigurationError(
                f"no BEACON_AUTH_SIGNING_KEY/BEACON_AUTH_PUBLIC_KEYS set and the dev keypair "
                f"file {path} cannot be created ({error.strerror})"
            ) from None
    return _private(path.read_text())


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(private_pem(Ed25519PrivateKey.generate()))
    try:
        os.link(scratch, path)
    except FileExistsError:
        pass  # another process won the race: its key is the one everybody reads
    finally:
        scratch.unlink()

"""Every configuration variable of Mrasla, its default and its meaning, in one place.

Settings are read from the environment once per process (``get_settings()`` is cached) so that
tests can point a fresh process at a temporary data directory simply by setting variables.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

TIMEZONE = "Africa/Casablanca"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default).strip() or default


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. See README "Configuration" for the user-facing table."""

    data_dir: Path
    database_url: str
    public_url: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_from: str
    smtp_starttls: bool
    max_upload_mb: int
    max_files: int
    max_pages: int
    session_days: int
    cookie_secure: bool
    totp_roles: frozenset[str] = frozenset({"admin", "platform_admin"})
    logins_per_minute: int = 20
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def outbox_dir(self) -> Path:
        """Where e-mails are written as .eml files when no SMTP server is configured."""
        return self.data_dir / "outbox"

    @property
    def blobs_dir(self) -> Path:
        """Private content-addressed document storage (never served by Reflex's /_upload)."""
        return self.data_dir / "blobs"

    @property
    def pki_dir(self) -> Path:
        """Platform PKI material: certificates in clear, private keys sealed under the master key."""
        return self.data_dir / "pki"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def master_key(self) -> bytes:
        """The 32-byte master key: ``MRASLA_MASTER_KEY`` (base64) or ``<data>/master.key``.

        Generated on first use with mode 0600 when absent; it is never committed and must be
        backed up with the data directory (it encrypts every private key at rest).
        """
        raw = os.environ.get("MRASLA_MASTER_KEY", "").strip()
        if raw:
            key = base64.b64decode(raw)
        else:
            path = self.data_dir / "master.key"
            if not path.exists():
                self.data_dir.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(base64.b64encode(secrets.token_bytes(32)))
            key = base64.b64decode(path.read_bytes().strip())
        if len(key) != 32:
            raise ValueError("MRASLA_MASTER_KEY must be 32 bytes, base64-encoded")
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the environment once; call ``get_settings.cache_clear()`` after changing it."""
    data_dir = Path(_env("MRASLA_DATA_DIR", "data")).resolve()
    return Settings(
        data_dir=data_dir,
        database_url=_env("MRASLA_DATABASE_URL", f"sqlite:///{data_dir / 'mrasla.db'}"),
        public_url=_env("MRASLA_PUBLIC_URL", "http://localhost:3000").rstrip("/"),
        smtp_host=_env("MRASLA_SMTP_HOST", ""),
        smtp_port=int(_env("MRASLA_SMTP_PORT", "587")),
        smtp_user=_env("MRASLA_SMTP_USER", ""),
        smtp_password=_env("MRASLA_SMTP_PASSWORD", ""),
        smtp_from=_env("MRASLA_SMTP_FROM", "no-reply@mrasla.local"),
        smtp_starttls=_env("MRASLA_SMTP_STARTTLS", "1") == "1",
        max_upload_mb=int(_env("MRASLA_MAX_UPLOAD_MB", "20")),
        max_files=int(_env("MRASLA_MAX_FILES", "10")),
        max_pages=int(_env("MRASLA_MAX_PAGES", "200")),
        session_days=int(_env("MRASLA_SESSION_DAYS", "7")),
        cookie_secure=_env("MRASLA_COOKIE_SECURE", "0") == "1",
        totp_roles=frozenset(r.strip() for r in _env("MRASLA_TOTP_ROLES", "admin,platform_admin").split(",")
                             if r.strip() and r.strip() != "none"),
        logins_per_minute=int(_env("MRASLA_LOGINS_PER_MINUTE", "20")),
    )

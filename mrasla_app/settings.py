"""Every configuration variable of Mrasla, its default and its meaning, in one place.

Settings are read from the environment once per process (``get_settings()`` is cached) so that
tests can point a fresh process at a temporary data directory simply by setting variables.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

TIMEZONE = "Africa/Casablanca"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_PORTS = {"http": 80, "https": 443}


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
    convert_seconds: int  # an Office document's conversion to PDF: wall-clock and CPU bound
    convert_memory_mb: int  # … and address-space bound of the LibreOffice process
    session_days: int
    cookie_secure: bool
    totp_roles: frozenset[str] = frozenset({"admin", "platform_admin"})
    logins_per_minute: int = 20
    sms_url: str = ""  # HTTP endpoint of the SMS provider; empty = write .sms files into the outbox
    sms_token: str = ""
    sms_sender: str = "Mrasla"
    extra_origins: tuple[str, ...] = ()
    uploads_per_minute: int = 30
    spool_max_mb: int = 1024
    allow_demo_on_public: bool = False
    webhook_allow_private: bool = False  # webhooks to private/loopback addresses (tests, on-premises receivers)
    tessdata_dir: str = "/usr/share/tesseract-ocr/5/tessdata"  # Tesseract models (Debian tesseract-ocr-ara, -fra)
    ocr_max_pages: int = 50  # pages read (text layer or OCR) per document
    imap_cafile: str = ""  # CA bundle trusted for mailboxes' TLS (empty: the system's)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_https(self) -> bool:
        return self.public_url.lower().startswith("https://")

    @property
    def public_origin(self) -> str:
        """The public URL's origin as a browser writes it in ``Origin`` (no default port, no path)."""
        return origin_of(self.public_url)

    @property
    def is_loopback(self) -> bool:
        """The public URL names this machine only (a development or demonstration instance)."""
        host = urlsplit(self.public_url).hostname or ""
        return f"[{host}]" in LOOPBACK_HOSTS or host in LOOPBACK_HOSTS or host.startswith("127.")

    @property
    def allowed_origins(self) -> frozenset[str]:
        """The origins whose pages may use a signed-in session (websocket, API, uploads): the public
        URL's; on a loopback public URL also the other loopback names of the same port (a developer
        opens localhost or 127.0.0.1 alike); plus ``MRASLA_ALLOWED_ORIGINS``. Nothing else, not even
        another port of the same host: a page there is another site for the browser's same-origin
        policy but not for SameSite cookies."""
        origins = {self.public_origin, *self.extra_origins}
        if self.is_loopback:
            parts = urlsplit(self.public_url)
            port = f":{parts.port}" if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme) else ""
            origins |= {f"{parts.scheme}://{host}{port}" for host in LOOPBACK_HOSTS}
        return frozenset(origins)

    @property
    def spool_dir(self) -> Path:
        """Private spool of files uploaded to a wizard but not yet submitted (``services/platform/spool.py``)."""
        return self.data_dir / "spool"

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

    @property
    def master_key_path(self) -> Path:
        return self.data_dir / "master.key"

    @property
    def retiring_master_key_path(self) -> Path:
        """The previous master key while a rotation re-seals (``mrasla rotate-master-key``)."""
        return self.data_dir / "master.key.old"

    @staticmethod
    def master_key_in_env() -> bool:
        return bool(os.environ.get("MRASLA_MASTER_KEY", "").strip())

    def master_key(self) -> bytes:
        """The 32-byte master key: ``MRASLA_MASTER_KEY`` (base64) or ``<data>/master.key``.

        Generated on first use with mode 0600 when absent; it is never committed and must be
        backed up with the data directory (it encrypts every private key at rest). Read at each
        use, so a rotation takes effect in running processes at once.
        """
        if self.master_key_in_env():
            return decode_key(os.environ["MRASLA_MASTER_KEY"].encode())
        path = self.master_key_path
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                create_key_file(path)
            except FileExistsError:  # another process created it first
                pass
        return decode_key(path.read_bytes())

    def master_keys(self) -> tuple[bytes, ...]:
        """What unsealing tries, in order: the master key, then the one an unfinished rotation is
        retiring (some secrets may still be sealed under it)."""
        keys: tuple[bytes, ...] = (self.master_key(),)
        if not self.master_key_in_env():
            try:
                keys += (decode_key(self.retiring_master_key_path.read_bytes()),)
            except FileNotFoundError:  # no rotation under way (the usual case)
                pass
        return keys


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-case, without a default port (the ``Origin`` form)."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port and parts.port != DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{port}"


def decode_key(raw: bytes) -> bytes:
    """A master key as stored (base64 of 32 bytes) → its bytes."""
    key = base64.b64decode(raw.strip(), validate=True)
    if len(key) != 32:
        raise ValueError("a master key must be 32 bytes, base64-encoded")
    return key


def create_key_file(path: Path) -> bytes:
    """Write a new random master key to ``path`` (mode 0600, fsynced); ``FileExistsError`` if there
    is one already. The file appears complete or not at all (hard link of a finished temp file)."""
    key = secrets.token_bytes(32)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.b64encode(key))
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the environment once; call ``get_settings.cache_clear()`` after changing it."""
    data_dir = Path(_env("MRASLA_DATA_DIR", "data")).resolve()
    public_url = _env("MRASLA_PUBLIC_URL", "http://localhost:3000").rstrip("/")
    return Settings(
        data_dir=data_dir,
        database_url=_env("MRASLA_DATABASE_URL", f"sqlite:///{data_dir / 'mrasla.db'}"),
        public_url=public_url,
        smtp_host=_env("MRASLA_SMTP_HOST", ""),
        smtp_port=int(_env("MRASLA_SMTP_PORT", "587")),
        smtp_user=_env("MRASLA_SMTP_USER", ""),
        smtp_password=_env("MRASLA_SMTP_PASSWORD", ""),
        smtp_from=_env("MRASLA_SMTP_FROM", "no-reply@mrasla.local"),
        smtp_starttls=_env("MRASLA_SMTP_STARTTLS", "1") == "1",
        max_upload_mb=int(_env("MRASLA_MAX_UPLOAD_MB", "20")),
        max_files=int(_env("MRASLA_MAX_FILES", "10")),
        max_pages=int(_env("MRASLA_MAX_PAGES", "200")),
        convert_seconds=int(_env("MRASLA_CONVERT_SECONDS", "60")),
        convert_memory_mb=int(_env("MRASLA_CONVERT_MEMORY_MB", "2048")),
        session_days=int(_env("MRASLA_SESSION_DAYS", "7")),
        # Secure by default behind an HTTPS public URL (the browser then never sends it in clear).
        cookie_secure=_env("MRASLA_COOKIE_SECURE", "1" if public_url.lower().startswith("https://") else "0") == "1",
        totp_roles=frozenset(
            r.strip()
            for r in _env("MRASLA_TOTP_ROLES", "admin,platform_admin").split(",")
            if r.strip() and r.strip() != "none"
        ),
        logins_per_minute=int(_env("MRASLA_LOGINS_PER_MINUTE", "20")),
        sms_url=_env("MRASLA_SMS_URL", ""),
        sms_token=_env("MRASLA_SMS_TOKEN", ""),
        sms_sender=_env("MRASLA_SMS_SENDER", "Mrasla"),
        extra_origins=tuple(origin_of(o) for o in _env("MRASLA_ALLOWED_ORIGINS", "").split(",") if o.strip()),
        uploads_per_minute=int(_env("MRASLA_UPLOADS_PER_MINUTE", "30")),
        spool_max_mb=int(_env("MRASLA_SPOOL_MAX_MB", "1024")),
        allow_demo_on_public=_env("MRASLA_ALLOW_DEMO_ON_PUBLIC", "0") == "1",
        webhook_allow_private=_env("MRASLA_WEBHOOK_ALLOW_PRIVATE", "0") == "1",
        tessdata_dir=_env("MRASLA_TESSDATA", "/usr/share/tesseract-ocr/5/tessdata"),
        ocr_max_pages=int(_env("MRASLA_OCR_MAX_PAGES", "50")),
        imap_cafile=_env("MRASLA_IMAP_CAFILE", ""),
    )

"""Route constants and URL builders for the web UI (one place, so links and tests agree)."""

from __future__ import annotations

from urllib.parse import quote

HOME = "/"
LOGIN = "/login"
ACCOUNT = "/account"
DEPOSIT = "/deposit"  # citizen portal (built by a later issue)
VERIFY = "/verify"
TRACK = "/track"
REGISTRY = "/registry"
INBOX = "/inbox"
PARAPHEUR = "/parapheur"
ADMIN = "/admin"
ADMIN_ADMINISTRATIONS = "/admin/administrations"
ADMIN_UNITS = "/admin/units"
ADMIN_USERS = "/admin/users"
ADMIN_DELEGATIONS = "/admin/delegations"

API_SESSION = "/api/v1/auth/session"
API_LOGOUT = "/api/v1/auth/logout"


def login_url(next_path: str = "") -> str:
    """``/login?next=…`` (only same-site paths are kept)."""
    nxt = safe_next(next_path)
    return f"{LOGIN}?next={quote(nxt, safe='/')}" if nxt and nxt != HOME else LOGIN


def safe_next(value: str | None) -> str:
    """A local path to go to after login, or "" (refuses absolute and scheme-relative URLs)."""
    value = (value or "").strip()
    if not value.startswith("/") or value.startswith("//") or "\\" in value or any(c in value for c in "\r\n\t"):
        return ""
    if value.startswith(LOGIN):
        return ""
    return value

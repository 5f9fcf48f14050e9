"""Route constants and URL builders for the web UI (one place, so links and tests agree)."""

from __future__ import annotations

from urllib.parse import quote

HOME = "/"
LOGIN = "/login"
ACCOUNT = "/account"
DEPOSIT = "/deposit"  # citizen portal
DEPOSIT_DONE = "/deposit/done"
VERIFY = "/verify"
VERIFY_RECEIPT = "/verify/[reference]"  # the receipt's QR code: /verify/<reference>?t=<verify token>
TRACK = "/track"
TRACK_LINK = "/track/[reference]"  # the depositor's private link: /track/<reference>?k=<access token>
REGISTRY = "/registry"
INBOX = "/inbox"
MAIL = "/mail"  # staff detail page of one correspondence: /mail/<id>
MAIL_DETAIL = "/mail/[mail_id]"
PARAPHEUR = "/parapheur"
ADMIN = "/admin"
ADMIN_ADMINISTRATIONS = "/admin/administrations"
ADMIN_UNITS = "/admin/units"
ADMIN_USERS = "/admin/users"
ADMIN_DELEGATIONS = "/admin/delegations"

API_SESSION = "/api/v1/auth/session"
API_LOGOUT = "/api/v1/auth/logout"
ROOT_CERTIFICATE = "/pki/root.crt"


def receipt_path(reference: str, access_token: str) -> str:
    """The sealed receipt, served by the REST API to whoever holds the deposit's access token."""
    return f"/api/v1/deposits/{reference}/receipt.pdf?k={access_token}"


def tracking_path(reference: str, access_token: str) -> str:
    return f"{TRACK}/{reference}?k={access_token}"


def mail_url(correspondence_id: int | str) -> str:
    return f"{MAIL}/{correspondence_id}"


def document_url(document_id: int | str, *, inline: bool = False, pdf: bool = False) -> str:
    """A document served to staff by the authorised API route (session cookie, scoped)."""
    query = "&".join(q for q, on in (("inline=1", inline), ("pdf=1", pdf)) if on)
    return f"/api/v1/documents/{document_id}" + (f"?{query}" if query else "")


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

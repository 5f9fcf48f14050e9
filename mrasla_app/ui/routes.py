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
PARAPHEUR_FOLDER = "/parapheur/[folder_id]"  # one folder of the signature book: /parapheur/<id>
PARAPHEUR_BATCH = "/parapheur/batch"  # batch signatures (?d=sign) and visas (?d=visa), one PIN
ADMIN = "/admin"
ADMIN_ADMINISTRATIONS = "/admin/administrations"
ADMIN_UNITS = "/admin/units"
ADMIN_USERS = "/admin/users"
ADMIN_DELEGATIONS = "/admin/delegations"
ADMIN_CIRCUITS = "/admin/circuits"
ADMIN_HOLIDAYS = "/admin/holidays"
ADMIN_WEBHOOKS = "/admin/webhooks"
ADMIN_SIGNIN = "/admin/signin"  # the administration's identity providers (LDAP / AD, OpenID Connect)
ADMIN_FILE_PLAN = "/admin/file-plan"  # file plan, document types (retention rules), tags, custom fields
RECORDS = "/records"  # the archivists' page: retention ends, transfers, destructions
ADMIN_MAILBOXES = "/admin/mailboxes"  # e-mail intake mailboxes
REGISTRY_CONTACTS = "/registry/contacts"  # the contacts directory (registry staff)
REGISTRY_NEW = "/registry/new"  # registering paper / e-mail / outgoing / internal mail
REGISTRY_EXPORT = "/registry/export"  # the registers as CSV / PDF
REGISTRY_BATCHES = "/registry/batches"  # batch scanning: separator sheets, stacks, confirmation
DASHBOARD = "/dashboard"

API_SESSION = "/api/v1/auth/session"
API_LOGOUT = "/api/v1/auth/logout"
OIDC_PREFIX = "/api/v1/auth/oidc"
OIDC_CALLBACK = f"{OIDC_PREFIX}/callback"
ROOT_CERTIFICATE = "/pki/root.crt"


def receipt_path(reference: str, access_token: str) -> str:
    """The sealed receipt, served by the REST API to whoever holds the deposit's access token."""
    return f"/api/v1/deposits/{reference}/receipt.pdf?k={access_token}"


def tracking_path(reference: str, access_token: str) -> str:
    return f"{TRACK}/{reference}?k={access_token}"


def answer_path(reference: str, document_id: int, ticket: str) -> str:
    """A signed answer's PDF for its depositor: the API route, opened by a tracking page's ticket."""
    return f"/api/v1/deposits/{reference}/answers/{document_id}?d={ticket}"


def signed_verify_path(folder_reference: str, ticket: str) -> str:
    """The verification page of a signed document, opened from the depositor's tracking page."""
    return f"{VERIFY}/{folder_reference}?d={ticket}"


def register_export_path(direction: str, ext: str) -> str:
    """A register download (``ext`` csv or pdf), served by the authorised API route."""
    return f"/api/v1/registers/{direction}.{ext}"


def mail_url(correspondence_id: int | str) -> str:
    return f"{MAIL}/{correspondence_id}"


def document_url(document_id: int | str, *, inline: bool = False, pdf: bool = False) -> str:
    """A document served to staff by the authorised API route (session cookie, scoped)."""
    query = "&".join(q for q, on in (("inline=1", inline), ("pdf=1", pdf)) if on)
    return f"/api/v1/documents/{document_id}" + (f"?{query}" if query else "")


def delivery_evidence_url(correspondence_id: int | str) -> str:
    """The sealed evidence of sending, delivery and retrieval of a sent letter (authorised API route)."""
    return f"/api/v1/correspondence/{correspondence_id}/delivery-evidence"


def folder_url(folder_id: int | str) -> str:
    return f"{PARAPHEUR}/{folder_id}"


def batch_url(kind: str) -> str:
    """The batch page for ``sign`` (signatures and seals) or ``visa``."""
    return f"{PARAPHEUR_BATCH}?d={kind}"


def folder_file_url(folder_id: int | str, what: str = "document.pdf", *, inline: bool = False) -> str:
    """Files of a folder served by the authorised API: ``document.pdf``, ``bordereau.pdf``, ``documents/<id>``."""
    return f"/api/v1/folders/{folder_id}/{what}" + ("?inline=1" if inline else "")


def oidc_start_url(provider_id: int | str, next_path: str = "") -> str:
    """Where the login page's OpenID Connect button leads (the API redirects to the provider)."""
    nxt = safe_next(next_path)
    return f"{OIDC_PREFIX}/{provider_id}/start" + (f"?next={quote(nxt, safe='/')}" if nxt else "")


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

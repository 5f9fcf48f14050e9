"""The declared access policy of every Reflex event handler and every REST route.

``tests/authz/test_matrix.py`` lists handlers and routes from the code itself and fails when one is
missing here (or listed here but gone): adding an entry point means deciding, in review, who may
call it. The policy also tells the matrix what a refusal must look like:

- ``PUBLIC``: anyone, reads only — nothing may change;
- ``PUBLIC_WRITE``: anyone, and it may create the caller's own records (a deposit, a login attempt,
  a one-time tracking code) — other people's records must not change;
- ``TOKEN``: anyone holding the deposit's access token or the QR token — a wrong token gets nothing;
- ``SELF``: a signed-in user about their own account (password, TOTP, signing key, session);
- ``STAFF``: signed-in staff on what their scope lets them see or do — nothing outside it;
- ``CREATE``: signed-in staff creating new records in their own administration (registering mail,
  opening a folder);
- ``ADMIN``: administrators of the administration concerned (or the platform administrator).
"""

from __future__ import annotations

from enum import Enum


class Policy(str, Enum):
    PUBLIC = "public"
    PUBLIC_WRITE = "public-write"
    TOKEN = "token"
    SELF = "self"
    STAFF = "staff"
    CREATE = "create"
    ADMIN = "admin"


P = Policy

# Handlers every State has, declared once: language and the session banner.
COMMON_HANDLERS: dict[str, Policy] = {"setvar": P.PUBLIC, "set_lang": P.PUBLIC}

HANDLERS: dict[str, dict[str, Policy]] = {
    "SessionState": {"dismiss": P.PUBLIC, "load_session": P.PUBLIC, "logout": P.SELF},
    "LangState": {},
    # citizen portal
    "PortalState": {"load_portal": P.PUBLIC},
    "DepositState": {
        "on_load": P.PUBLIC,
        "search": P.PUBLIC,
        "choose": P.PUBLIC,
        "change_administration": P.PUBLIC,
        "next_from_administration": P.PUBLIC,
        "set_unit": P.PUBLIC,
        "save_identity": P.PUBLIC,
        "save_letter": P.PUBLIC,
        "add_files": P.PUBLIC,
        "remove_file": P.PUBLIC,
        "go": P.PUBLIC,
        "start_over": P.PUBLIC,
        "submit": P.PUBLIC_WRITE,
        "load_done": P.TOKEN,
    },
    "TrackState": {"on_load": P.PUBLIC, "request_code": P.PUBLIC_WRITE, "confirm": P.TOKEN, "restart": P.PUBLIC},
    "TrackLinkState": {"on_load": P.TOKEN},
    "VerifyReceiptState": {"on_load": P.TOKEN, "check_attachment": P.TOKEN},
    "VerifyPdfState": {"on_load": P.PUBLIC, "check": P.PUBLIC, "download_report": P.PUBLIC},
    # accounts
    "LoginState": {"on_load": P.PUBLIC, "submit": P.PUBLIC_WRITE, "choose_directory": P.PUBLIC},
    "AccountState": {
        "on_load": P.SELF,
        "change_password": P.SELF,
        "begin_totp": P.SELF,
        "confirm_totp": P.SELF,
        "cancel_totp": P.SELF,
        "disable_totp": P.SELF,
        "reset_private": P.SELF,
    },
    "NotificationPrefsState": {
        "prefs_refresh": P.SELF,
        "prefs_save": P.SELF,
        "push_enable": P.SELF,
        "push_saved": P.SELF,
        "push_disable": P.SELF,
    },
    "SigningKeyState": {
        "key_open": P.SELF,
        "key_refresh": P.SELF,
        "key_enroll": P.SELF,
        "key_p12": P.SELF,
        "key_import": P.SELF,
    },
    # e-correspondence
    "RegistryState": {"on_load": P.STAFF, "refresh": P.STAFF, "load_more": P.STAFF},
    "InboxState": {
        "on_load": P.STAFF,
        "refresh": P.STAFF,
        "load_more": P.STAFF,
        "set_queue": P.STAFF,
        "set_sort": P.STAFF,
        "search": P.STAFF,
        "apply_filters": P.STAFF,
        "reset_filters": P.STAFF,
    },
    "MailState": {
        "on_load": P.STAFF,
        "refresh": P.STAFF,
        "open_panel": P.STAFF,
        "take": P.STAFF,
        "add_note": P.STAFF,
        "add_link": P.STAFF,
        "return_item": P.STAFF,
        "close_item": P.STAFF,
        "fill_answer": P.STAFF,
        "set_intent": P.STAFF,
        "submit_letter": P.STAFF,
        "reprint_label": P.STAFF,
    },
    "DispatchState": {
        "open": P.STAFF,
        "cancel": P.STAFF,
        "set_unit": P.STAFF,
        "toggle_confidential": P.STAFF,
        "submit": P.STAFF,
    },
    "RegisterState": {
        "on_load": P.STAFF,
        "set_kind": P.STAFF,
        "add_files": P.STAFF,
        "remove_file": P.STAFF,
        "submit": P.CREATE,
        "another": P.STAFF,
        "download_label": P.STAFF,
    },
    "BatchState": {
        "on_load": P.STAFF,
        "watch": P.STAFF,
        "open_batch": P.STAFF,
        "set_sep_type": P.STAFF,
        "set_sep_count": P.STAFF,
        "print_separators": P.STAFF,
        "upload": P.CREATE,
        "confirm": P.CREATE,
        "discard": P.STAFF,
        "close_failed": P.STAFF,
    },
    "RegistersState": {"on_load": P.STAFF, "set_direction": P.STAFF, "set_start": P.STAFF, "set_end": P.STAFF},
    "DashboardState": {"on_load": P.STAFF, "refresh": P.STAFF},
    # signature book
    "ParapheurState": {
        "on_load": P.STAFF,
        "refresh": P.STAFF,
        "set_queue": P.STAFF,
        "open_new": P.STAFF,
        "close_new": P.STAFF,
        "add_files": P.STAFF,
        "remove_file": P.STAFF,
        "set_circuit": P.STAFF,
        "add_step": P.STAFF,
        "remove_step": P.STAFF,
        "set_step": P.STAFF,
        "add_person": P.STAFF,
        "remove_person": P.STAFF,
        "create": P.CREATE,
    },
    "FolderState": {
        "on_load": P.STAFF,
        "refresh": P.STAFF,
        "open_panel": P.STAFF,
        "submit_action": P.STAFF,
        "annotate": P.STAFF,
        "remove_note": P.STAFF,
        "go_page": P.STAFF,
        "add_version_files": P.STAFF,
        "submit_version": P.STAFF,
        "cancel_folder": P.STAFF,
        "set_intent": P.STAFF,
        "submit_letter": P.STAFF,
        "undo_last": P.STAFF,
    },
    "SignBatchState": {
        "on_load": P.STAFF,
        "toggle": P.STAFF,
        "select_all": P.STAFF,
        "select_none": P.STAFF,
        "select_step": P.STAFF,
        "submit": P.STAFF,
    },
    "SendState": {"open_folder": P.STAFF, "open_mail": P.STAFF, "cancel": P.STAFF, "submit": P.STAFF},
    # administration
    "AdminState": {},
    "AdminHomeState": {"on_load": P.ADMIN, "change_adm": P.ADMIN},
    "AdministrationsState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "new": P.ADMIN,
        "start_edit": P.ADMIN,
        "cancel": P.ADMIN,
        "save": P.ADMIN,
    },
    "UnitsState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "new": P.ADMIN,
        "start_edit": P.ADMIN,
        "cancel": P.ADMIN,
        "save": P.ADMIN,
    },
    "UsersState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "select_user": P.ADMIN,
        "open_create": P.ADMIN,
        "close": P.ADMIN,
        "create_user": P.ADMIN,
        "add_role": P.ADMIN,
        "remove_role": P.ADMIN,
        "set_active": P.ADMIN,
        "reset_password": P.ADMIN,
        "issue_enrolment_code": P.ADMIN,
    },
    "DelegationsState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "open_create": P.ADMIN,
        "close": P.ADMIN,
        "create": P.ADMIN,
        "revoke": P.ADMIN,
    },
    "CircuitsState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "open_new": P.ADMIN,
        "open_edit": P.ADMIN,
        "close": P.ADMIN,
        "add_step": P.ADMIN,
        "remove_step": P.ADMIN,
        "set_step": P.ADMIN,
        "add_person": P.ADMIN,
        "remove_person": P.ADMIN,
        "toggle": P.ADMIN,
        "save": P.ADMIN,
    },
    "HolidaysState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "set_year": P.ADMIN,
        "open_create": P.ADMIN,
        "close": P.ADMIN,
        "create": P.ADMIN,
        "remove": P.ADMIN,
    },
    "WebhooksState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "refresh": P.ADMIN,
        "open_create": P.ADMIN,
        "close": P.ADMIN,
        "create": P.ADMIN,
        "set_active": P.ADMIN,
        "send_test": P.ADMIN,
    },
    "SigninAdminState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "new": P.ADMIN,
        "new_kind": P.ADMIN,
        "start_edit": P.ADMIN,
        "cancel": P.ADMIN,
        "save": P.ADMIN,
        "show_rules": P.ADMIN,
        "add_rule": P.ADMIN,
        "remove_rule": P.ADMIN,
        "test": P.ADMIN,
    },
    "FilePlanState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "add_node": P.ADMIN,
        "add_type": P.ADMIN,
        "add_tag": P.ADMIN,
        "add_custom_field": P.ADMIN,
    },
    # records management: the administration's archivists (services.records.retention)
    "RecordsState": {
        "on_load": P.STAFF,
        "toggle": P.STAFF,
        "select_all": P.STAFF,
        "transfer": P.STAFF,
        "destroy": P.STAFF,
        "keep": P.STAFF,
        "acknowledge": P.STAFF,
    },
    "MailboxesState": {
        "on_load": P.ADMIN,
        "change_adm": P.ADMIN,
        "open_create": P.ADMIN,
        "close": P.ADMIN,
        "create": P.ADMIN,
        "toggle": P.ADMIN,
        "check": P.ADMIN,
    },
    # the contacts directory (registry clerks of the administration)
    "ContactsState": {
        "on_load": P.STAFF,
        "search": P.STAFF,
        "open_create": P.STAFF,
        "close": P.STAFF,
        "create": P.CREATE,
        "merge": P.STAFF,
    },
}

ROUTES: dict[str, Policy] = {
    "GET /healthz": P.PUBLIC,
    "GET /pki/root.crt": P.PUBLIC,
    "GET /pki/crl.der": P.PUBLIC,
    "POST /pki/tsa": P.PUBLIC,
    "POST /pki/ocsp": P.PUBLIC,
    "GET /pki/ocsp/{encoded}": P.PUBLIC,
    "GET /api/v1/administrations": P.PUBLIC,
    "POST /api/v1/deposits": P.PUBLIC_WRITE,
    "GET /api/v1/deposits/{reference}": P.TOKEN,
    "GET /api/v1/deposits/{reference}/receipt.pdf": P.TOKEN,
    "GET /api/v1/deposits/{reference}/answers/{document_id}": P.TOKEN,
    "GET /api/v1/verify/{reference}": P.TOKEN,
    "POST /api/v1/verify/pdf": P.PUBLIC,
    "POST /api/v1/verify/pdf/etsi": P.PUBLIC,
    "POST /api/v1/verify/pdf/report": P.PUBLIC,
    "POST /api/v1/auth/login": P.PUBLIC_WRITE,
    "POST /api/v1/auth/session": P.PUBLIC_WRITE,
    "POST /api/v1/auth/logout": P.PUBLIC_WRITE,  # ends the caller's own session, if any
    "GET /api/v1/auth/me": P.SELF,
    "GET /api/v1/administrations/{administration_id}/units": P.STAFF,
    "GET /api/v1/administrations/{administration_id}/users": P.ADMIN,
    "GET /api/v1/correspondence": P.STAFF,
    "GET /api/v1/correspondence/counts": P.STAFF,
    "GET /api/v1/correspondence/{correspondence_id}": P.STAFF,
    "GET /api/v1/correspondence/{correspondence_id}/delivery-evidence": P.STAFF,
    "POST /api/v1/correspondence/{correspondence_id}/qualify": P.STAFF,
    "POST /api/v1/correspondence/{correspondence_id}/dispatch": P.STAFF,
    "POST /api/v1/correspondence/{correspondence_id}/take": P.STAFF,
    "POST /api/v1/correspondence/{correspondence_id}/return": P.STAFF,
    "POST /api/v1/correspondence/{correspondence_id}/close": P.STAFF,
    "POST /api/v1/correspondence/{correspondence_id}/notes": P.STAFF,
    "GET /api/v1/documents/{document_id}": P.STAFF,
    "GET /api/v1/folders/{folder_id}/document.pdf": P.STAFF,
    "GET /api/v1/folders/{folder_id}/documents/{document_id}": P.STAFF,
    "GET /api/v1/folders/{folder_id}/bordereau.pdf": P.STAFF,
    "GET /api/v1/folders/{folder_id}/pages/{page}.png": P.STAFF,
    "GET /api/v1/folders/{folder_id}/annotated.pdf": P.STAFF,
    "POST /api/v1/folders/{folder_id}/actions": P.STAFF,
    "GET /api/v1/folders/batch/candidates": P.STAFF,
    "POST /api/v1/folders/batch": P.STAFF,
    "POST /api/v1/folders/{folder_id}/undo": P.STAFF,
    "GET /api/v1/folders/{folder_id}": P.STAFF,
    "GET /api/v1/registers/{direction}.csv": P.STAFF,
    "GET /api/v1/registers/{direction}.pdf": P.STAFF,
    "GET /api/v1/webhooks": P.ADMIN,
    "POST /api/v1/webhooks": P.ADMIN,
    "PATCH /api/v1/webhooks/{webhook_id}": P.ADMIN,
    "POST /api/v1/webhooks/{webhook_id}/test": P.ADMIN,
    "GET /api/v1/webhooks/{webhook_id}/deliveries": P.ADMIN,
    "GET /api/v1/disposals/{disposal_id}/package.zip": P.STAFF,
    "GET /api/v1/disposals/{disposal_id}/certificate.pdf": P.STAFF,
}

# Policies under which a signed-in caller may legitimately change something of their own.
OWN_CHANGES = {P.PUBLIC_WRITE, P.SELF, P.CREATE}
# Policies under which an anonymous caller must get 401 from the API.
SIGNED_IN = {P.SELF, P.STAFF, P.CREATE, P.ADMIN}


def handler_policy(state_name: str, handler: str) -> Policy | None:
    return HANDLERS.get(state_name, {}).get(handler) or COMMON_HANDLERS.get(handler)

"""Base states: the interface language and the signed-in staff member.

Security model:
- the session token lives only in the HttpOnly cookie ``mrasla_session``; the server reads it from
  the websocket handshake headers (``self.router.headers.cookie``) and resolves the actor on EVERY
  call through ``accounts.actor_from_token`` — nothing the browser sends is trusted;
- public vars hold display data only (name, nav flags); page guards in ``on_load`` only redirect,
  and every event handler calls ``self._actor()`` again and passes it to the services, which check
  the rights themselves.
"""

from __future__ import annotations

from contextlib import nullcontext
from http.cookies import CookieError, SimpleCookie

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.i18n import DEFAULT_LANG, LANGS, RTL_LANGS, translate
from mrasla_app.services.directory import accounts, permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes

SESSION_COOKIE = "mrasla_session"  # same name as mrasla_app.api.deps.SESSION_COOKIE

# Staff pages and who may open them (also the order used to pick the landing page after login).
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "registry": ("clerk",),
    "inbox": ("agent", "head", "clerk"),
    # signatories, and the initiators of folders (agents, heads): their folders and visa steps
    "parapheur": ("signatory", "head", "agent"),
    "register": ("clerk", "agent", "head"),  # outgoing / internal (and, for clerks, incoming) mail
    "registers": ("clerk",),  # register exports (names and subjects: the registry only)
    "dashboard": ("head",),  # also administrators, see allowed_pages
    "records": ("archivist",),  # retention ends, transfers to the archives, destructions
}
PAGE_ROUTES = {
    "registry": routes.REGISTRY,
    "inbox": routes.INBOX,
    "parapheur": routes.PARAPHEUR,
    "admin": routes.ADMIN,
    "account": routes.ACCOUNT,
    "register": routes.REGISTRY_NEW,
    "registers": routes.REGISTRY_EXPORT,
    "dashboard": routes.DASHBOARD,
    "records": routes.RECORDS,
}


def is_any_admin(actor: Actor | None) -> bool:
    """Platform admin, or admin of the actor's own administration."""
    return actor is not None and (actor.is_platform_admin or permissions.is_admin_of(actor, actor.administration_id))


def allowed_pages(actor: Actor | None) -> list[str]:
    if actor is None:
        return []
    pages = [p for p, roles in PAGE_ROLES.items() if actor.has_role(*roles)]
    if is_any_admin(actor):
        pages.append("admin")
    if actor.administration_id and permissions.is_admin_of(actor, actor.administration_id):
        pages += [p for p in ("dashboard",) if p not in pages]
    return pages


def can_open(actor: Actor | None, page: str) -> bool:
    if actor is None:
        return False
    return page == "account" or page in allowed_pages(actor)


# Where to land after login: the first of these the roles allow (signatories land on their parapheur).
LANDING_ORDER = ("registry", "parapheur", "inbox", "records", "admin")


def landing_route(actor: Actor | None) -> str:
    pages = allowed_pages(actor)
    if actor is not None and not actor.has_role("signatory"):
        pages = [p for p in pages if p != "parapheur"]  # initiators (agents, heads) land on their inbox
    first = next((p for p in LANDING_ORDER if p in pages), None)
    return PAGE_ROUTES[first] if first else routes.ACCOUNT


def session_token(cookie_header: str) -> str | None:
    """The session token from a raw ``Cookie:`` header (None when absent or unparsable)."""
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        # One malformed cookie must not hide ours: fall back to a manual split.
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE and value:
                return value
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel and morsel.value else None


class LangState(rx.State):
    """Interface language (``ar``, ``fr`` or ``en``), kept in the browser's localStorage
    (``mrasla_lang``) across reloads."""

    lang: str = rx.LocalStorage(DEFAULT_LANG, name="mrasla_lang", sync=True)

    @rx.event
    def set_lang(self, lang: str):
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        return rx.call_script(_apply_lang_js(self.lang))

    def _lang(self) -> str:
        return self.lang if self.lang in LANGS else DEFAULT_LANG

    def _tr(self, key: str, **params: object) -> str:
        return translate(key, self._lang(), **params)


def _apply_lang_js(lang: str) -> str:
    direction = "rtl" if lang in RTL_LANGS else "ltr"
    return (
        f"document.documentElement.lang='{lang}';document.documentElement.dir='{direction}';"
        f"try{{localStorage.setItem('mrasla_lang','{lang}')}}catch(e){{}}"
    )


# Forget Reflex's per-tab client token so the next page load starts from a fresh server-side state
# (no data of the previous user survives a login or logout in the same tab).
FRESH_STATE_JS = "try{sessionStorage.removeItem('token')}catch(e){}"

# Runs in <head> before the bundle: sets lang/dir from localStorage so Arabic does not flash LTR, and
# stops every native form submission. Every form is handled by its State; a form submitted before the
# bundle has hydrated the page would otherwise go out as a GET of the page itself, typed password and
# all in the address (and in server and proxy logs), and the page would reload with the typing lost.
HEAD_LANG_SCRIPT = (
    "(function(){try{var l=localStorage.getItem('mrasla_lang');"
    f"l=({'|'.join(LANGS)!r}.split('|').indexOf(l)>=0)?l:'{DEFAULT_LANG}';"
    "var d=document.documentElement;d.lang=l;d.dir=(l==='ar')?'rtl':'ltr';}catch(e){}"
    "document.addEventListener('submit',function(e){e.preventDefault()},true);})();"
)


class SessionState(LangState):
    """The signed-in staff member. Page states inherit from it."""

    # Display-only data for the header and nav (never secrets).
    logged_in: bool = False
    user_name: str = ""
    user_email: str = ""
    nav_pages: list[str] = []
    is_platform_admin: bool = False
    # The last refused action and the last success notice, in every interface language (the switch is live).
    error_ar: str = ""
    error_fr: str = ""
    error_en: str = ""
    notice_ar: str = ""
    notice_fr: str = ""
    notice_en: str = ""

    # --- server-side helpers (not callable from the browser) -----------------------------------

    def _token(self) -> str | None:
        return session_token(self.router.headers.cookie)

    def _actor(self, session: Session | None = None) -> Actor | None:
        """The current actor, resolved from the HttpOnly cookie on every call; in ``session`` when the event
        reads more in one (a session, its connection and its transaction, fewer per event), else in its own."""
        token = self._token()
        if not token:
            return None
        with nullcontext(session) if session is not None else db.read_session() as reading:
            return accounts.actor_from_token(reading, token)

    def _assign(self, **values: object) -> None:
        """Set the vars whose value changes. Every assignment goes into the event's delta and makes Reflex
        write this state back (a Redis write per event); these vars are set on every event and rarely
        change, so an unchanged one is left alone (the browser already shows that value)."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _show_actor(self, actor: Actor | None) -> None:
        self._assign(
            logged_in=actor is not None,
            user_name=actor.full_name if actor else "",
            user_email=actor.email if actor else "",
            nav_pages=allowed_pages(actor),
            is_platform_admin=bool(actor and actor.is_platform_admin),
        )

    def _current_path(self) -> str:
        url = self.router.url
        path = getattr(url, "path", "") or "/"
        query = getattr(url, "query", "")
        return f"{path}?{query}" if query else path

    def _guard(self, page: str, session: Session | None = None) -> tuple[Actor | None, EventSpec | None]:
        """For ``on_load``: (actor, None) when allowed, else (None, a redirect)."""
        actor = self._actor(session)
        self._show_actor(actor)
        self._clear_messages()
        if actor is None:
            return None, rx.redirect(routes.login_url(self._current_path()), replace=True)
        if not can_open(actor, page):
            return None, rx.redirect(landing_route(actor), replace=True)
        return actor, None

    def _require(self, page: str, session: Session | None = None) -> Actor:
        """For event handlers: the fresh actor, or a ``DomainError`` when signed out / not allowed."""
        actor = self._actor(session)
        self._show_actor(actor)
        if actor is None:
            raise DomainError("error.login_required")
        if not can_open(actor, page):
            raise DomainError("error.forbidden")
        return actor

    def _clear_messages(self) -> None:
        self._assign(**dict.fromkeys(("error_ar", "error_fr", "error_en", "notice_ar", "notice_fr", "notice_en"), ""))

    def _fail(self, exc: DomainError) -> None:
        """Show a refused action: ``exc.code`` is a catalogue key, translated into both languages."""
        self._clear_messages()
        self.error_ar = translate(exc.code, "ar", **exc.params)
        self.error_fr = translate(exc.code, "fr", **exc.params)
        self.error_en = translate(exc.code, "en", **exc.params)

    def _ok(self, key: str) -> None:
        self._clear_messages()
        self.notice_ar, self.notice_fr, self.notice_en = (translate(key, lang) for lang in ("ar", "fr", "en"))

    # --- events ---------------------------------------------------------------------------------

    @rx.event
    def load_session(self):
        """``on_load`` of public pages: show who is signed in (if anyone), nothing else."""
        self._show_actor(self._actor())
        self._clear_messages()

    @rx.event
    def logout(self):
        token = self._token()
        if token:
            with db.write_session() as session:
                accounts.logout(session, token)
        self._show_actor(None)
        self._clear_messages()
        return rx.call_script(
            f"fetch('{routes.API_LOGOUT}',{{method:'POST',credentials:'same-origin'}})"
            f".finally(function(){{{FRESH_STATE_JS}window.location.replace('{routes.HOME}')}})"
        )

    @rx.event
    def dismiss(self):
        self._clear_messages()

"""The skeleton the detail pages share — a correspondence (``/mail/<id>``) and a parapheur folder
(``/parapheur/<id>``) — and the small pieces they fill it with.

``detail_page`` lays out the back link, the hidden page title, the messages, then either the
two-column grid (main column, side column) or, once loading is over, the "not found" card (the same
answer for missing and not visible). The pieces: a card head with a title (and a close button),
buttons and links with an icon, a list or its "nothing yet" line, a history timeline entry, a note
(text, author, time), labelled fields, a form's submit/cancel footer and a signature's check rows.
The components only render the vars they are given. The state helpers run inside the page states'
own handlers, which check rights (``_require``) as always; the dataclasses are the rows both pages
hold in their state (typed vars: Reflex sends them as plain objects).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import LANGS
from mrasla_app.services.correspondence.views import Bilingual
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.ui.components.forms import card, messages, section_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.pages.portal.common import local_datetime

if TYPE_CHECKING:
    from mrasla_app.pki.validation import SignatureReport


def _text(label: Any) -> list[Any]:
    """A catalogue key as its translation; a tuple as its parts; anything else (a var, a component) as it
    is."""
    if isinstance(label, tuple):
        return list(label)
    return [t(label) if isinstance(label, str) else label]


def _btn_class(kind: str, small: bool) -> str:
    return f"btn btn-small btn-{kind}" if small else f"btn btn-{kind}"


# --- what the pages list -----------------------------------------------------------------------------

NO_NAME = Bilingual("", "")  # a name not known (yet): the default of a ``Bilingual`` field


def said(names: Any) -> rx.Var:
    """A ``Bilingual`` var in the interface language (the French form in the English interface)."""
    return pick(names.ar, names.fr)


@dataclasses.dataclass
class FileRow:
    """A document listed on a detail page, with the URLs to view it and to download it."""

    id: str = ""
    name: str = ""
    pages: str = ""  # a count, as text ("" when unknown)
    view: str = ""
    download: str = ""


# --- state helpers (called from the page states' own handlers; ``state`` is the page's SessionState) ----


def route_id(state: Any) -> int:
    """The object id: the last segment of the page's path (0 when it is not a plausible id)."""
    path = str(getattr(state.router.url, "path", "") or "")
    value = path.rstrip("/").rsplit("/", 1)[-1]
    return int(value) if value.isdigit() and len(value) < 12 else 0


def fresh_actor(state: Any, page: str) -> Actor | None:
    """The actor fresh from the session, or None once the refusal is shown."""
    try:
        return state._require(page)
    except DomainError as exc:
        state._fail(exc)
        return None


def attempt(state: Any, page: str, action: Callable[[Actor], object]) -> bool:
    """Runs ``action`` for the fresh actor. An object gone (or out of sight) empties the page
    (``state._clear``), another refusal is shown; True when it went through."""
    try:
        action(state._require(page))
    except NotFound:
        state._clear()
        return False
    except DomainError as exc:
        state._fail(exc)
        return False
    return True


def reload_view(state: Any, page: str) -> Actor | None:
    """Loads the object again for the fresh actor (``state._load``, both in one read), or empties the page
    (and shows why, unless it is gone or out of sight)."""
    try:
        with db.read_session() as session:
            actor = state._require(page, session)
            state._load(actor, session)
    except NotFound:
        state._clear()
        return None
    except DomainError as exc:
        state._clear()
        state._fail(exc)
        return None
    return actor


# --- the page ---------------------------------------------------------------------------------------


def back_link(label_key: str, href: str) -> rx.Component:
    return rx.el.a(
        rx.icon("arrow-left", size=16, aria_hidden="true", class_name="flip-rtl"),
        t(label_key),
        href=href,
        class_name="back-link",
    )


def not_found(text_key: str, back_key: str, href: str, testid: str) -> rx.Component:
    """The same clean answer for missing and not visible (no existence oracle)."""
    return rx.el.div(
        rx.icon("file-question", size=44, class_name="empty-icon", aria_hidden="true"),
        rx.el.p(t(text_key), class_name="section-title"),
        rx.el.a(t(back_key), href=href, class_name="btn btn-secondary"),
        class_name="empty-state card",
        data_testid=testid,
    )


def detail_page(
    state: Any,
    *,
    back: tuple[str, str],
    title_key: str,
    main: Sequence[rx.Component],
    side: Sequence[rx.Component],
    missing: rx.Component,
    active: str,
) -> rx.Component:
    """``back`` = (label key, href); ``state`` has ``found`` and ``loaded`` (its ``on_load`` done)."""
    return layout(
        back_link(*back),
        rx.el.h1(t(title_key), id="page-title", class_name="page-title sr-only", data_testid="page-title"),
        messages(state),
        rx.cond(
            state.found,
            rx.el.div(
                rx.el.div(*main, class_name="detail-main"),
                rx.el.div(*side, class_name="detail-side"),
                class_name="detail-grid",
            ),
            rx.cond(state.loaded, missing),
        ),
        active=active,
        wide=True,
    )


def card_head(title: rx.Component, *tools: rx.Component) -> rx.Component:
    """A card's title with its tools at the other end of the line."""
    return rx.el.div(title, *tools, class_name="card-head")


def panel_head(title_key: str, title_id: str, on_close: Any) -> rx.Component:
    """The title of a panel opened from the page, with its close (×) button."""
    return card_head(
        section_title(title_key, id=title_id),
        rx.el.button(
            rx.icon("x", size=18, aria_hidden="true"),
            type="button",
            on_click=on_close,
            class_name="btn btn-small btn-ghost",
            aria_label=t("common.close"),
        ),
    )


def shown_card(when: Any, *children: rx.Component, **props: Any) -> rx.Component:
    """A card rendered only while ``when`` holds."""
    return rx.cond(when, card(*children, **props))


# --- buttons and links ------------------------------------------------------------------------------


def _button_like(tag: Any, icon: str | None, label: Any, size: int, props: dict[str, Any]) -> rx.Component:
    """``tag`` with an icon and a label, looking like a button. ``props`` may also say ``kind``
    ("secondary"), ``small``, ``size`` (of the icon), ``flip`` (mirror the icon in RTL), ``testid``."""
    kind, small = props.pop("kind", "secondary"), props.pop("small", False)
    size, flip = props.pop("size", size), props.pop("flip", False)
    if (testid := props.pop("testid", None)) is not None:
        props["data_testid"] = testid
    props.setdefault("class_name", _btn_class(kind, small))
    mirrored = {"class_name": "flip-rtl"} if flip else {}
    children = [rx.icon(icon, size=size, aria_hidden="true", **mirrored)] if icon else []
    return tag(*children, *_text(label), **props)


def icon_button(icon: str | None, label: Any, on_click: Any, **props: Any) -> rx.Component:
    """A ``type=button`` button: icon (18 px), label (key, var or tuple of parts); see ``_button_like``."""
    return _button_like(rx.el.button, icon, label, 18, {"type": "button", "on_click": on_click, **props})


def action(when: Any, icon: str, label_key: str, on_click: Any, testid: str, **props: Any) -> rx.Component:
    """An action button shown only to those who may take the action."""
    return rx.cond(when, icon_button(icon, label_key, on_click, testid=testid, **props))


def link_button(icon: str | None, label: Any, href: Any, *, new_tab: bool = False, **props: Any) -> rx.Component:
    """A link looking like a button (view, download…; ``class_name`` for another look), icon 16 px;
    ``new_tab`` opens it beside the page."""
    if new_tab:
        props.update(target="_blank", rel="noopener")
    return _button_like(rx.el.a, icon, label, 16, {"href": href, **props})


# --- lists ------------------------------------------------------------------------------------------


def listing(
    items: Any, render: Callable[[Any], rx.Component], *, empty_key: str, ordered: bool = False, **props: Any
) -> rx.Component:
    """``items`` rendered one by one in a list, or the muted "nothing yet" line."""
    tag = rx.el.ol if ordered else rx.el.ul
    return rx.cond(
        items.length() > 0,
        tag(rx.foreach(items, render), **props),
        rx.el.p(t(empty_key), class_name="muted"),
    )


def timeline_item(title: Sequence[Any], at: Any, who: Any, *details: rx.Component, **props: Any) -> rx.Component:
    """One entry of a history: what happened, when and by whom, then its details."""
    return rx.el.li(
        rx.el.span(class_name="timeline-dot", aria_hidden="true"),
        rx.el.div(
            rx.el.span(*title, class_name="timeline-title"),
            rx.el.span(rx.el.span(at, dir="ltr"), " · ", who, class_name="timeline-time"),
            *details,
            class_name="timeline-body",
        ),
        class_name="timeline-item",
        **props,
    )


def history_card(
    items: Any, render: Callable[[Any], rx.Component], *, testid: str, empty_key: str = ""
) -> rx.Component:
    """The "History" card: the timeline of ``items`` (or ``empty_key``'s line when there are none)."""
    props = {"class_name": "timeline", "data_testid": testid}
    body = (
        listing(items, render, empty_key=empty_key, ordered=True, **props)
        if empty_key
        else rx.el.ol(rx.foreach(items, render), **props)
    )
    return card(section_title("mail.history"), body)


def note_text(body: Any, who: Any, at: Any, *meta: rx.Component) -> list[rx.Component]:
    """A note's text, then who wrote it and when (and ``meta`` after that)."""
    return [
        rx.el.p(body, class_name="pre-wrap note-body", dir="auto"),
        rx.el.p(who, " · ", rx.el.span(at, dir="ltr"), *meta, class_name="muted note-meta"),
    ]


def note_input(fid: str, testid: str, max_length: int, **props: Any) -> list[rx.Component]:
    """The labelled box a note is typed in (``name=body``)."""
    return [
        rx.el.label(t("mail.note_label"), html_for=fid, class_name="label"),
        rx.el.textarea(
            id=fid,
            name="body",
            required=True,
            max_length=max_length,
            rows=3,
            class_name="input textarea",
            data_testid=testid,
            **props,
        ),
    ]


# --- forms ------------------------------------------------------------------------------------------


def labelled(label: Any, fid: str, control: rx.Component, *after: rx.Component) -> rx.Component:
    """A form field: its label (key or var), the control with id ``fid``, then hints."""
    return rx.el.div(rx.el.label(*_text(label), html_for=fid, class_name="label"), control, *after, class_name="field")


def form_actions(submit: rx.Component, on_cancel: Any) -> rx.Component:
    """A form's footer: its submit button and "Cancel"."""
    return rx.el.div(
        submit,
        rx.el.button(t("common.cancel"), type="button", on_click=on_cancel, class_name="btn btn-ghost"),
        class_name="actions",
    )


# --- signature report -------------------------------------------------------------------------------


@dataclasses.dataclass
class SignatureRow:
    """One signature of a validation report, as ``signature_item`` shows it."""

    signer: str = ""
    time_ar: str = ""
    time_fr: str = ""
    time_en: str = ""
    intact: bool = False  # the signed bytes are unchanged and the signature value checks out
    trusted: bool = False  # the signer's certificate chains to the platform root and is not revoked
    modified: bool = False  # something was appended after the signature
    timestamped: bool = False  # with a valid timestamp
    certified: bool = False  # a certification signature (it says which later changes are allowed)


def signature_row(sig: SignatureReport) -> SignatureRow:
    """One signature of a validation report as display fields."""
    when = local_datetime(sig.signing_time) if sig.signing_time else dict.fromkeys(LANGS, "—")
    return SignatureRow(
        signer=", ".join(p for p in (sig.signer_common_name, sig.signer_organization) if p) or "—",
        time_ar=when["ar"],
        time_fr=when["fr"],
        time_en=when["en"],
        intact=sig.intact and sig.valid,
        trusted=sig.trusted and not sig.revoked,
        modified=sig.modified_after_signing,
        timestamped=sig.timestamped and sig.timestamp_valid,
        certified=sig.certified,
    )


def check_row(label_key: str, value: Any, good_when: bool = True, size: int = 16) -> rx.Component:
    """One check of a signature (a bool var): green when it is as it should be, red otherwise."""
    good = value if good_when else ~value
    return rx.el.li(
        rx.cond(
            good,
            rx.icon("circle-check", size=size, aria_hidden="true", class_name="ok"),
            rx.icon("circle-x", size=size, aria_hidden="true", class_name="bad"),
        ),
        rx.el.span(t(label_key)),
        rx.el.strong(rx.cond(value, t("common.yes"), t("common.no"))),
        class_name=rx.cond(good, "check-row is-ok", "check-row is-bad"),
    )


def signature_item(
    sig: Any, *, testid: str, signer_testid: str, size: int = 16, extra: Sequence[rx.Component] = ()
) -> rx.Component:
    """One signature of a report: signer, time, and its checks (``extra`` rows after them)."""
    return rx.el.li(
        rx.el.dl(
            rx.el.dt(t("verify.sig.signer")),
            rx.el.dd(sig.signer, dir="auto", data_testid=signer_testid),
            rx.el.dt(t("verify.sig.time")),
            rx.el.dd(pick(sig.time_ar, sig.time_fr, sig.time_en)),
            class_name="dl dl-stack",
        ),
        rx.el.ul(
            check_row("verify.sig.intact", sig.intact, size=size),
            check_row("verify.sig.trusted", sig.trusted, size=size),
            check_row("verify.sig.timestamped", sig.timestamped, size=size),
            check_row("verify.sig.modified", sig.modified, good_when=False, size=size),
            *extra,
            class_name="check-list",
        ),
        class_name="sig-item",
        data_testid=testid,
    )

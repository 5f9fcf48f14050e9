"""The folder's document, page by page, with the participants' comments pinned on it.

Readable on a 390 px phone: one rendered page image at the screen's width (``srcset``: the browser
picks the size; pinch zoom stays allowed), previous/next buttons and "page n / N". A tap on the
page places a pin (``assets/pwa/parapheur.js`` fills the comment form's page/x/y, no round trip);
pins of the page shown sit over it at their stored fractions, numbered like the list below.
Everything here reads the page state's vars; the state checks rights in its own handlers.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from mrasla_app.services.parapheur.viewer import WIDTHS
from mrasla_app.ui.components.detail import icon_button, labelled, note_input, note_text, said
from mrasla_app.ui.components.forms import submit
from mrasla_app.ui.i18n import t


def _src(base: rx.Var, page: rx.Var, tag: rx.Var, width: int) -> rx.Var:
    return base + page.to_string() + ".png?w=" + str(width) + "&v=" + tag


def page_figure(S: Any) -> rx.Component:
    """Navigation, the page image with its pins, and the pending pin (placed by the script)."""
    f = S.f
    parts = [_src(f.pages_url, S.view_page, f.vtag, w) + f" {w}w" for w in WIDTHS]
    srcset = parts[0]
    for part in parts[1:]:
        srcset = srcset + ", " + part
    nav = rx.el.div(
        rx.el.button(
            rx.icon("chevron-left", size=20, aria_hidden="true", class_name="flip-rtl"),
            type="button",
            on_click=S.go_page(S.view_page - 1),
            disabled=S.view_page <= 1,
            class_name="btn btn-secondary pf-nav-btn",
            aria_label=t("pf.page_prev"),
            data_testid="page-prev",
        ),
        rx.el.span(
            t("pf.page"),
            " ",
            rx.el.strong(S.view_page.to_string(), data_testid="page-current"),
            " / ",
            S.page_total.to_string(),
            class_name="pf-page-no",
            aria_live="polite",
        ),
        rx.el.button(
            rx.icon("chevron-right", size=20, aria_hidden="true", class_name="flip-rtl"),
            type="button",
            on_click=S.go_page(S.view_page + 1),
            disabled=S.view_page >= S.page_total,
            class_name="btn btn-secondary pf-nav-btn",
            aria_label=t("pf.page_next"),
            data_testid="page-next",
        ),
        class_name="pf-page-nav",
    )
    pins = rx.foreach(
        S.notes,
        lambda n: rx.cond(
            (n.page == S.view_page.to_string()) & (n.x != ""),
            rx.el.a(
                n.n,
                href="#note-" + n.id,
                class_name="pf-pin-mark",
                style={"left": n.x + "%", "top": n.y + "%"},
                title=n.body,
                aria_label=t("pf.annotation") + " " + n.n,
                data_testid="pin-mark",
            ),
        ),
    )
    figure = rx.el.figure(
        rx.el.div(
            rx.el.img(
                src=_src(f.pages_url, S.view_page, f.vtag, WIDTHS[1]),
                src_set=srcset,
                sizes="(max-width: 1023px) 100vw, 60vw",
                alt=t("pf.page") + " " + S.view_page.to_string(),
                class_name="pf-page-img",
                draggable=False,
                custom_attrs={"data-pin-surface": rx.cond(S.may_annotate, "1", "")},
                data_page=S.view_page.to_string(),
                data_testid="page-image",
            ),
            pins,
            rx.el.span(class_name="pf-pin-mark pf-pin-new", id="pf-pin-new", hidden=True, aria_hidden="true"),
            class_name="pf-page-box",
        ),
        class_name="pf-page",
    )
    return rx.el.div(
        nav,
        figure,
        rx.cond(
            S.may_annotate,
            rx.el.p(rx.icon("map-pin", size=14, aria_hidden="true"), t("pf.pin_place_hint"), class_name="hint"),
        ),
        class_name="pf-pages",
        data_testid="document-pages-viewer",
    )


def note_list(S: Any) -> rx.Component:
    """Every comment: its number (as on the page), page, author, time, text; the author may remove it."""
    return rx.cond(
        S.notes.length() > 0,
        rx.el.ol(
            rx.foreach(
                S.notes,
                lambda n: rx.el.li(
                    rx.el.div(
                        rx.el.span(rx.cond(n.x != "", n.n, "•"), class_name="pf-note-num", aria_hidden="true"),
                        rx.el.div(
                            *note_text(
                                n.body,
                                said(n.who),
                                n.at,
                                rx.cond(
                                    n.page != "",
                                    rx.fragment(
                                        " · ",
                                        rx.el.button(
                                            t("pf.page"),
                                            " ",
                                            n.page,
                                            type="button",
                                            on_click=S.go_page(n.page),
                                            class_name="link-btn",
                                            data_testid="note-goto",
                                        ),
                                    ),
                                ),
                            ),
                            class_name="pf-note-text",
                        ),
                        rx.cond(
                            n.mine,
                            icon_button(
                                "trash-2",
                                (),
                                S.remove_note(n.id),
                                kind="ghost",
                                small=True,
                                size=16,
                                aria_label=t("common.remove"),
                                testid="note-remove",
                            ),
                        ),
                        class_name="pf-note-row-item",
                    ),
                    id="note-" + n.id,
                    class_name="note-item",
                ),
            ),
            class_name="note-list",
            data_testid="folder-notes",
        ),
        rx.el.p(t("mail.no_notes"), class_name="muted"),
    )


def note_form(S: Any) -> rx.Component:
    """The comment box; page/x/y are filled by a tap on the page (or the page typed by hand)."""
    return rx.el.form(
        *note_input("pf-note", "annotation-input", 4000, dir="auto"),
        rx.el.input(type="hidden", name="x", id="pf-note-x", data_testid="annotation-x"),
        rx.el.input(type="hidden", name="y", id="pf-note-y", data_testid="annotation-y"),
        rx.el.div(
            labelled(
                "pf.page_optional",
                "pf-note-page",
                rx.el.input(
                    id="pf-note-page",
                    name="page",
                    type="number",
                    min=1,
                    max=S.page_total,
                    input_mode="numeric",
                    class_name="input pf-page-input",
                    dir="ltr",
                    data_testid="annotation-page",
                ),
            ),
            submit("mail.note_submit", "annotation-submit"),
            class_name="pf-note-row",
        ),
        id="pf-note-form",
        on_submit=S.annotate,
        class_name="form",
        key=S.form_key,
    )


PIN_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back")


def pin_input(fid: str, *, testid: str, strict: bool = True, **props: Any) -> rx.Component:
    """A PIN field (``name=pin`` unless told): digits, typed hidden, at most 12; ``strict`` asks for 6 to 12
    of them before the form may be sent. Never bound to a var: the PIN is read from the submitted form."""
    if strict:
        props = {"pattern": "[0-9]{6,12}", "min_length": 6, "dir": "ltr", **props}
    props.setdefault("name", "pin")
    props.setdefault("class_name", "input pf-pin")
    return rx.el.input(
        id=fid, type="password", input_mode="numeric", max_length=12, required=True, data_testid=testid, **props
    )


def pin_pad() -> rx.Component:
    """Big digit keys under the PIN field, reachable with one thumb (they type into ``#pf-pin``)."""

    def key(k: str) -> rx.Component:
        if k == "back":
            label: Any = rx.icon("delete", size=22, aria_hidden="true", class_name="flip-rtl")
            aria: rx.Var | str = t("pf.pin_back")
        elif k == "clear":
            label, aria = rx.icon("x", size=22, aria_hidden="true"), t("pf.pin_clear")
        else:
            label, aria = k, k
        return rx.el.button(
            label,
            type="button",
            custom_attrs={"data-pin-key": k},
            aria_label=aria,
            class_name="pf-key" + (" pf-key-fn" if not k.isdigit() else ""),
            data_testid=f"pin-key-{k}",
        )

    return rx.el.div(
        rx.el.output(id="pf-pin-count", class_name="pf-pin-count", aria_hidden="true"),
        rx.el.div(*[key(k) for k in PIN_KEYS], class_name="pf-pad", dir="ltr"),
        class_name="pf-pad-wrap",
    )

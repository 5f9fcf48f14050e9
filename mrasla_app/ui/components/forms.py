"""Small, accessible building blocks built on plain HTML elements (mirrors cleanly in RTL)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.state import SessionState


def page_title(key: str, *children: rx.Component) -> rx.Component:
    return rx.el.h1(t(key), *children, id="page-title", data_testid="page-title", class_name="page-title")


def section_title(key: str, **props: Any) -> rx.Component:
    return rx.el.h2(t(key), class_name="section-title", **props)


def card(*children: rx.Component, **props: Any) -> rx.Component:
    class_name = "card " + props.pop("class_name", "")
    return rx.el.section(*children, class_name=class_name.strip(), **props)


def message(ar: Any, fr: Any, en: Any = None, *, ok: bool = False, testid: str = "form-error") -> rx.Component:
    """A message held in every language (shown in the interface one): error (role=alert) or notice.
    Without ``en`` the English interface shows the French text."""
    return rx.cond(
        fr != "",
        rx.el.div(
            pick(ar, fr, en),
            role="status" if ok else "alert",
            class_name="msg msg-ok" if ok else "msg msg-error",
            data_testid=testid,
        ),
    )


def messages(state: type[SessionState] = SessionState) -> rx.Component:
    """The last error (role=alert) and success notice (role=status) of ``state``."""
    return rx.fragment(
        message(state.error_ar, state.error_fr, state.error_en),
        message(state.notice_ar, state.notice_fr, state.notice_en, ok=True, testid="form-notice"),
    )


def field_error(errors: tuple[Any, ...] | None, name: str, fid: str) -> rx.Component:
    """The server's message for field ``name`` (``errors`` = (ar dict var, fr dict var[, en dict var])),
    ``role=alert``; without the English dict the English interface shows the French text."""
    if errors is None:
        return rx.fragment()
    errors_ar, errors_fr, *rest = errors
    return rx.cond(
        errors_fr.contains(name),
        rx.el.p(
            rx.icon("circle-alert", size=16, aria_hidden="true"),
            rx.el.span(pick(errors_ar[name], errors_fr[name], rest[0][name] if rest else None)),
            id=f"{fid}-error",
            role="alert",
            class_name="field-error",
            data_testid=f"{fid}-error",
        ),
    )


def _error_props(errors: tuple[Any, ...] | None, name: str, fid: str, hint: bool) -> dict[str, Any]:
    described = f"{fid}-hint" if hint else ""
    if errors is None:
        return {"aria_describedby": described} if described else {}
    has_error = errors[1].contains(name)
    return {
        "aria_invalid": rx.cond(has_error, "true", "false"),
        "aria_describedby": rx.cond(has_error, f"{described} {fid}-error".strip(), described),
    }


def field(
    form_id: str,
    name: str,
    label_key: str,
    *,
    type: str = "text",
    required: bool = False,
    default_value: Any = None,
    autocomplete: str = "off",
    hint_key: str | None = None,
    errors: tuple[Any, ...] | None = None,
    multiline: bool = False,
    **props: Any,
) -> rx.Component:
    """A labelled input (or textarea); ``errors`` shows the server's per-field message under it."""
    fid = f"{form_id}-{name}"
    extra: dict[str, Any] = _error_props(errors, name, fid, bool(hint_key))
    if default_value is not None:
        extra["default_value"] = default_value
    if multiline:
        control = rx.el.textarea(
            id=fid, name=name, required=required, class_name="input textarea", data_testid=fid, **extra, **props
        )
    else:
        control = rx.el.input(
            id=fid,
            name=name,
            type=type,
            required=required,
            auto_complete=autocomplete,
            class_name="input",
            data_testid=fid,
            **extra,
            **props,
        )
    return rx.el.div(
        rx.el.label(t(label_key), html_for=fid, class_name="label"),
        control,
        rx.el.p(t(hint_key), id=f"{fid}-hint", class_name="hint") if hint_key else rx.fragment(),
        field_error(errors, name, fid),
        class_name="field",
    )


def name_fields(
    form_id: str, key_prefix: str = "field.", fr: Any = None, ar: Any = None, *, ar_first: bool = False, **props: Any
) -> list[rx.Component]:
    """The required French and Arabic names of a row (``name_fr``, ``name_ar``), each in its
    language and direction; ``fr``/``ar`` fill them in."""
    names = [
        field(
            form_id, "name_fr", f"{key_prefix}name_fr", required=True, default_value=fr, lang="fr", dir="ltr", **props
        ),
        field(
            form_id, "name_ar", f"{key_prefix}name_ar", required=True, default_value=ar, lang="ar", dir="rtl", **props
        ),
    ]
    return names[::-1] if ar_first else names


def radio_field(
    form_id: str,
    name: str,
    label_key: str,
    choices: list[tuple[str, str]],
    *,
    value: Any,
    errors: tuple[Any, ...] | None = None,
    **props: Any,
) -> rx.Component:
    """A fieldset of radio buttons shown as a segmented toggle; ``choices`` = [(value, label key)]."""
    fid = f"{form_id}-{name}"
    return rx.el.fieldset(
        rx.el.legend(t(label_key), class_name="label"),
        rx.el.div(
            *[
                rx.el.label(
                    rx.el.input(
                        type="radio",
                        name=name,
                        value=val,
                        default_checked=value == val,
                        id=f"{fid}-{val}",
                        data_testid=f"{fid}-{val}",
                        class_name="segment-input",
                        **props,
                    ),
                    rx.el.span(t(key)),
                    html_for=f"{fid}-{val}",
                    class_name="segment",
                )
                for val, key in choices
            ],
            class_name="segmented",
        ),
        field_error(errors, name, fid),
        class_name="field fieldset",
    )


def select_field(
    form_id: str,
    name: str,
    label_key: str,
    options: rx.Component | list[rx.Component],
    *,
    default_value: Any = None,
    required: bool = False,
    errors: tuple[Any, ...] | None = None,
    **props: Any,
) -> rx.Component:
    fid = f"{form_id}-{name}"
    extra: dict[str, Any] = _error_props(errors, name, fid, False)
    if default_value is not None:
        extra["default_value"] = default_value
    opts = options if isinstance(options, list) else [options]
    return rx.el.div(
        rx.el.label(t(label_key), html_for=fid, class_name="label"),
        rx.el.select(
            *opts, id=fid, name=name, required=required, class_name="input select", data_testid=fid, **extra, **props
        ),
        field_error(errors, name, fid),
        class_name="field",
    )


def checkbox_field(form_id: str, name: str, label_key: str, *, default_checked: Any = True) -> rx.Component:
    fid = f"{form_id}-{name}"
    return rx.el.div(
        rx.el.input(
            id=fid, name=name, type="checkbox", default_checked=default_checked, class_name="checkbox", data_testid=fid
        ),
        rx.el.label(t(label_key), html_for=fid),
        class_name="field field-check",
    )


def option(value: Any, label: Any) -> rx.Component:
    return rx.el.option(label, value=value)


def button(label_key: str, *, kind: str = "primary", **props: Any) -> rx.Component:
    class_name = f"btn btn-{kind} " + props.pop("class_name", "")
    props.setdefault("type", "button")
    return rx.el.button(t(label_key), class_name=class_name.strip(), **props)


def submit(label_key: str, testid: str, **props: Any) -> rx.Component:
    return rx.el.button(t(label_key), type="submit", class_name="btn btn-primary", data_testid=testid, **props)


def empty_state(key: Any, icon: str = "inbox", *, boxed: bool = False) -> rx.Component:
    """The "nothing here" block of a list: ``key`` is a message key or an already built text;
    ``boxed`` draws it as a card of its own."""
    return rx.el.div(
        rx.icon(icon, size=40, class_name="empty-icon", aria_hidden="true"),
        rx.el.p(t(key) if isinstance(key, str) else key),
        class_name="empty-state card" if boxed else "empty-state",
        data_testid="empty-state",
    )


def more_button(on_click: Any, testid: str) -> rx.Component:
    """The "show more" button under a paged list."""
    return rx.el.div(
        rx.el.button(
            t("inbox.more"), type="button", on_click=on_click, class_name="btn btn-secondary", data_testid=testid
        ),
        class_name="more",
    )


def icon_button(
    icon: str, label_key: str, *, kind: str = "primary", icon_class: str = "", **props: Any
) -> rx.Component:
    """A button with a leading icon (``kind``: primary, secondary, ghost…)."""
    props.setdefault("type", "button")
    icon_props = {"class_name": icon_class} if icon_class else {}
    return rx.el.button(
        rx.icon(icon, size=18, aria_hidden="true", **icon_props),
        t(label_key),
        class_name=f"btn btn-{kind}",
        **props,
    )


def nav_tabs(items: list[tuple[str, str, str]], active: str, testid: str, label_key: str) -> rx.Component:
    """A row of tabs linking the pages of one area: ``items`` = [(key, href, label key)], ``active``
    the key of this page (marked ``aria-current``); test ids ``{testid}-{key}``."""
    return rx.el.nav(
        *[
            rx.el.a(
                t(key),
                href=href,
                class_name="tab" + (" is-active" if k == active else ""),
                aria_current="page" if k == active else None,
                data_testid=f"{testid}-{k}",
            )
            for k, href, key in items
        ],
        class_name="tabs",
        aria_label=t(label_key),
    )


def link_card(title: Any, text: Any, href: str, icon: str, testid: str, *, icon_size: int = 28) -> rx.Component:
    """A large link with an icon, a title and a line of text (the home page's services, the admin entries)."""
    return rx.el.a(
        rx.el.span(rx.icon(icon, size=icon_size, aria_hidden="true"), class_name="service-icon"),
        rx.el.span(
            rx.el.span(title, class_name="service-title"),
            rx.el.span(text, class_name="service-text"),
            class_name="service-body",
        ),
        rx.icon("chevron-right", size=22, aria_hidden="true", class_name="flip-rtl service-arrow"),
        href=href,
        class_name="service-card",
        data_testid=testid,
    )


def table(head_keys: list[str], body: rx.Component, **props: Any) -> rx.Component:
    return rx.el.div(
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(t(k), scope="col") for k in head_keys])),
            rx.el.tbody(body),
            class_name="table",
            **props,
        ),
        class_name="table-wrap",
    )

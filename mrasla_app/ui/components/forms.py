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


def messages(state: type[SessionState] = SessionState) -> rx.Component:
    """The last error (role=alert) and success notice (role=status) of ``state``."""
    return rx.fragment(
        rx.cond(
            state.error_fr != "",
            rx.el.div(pick(state.error_ar, state.error_fr), role="alert", class_name="msg msg-error",
                      data_testid="form-error"),
        ),
        rx.cond(
            state.notice_fr != "",
            rx.el.div(pick(state.notice_ar, state.notice_fr), role="status", class_name="msg msg-ok",
                      data_testid="form-notice"),
        ),
    )


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
    **props: Any,
) -> rx.Component:
    fid = f"{form_id}-{name}"
    extra: dict[str, Any] = {}
    if default_value is not None:
        extra["default_value"] = default_value
    if hint_key:
        extra["aria_describedby"] = f"{fid}-hint"
    return rx.el.div(
        rx.el.label(t(label_key), html_for=fid, class_name="label"),
        rx.el.input(
            id=fid, name=name, type=type, required=required, auto_complete=autocomplete,
            class_name="input", data_testid=fid, **extra, **props,
        ),
        rx.el.p(t(hint_key), id=f"{fid}-hint", class_name="hint") if hint_key else rx.fragment(),
        class_name="field",
    )


def select_field(
    form_id: str,
    name: str,
    label_key: str,
    options: rx.Component | list[rx.Component],
    *,
    default_value: Any = None,
    required: bool = False,
    **props: Any,
) -> rx.Component:
    fid = f"{form_id}-{name}"
    extra: dict[str, Any] = {}
    if default_value is not None:
        extra["default_value"] = default_value
    opts = options if isinstance(options, list) else [options]
    return rx.el.div(
        rx.el.label(t(label_key), html_for=fid, class_name="label"),
        rx.el.select(*opts, id=fid, name=name, required=required, class_name="input select",
                     data_testid=fid, **extra, **props),
        class_name="field",
    )


def checkbox_field(form_id: str, name: str, label_key: str, *, default_checked: Any = True) -> rx.Component:
    fid = f"{form_id}-{name}"
    return rx.el.div(
        rx.el.input(id=fid, name=name, type="checkbox", default_checked=default_checked,
                    class_name="checkbox", data_testid=fid),
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


def empty_state(key: str, icon: str = "inbox") -> rx.Component:
    return rx.el.div(
        rx.icon(icon, size=40, class_name="empty-icon", aria_hidden="true"),
        rx.el.p(t(key)),
        class_name="empty-state",
        data_testid="empty-state",
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

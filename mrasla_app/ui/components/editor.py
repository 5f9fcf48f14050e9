"""The one list-and-form editor of the pages that manage rows (admin pages, the registry's contacts):
the "new …" button, the "new" / "edit" form card, the table or its empty state, the row buttons,
and the state mixins behind the form (``CreateForm``: a blank "new" form; ``RowEditor``: "new" or
"edit this row").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import reflex as rx

from mrasla_app.services.errors import DomainError
from mrasla_app.ui.components.forms import button, card, checkbox_field, empty_state, field, submit, table
from mrasla_app.ui.i18n import t


class RowEditor(rx.State, mixin=True):
    """The list-and-form editing of a page: "new", "edit this row", "cancel".

    Each page declares, with its own row dataclass (an ``id: int`` field, 0 for a new row), the
    rows it lists (``rows: list[Row] = []``) and the row being edited (``edit: Row = Row()``), and
    says what a blank row is (``_blank``): a row id the browser sends is only trusted when it names
    one of the rows the page listed for this actor (``_editable``); the save handler re-checks rights
    in the service.
    """

    if TYPE_CHECKING:  # declared by each page, with its row type (Reflex needs concrete annotations)
        rows: list[Any]  # the rows the page lists (those it may edit, unless ``_editable`` says)
        edit: Any  # the row being edited (id 0 = new)

    editing: bool = False
    form_key: int = 0  # bumped to remount the form with the values of ``edit``

    def _blank(self) -> Any:
        raise NotImplementedError

    def _editable(self) -> list[Any]:
        return self.rows

    def _clear(self) -> None:
        self.rows = []

    def _stop_editing(self) -> None:
        self.editing, self.edit = False, self._blank()

    def _reset_page(self, new_adm: bool) -> None:
        self._stop_editing()

    def _edited_id(self) -> int | None:
        """The id of the row being saved (None: a new one), only if it is one of the rows listed."""
        row_id = int(self.edit.id)
        if not row_id:
            return None
        if row_id not in [r.id for r in self._editable()]:
            raise DomainError("error.not_found")
        return row_id

    def _save_row(self, action: Callable[[Any, Any], object], ok_key: str = "common.saved") -> None:
        """Save the form's row (``action(session, actor)``, see ``AdminState._run``); close the form once done."""
        if self._run(action, ok_key):
            self._stop_editing()

    @rx.event
    def new(self):
        self.edit, self.editing = self._blank(), True
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def start_edit(self, row_id: str):
        row = next((r for r in self._editable() if str(r.id) == str(row_id)), None)
        self.edit, self.editing = (dataclasses.replace(row), True) if row else (self._blank(), False)
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def cancel(self):
        self._stop_editing()


class CreateForm(rx.State, mixin=True):
    """A page whose list has a "new …" form that opens above it (delegations, holidays, contacts…)."""

    creating: bool = False
    form_key: int = 0  # bumped to remount the form empty

    def _reset_page(self, new_adm: bool) -> None:
        self.creating = False

    @rx.event
    def open_create(self):
        self.creating = True
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def close(self):
        self.creating = False


def form_texts(form: Any, **limits: int) -> dict[str, Any]:
    """The text fields of a submitted form named in ``limits``, each cut to its limit (0: as sent);
    a form that is not a dict gives empty texts."""
    form = form if isinstance(form, dict) else {}
    return {name: str(form.get(name, "") or "")[: limit or None] for name, limit in limits.items()}


def new_toolbar(hidden: Any, label_key: str, on_click: Any, testid: str) -> rx.Component:
    """The page's "new …" button, hidden while its form is open."""
    return rx.cond(~hidden, rx.el.div(button(label_key, on_click=on_click, data_testid=testid), class_name="toolbar"))


def editor_card(
    title: Any,
    title_id: str,
    controls: list[Any],
    *,
    on_submit: Any,
    on_cancel: Any,
    key: Any,
    submit_testid: str,
    submit_key: str = "common.create",
    extras: tuple[Any, ...] = (),
    before: tuple[Any, ...] = (),
    **form_props: Any,
) -> rx.Component:
    """The "new" / "edit" form of an admin page: a title (then ``before``), a grid of ``controls``,
    then ``extras`` (checkboxes, hints) and the submit and cancel buttons. ``key`` remounts it with
    fresh values."""
    return card(
        rx.el.h2(title, class_name="section-title", id=title_id),
        *before,
        rx.el.form(
            rx.el.div(*controls, class_name="form-grid"),
            *extras,
            rx.el.div(
                submit(submit_key, submit_testid),
                button("common.cancel", kind="ghost", on_click=on_cancel),
                class_name="actions",
            ),
            on_submit=on_submit,
            class_name="form",
            key=key,
            **form_props,
        ),
        aria_labelledby=title_id,
    )


def row_editor_card(
    state: Any, form_id: str, title: str | tuple[str, str], controls: list[Any], **props: Any
) -> rx.Component:
    """The form of a ``RowEditor`` page (its ``save`` and ``cancel``), ``form_id`` naming its title
    (``{form_id}-form-title``) and its save button (``{form_id}-save``); ``title`` is a message key,
    or the (new, edit) pair of keys."""
    if isinstance(title, tuple):
        title_text = rx.cond(state.edit.id == 0, t(title[0]), t(title[1]))
    else:
        title_text = t(title)
    return editor_card(
        title_text,
        f"{form_id}-form-title",
        controls,
        on_submit=state.save,
        on_cancel=state.cancel,
        key=state.form_key,
        submit_testid=f"{form_id}-save",
        submit_key="common.save",
        **props,
    )


def row_editor_top(
    state: Any, new_key: str, new_testid: str, form: rx.Component, *, hidden: Any = None
) -> rx.Component:
    """Above a ``RowEditor`` page's list: its "new …" button (hidden while editing, or by ``hidden``)
    and, while a row is edited, its form."""
    hide = state.editing if hidden is None else state.editing | hidden
    return rx.fragment(new_toolbar(hide, new_key, state.new, new_testid), rx.cond(state.editing, form))


def row_end_cells(state: Any, row: Any, edit_testid: str) -> tuple[rx.Component, rx.Component]:
    """The last cells of a ``RowEditor`` row (``id``, ``code``, ``active``): whether it is in use, and
    its edit button (test id ``edit_testid`` + the row's code)."""
    return (
        rx.el.td(active_badge(row.active)),
        rx.el.td(edit_button(state.start_edit(row.id.to_string()), edit_testid + row.code)),
    )


def code_field(form_id: str, state: Any, hint_key: str, **props: Any) -> rx.Component:
    """The required code of a ``RowEditor`` row (plain letters and digits, left to right)."""
    return field(
        form_id,
        "code",
        "field.code",
        required=True,
        default_value=state.edit.code,
        dir="ltr",
        hint_key=hint_key,
        **props,
    )


def active_field(form_id: str, state: Any) -> rx.Component:
    """The "in use" checkbox of a ``RowEditor`` form, checked as the edited row is."""
    return checkbox_field(form_id, "active", "field.active", default_checked=state.edit.active)


def rows_table(
    rows: Any, head_keys: list[str], row: Callable[[Any], rx.Component], testid: str, empty_key: str, icon: str
) -> rx.Component:
    """The page's list: a table of ``rows`` (one ``row`` each), or an empty state when there are none."""
    return rx.cond(
        rows.length() > 0, table(head_keys, rx.foreach(rows, row), data_testid=testid), empty_state(empty_key, icon)
    )


def row_button(label_key: str, on_click: Any, testid: Any, kind: str = "secondary") -> rx.Component:
    """A small action button of a table row."""
    return rx.el.button(
        t(label_key), type="button", class_name=f"btn btn-small btn-{kind}", on_click=on_click, data_testid=testid
    )


def edit_button(on_click: Any, testid: Any) -> rx.Component:
    """A row's "edit" button (it opens the page's form with the row's values)."""
    return rx.el.button(
        rx.icon("pencil", size=16, aria_hidden="true"),
        rx.el.span(t("common.edit")),
        type="button",
        class_name="btn btn-small btn-secondary",
        on_click=on_click,
        data_testid=testid,
    )


def active_badge(
    active: Any, on_key: str = "common.active", off_key: str = "common.inactive", off_class: str = "badge"
) -> rx.Component:
    """Whether a row is in use (True) or not (False), as a badge."""
    return rx.cond(
        active, rx.el.span(t(on_key), class_name="badge badge-ok"), rx.el.span(t(off_key), class_name=off_class)
    )

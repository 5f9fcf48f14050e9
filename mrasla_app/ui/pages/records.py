"""``/records``: the archivists' page. Letters whose retention ended (the daily retention job marks
them) are reviewed and confirmed one by one or as a batch: transfer to the archives (a SEDA 2.2 +
BagIt package, then the archives' acknowledgement), destruction (a sealed certificate), or keep
longer. ``services.records.retention`` checks the archivist role again in every call.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.records import retention
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import card, empty_state, field, messages, page_title, section_title, submit
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import t
from mrasla_app.ui.state import SessionState

ROUTE = routes.RECORDS
PAGE = "records"
TITLE = "Mrasla — Archives · الأرشيف"
API = "/api/v1/disposals/"


def _decide(kind: str, actor: Actor, ids: list[int], form: dict) -> str:
    """One archivist decision in its own transaction (run in a thread: sealing and packaging are slow)."""
    with db.write_session() as session:
        if kind == "transfer":
            retention.transfer(session, actor, ids)
        elif kind == "destroy":
            retention.destroy(session, actor, ids)
        else:
            years = str(form.get("years", ""))
            retention.keep_longer(
                session,
                actor,
                ids,
                int(years) if years.isdigit() and len(years) < 4 else 0,
                str(form.get("reason", ""))[:1200],
            )
    if kind == "destroy":
        with db.write_session() as session:
            retention.purge_disposed(session)
    return {"transfer": "records.transfer_done", "destroy": "records.destroy_done"}.get(kind, "records.kept")


@dataclasses.dataclass
class RecordRow:
    """A letter whose retention ended (``status`` "due"), or one waiting for the archives' acknowledgement."""

    id: int = 0
    number: str = ""
    subject: str = ""
    type: str = ""
    action: str = ""  # the final action: destroy, transfer or review
    status: str = ""
    due: str = ""
    disposal: str = ""  # the pending transfer's reference


@dataclasses.dataclass
class DisposalRow:
    """A transfer or destruction already decided, with the link to its package or certificate."""

    id: int = 0
    reference: str = ""
    kind: str = ""
    count: int = 0
    ack: str = ""
    pending: bool = False  # a transfer still waiting for the archives' acknowledgement
    href: str = ""


class RecordsState(SessionState):
    rows: list[RecordRow] = []
    selected: list[str] = []  # ids of ``rows``, as the checkboxes send them
    disposals: list[DisposalRow] = []
    busy: bool = False

    def _reload(self, actor: Actor) -> None:
        with db.read_session() as session:
            letters = retention.letters(session, actor)
            done = retention.disposals(session, actor)
        self.rows = [
            RecordRow(
                id=x.correspondence_id,
                number=x.registry_number,
                subject=x.subject,
                type=x.document_type,
                action=x.final_action,
                status=x.status,
                due=x.due_on.strftime("%d/%m/%Y") if x.due_on else "",
                disposal=x.disposal_reference,
            )
            for x in letters
        ]
        ids = {str(r.id) for r in self.rows if r.status == "due"}
        self.selected = [i for i in self.selected if i in ids]
        self.disposals = [
            DisposalRow(
                id=d.id,
                reference=d.reference,
                kind=d.kind.value,
                count=n,
                ack=d.acknowledgement,
                pending=d.kind.value == "transfer" and not d.completed_at,
                href=API + str(d.id) + ("/package.zip" if d.kind.value == "transfer" else "/certificate.pdf"),
            )
            for d, n in done
        ]

    @rx.event
    def on_load(self):
        actor, redirect = self._guard(PAGE)
        self.rows, self.disposals, self.selected, self.busy = [], [], [], False
        if actor is None:
            return redirect
        try:
            self._reload(actor)
        except DomainError as exc:
            self._fail(exc)
        return None

    @rx.event
    def toggle(self, row_id: str):
        if row_id in self.selected:
            self.selected = [i for i in self.selected if i != row_id]
        elif any(str(r.id) == row_id and r.status == "due" for r in self.rows):
            self.selected = [*self.selected, row_id]

    @rx.event
    def select_all(self):
        due = [str(r.id) for r in self.rows if r.status == "due"]
        self.selected = [] if set(self.selected) == set(due) else due

    async def _apply(self, kind: str, form: dict) -> AsyncIterator[None]:
        try:
            actor = self._require(PAGE)
            ids = [int(i) for i in self.selected if i.isdigit() and len(i) < 10]
            if not ids:
                raise DomainError("error.nothing_selected")
            self.busy = True
            yield
            key = await asyncio.to_thread(_decide, kind, actor, ids, form if isinstance(form, dict) else {})
            self.selected = []
            self._reload(actor)
            self._ok(key)
        except DomainError as exc:
            self._fail(exc)
        finally:
            self.busy = False

    @rx.event
    async def transfer(self):
        async for _ in self._apply("transfer", {}):
            yield

    @rx.event
    async def destroy(self):
        async for _ in self._apply("destroy", {}):
            yield

    @rx.event
    async def keep(self, form: dict):
        async for _ in self._apply("keep", form):
            yield

    @rx.event
    def acknowledge(self, form: dict):
        f = form if isinstance(form, dict) else {}
        try:
            actor = self._require(PAGE)
            did = str(f.get("disposal_id", ""))
            if not did.isdigit() or len(did) > 9:
                raise DomainError("error.not_found")
            with db.write_session() as session:
                retention.acknowledge(session, actor, int(did), str(f.get("acknowledgement", ""))[:300])
            with db.write_session() as session:
                retention.purge_disposed(session)
            self._reload(actor)
            self._ok("records.acknowledged")
        except DomainError as exc:
            self._fail(exc)


def _row(r: rx.Var) -> rx.Component:
    S = RecordsState
    due = r.status == "due"
    return rx.el.tr(
        rx.el.td(
            rx.cond(
                due,
                rx.el.input(
                    type="checkbox",
                    class_name="checkbox",
                    checked=S.selected.contains(r.id.to_string()),
                    on_change=lambda _v: S.toggle(r.id.to_string()),
                    aria_label=r.number,
                    data_testid="records-select-" + r.id.to_string(),
                ),
            )
        ),
        rx.el.td(rx.el.a(r.number, href=routes.MAIL + "/" + r.id.to_string(), dir="ltr", class_name="mono nowrap")),
        rx.el.td(r.subject),
        rx.el.td(
            r.type,
            rx.el.br(),
            rx.match(
                r.action,
                *[
                    (a, rx.el.span(t(f"records.action.{a}"), class_name="badge"))
                    for a in ("destroy", "transfer", "review")
                ],
                rx.fragment(),
            ),
        ),
        rx.el.td(rx.el.span(r.due, dir="ltr", class_name="nowrap")),
        rx.el.td(
            rx.match(
                r.status,
                ("due", rx.fragment(t("records.status.due"))),
                (
                    "transfer_pending",
                    rx.fragment(
                        t("records.status.transfer_pending"),
                        " ",
                        rx.el.span(r.disposal, dir="ltr", class_name="mono"),
                    ),
                ),
                rx.fragment(r.status),
            )
        ),
        data_testid="records-row-" + r.id.to_string(),
    )


def _actions() -> rx.Component:
    S = RecordsState
    return card(
        section_title("records.decide", id="records-decide-title"),
        rx.el.p(t("records.selected"), " ", rx.el.strong(S.selected.length().to_string()), class_name="muted"),
        rx.el.div(
            rx.el.button(
                t("records.transfer"),
                type="button",
                class_name="btn btn-primary",
                on_click=S.transfer,
                disabled=S.busy,
                data_testid="records-transfer",
            ),
            rx.el.button(
                t("records.destroy"),
                type="button",
                class_name="btn btn-danger",
                on_click=S.destroy,
                disabled=S.busy,
                data_testid="records-destroy",
            ),
            class_name="actions",
        ),
        rx.el.details(
            rx.el.summary(t("records.keep"), class_name="btn btn-ghost btn-small"),
            rx.el.form(
                rx.el.div(
                    field(
                        "records-keep",
                        "years",
                        "records.keep_years",
                        type="number",
                        min=1,
                        max=100,
                        required=True,
                        default_value="5",
                    ),
                    field("records-keep", "reason", "records.reason", required=True, max_length=1000),
                    class_name="form-grid",
                ),
                rx.el.div(submit("records.keep", "records-keep-submit"), class_name="actions"),
                on_submit=S.keep,
                class_name="form",
            ),
            class_name="disclosure",
        ),
        aria_labelledby="records-decide-title",
    )


def _disposal(d: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.icon(rx.cond(d.kind == "transfer", "package", "file-check"), size=18, aria_hidden="true"),
        rx.el.a(
            d.reference,
            href=d.href,
            download=True,
            dir="ltr",
            class_name="file-name mono",
            data_testid="disposal-" + d.reference,
        ),
        rx.el.span(
            rx.cond(d.kind == "transfer", t("records.kind_transfer"), t("records.kind_destruction")),
            " · ",
            d.count.to_string(),
            " ",
            t("records.letters"),
            rx.cond(d.ack != "", rx.fragment(" · ", t("records.ack"), " ", rx.el.span(d.ack, dir="ltr"))),
            class_name="muted",
        ),
        rx.cond(
            d.pending,
            rx.el.form(
                rx.el.input(type="hidden", name="disposal_id", value=d.id.to_string()),
                rx.el.label(t("records.ack_label"), html_for="ack-" + d.id.to_string(), class_name="label"),
                rx.el.input(
                    id="ack-" + d.id.to_string(),
                    name="acknowledgement",
                    required=True,
                    max_length=255,
                    class_name="input",
                    dir="ltr",
                    data_testid="records-ack-" + d.reference,
                ),
                rx.el.div(
                    rx.el.button(t("records.acknowledge"), type="submit", class_name="btn btn-small btn-primary"),
                    class_name="actions",
                ),
                on_submit=RecordsState.acknowledge,
                class_name="form disposal-form",
            ),
        ),
        class_name="pf-file",
    )


def page() -> rx.Component:
    S = RecordsState
    return layout(
        page_title("records.title"),
        rx.el.p(t("records.intro"), class_name="lead"),
        messages(S),
        rx.cond(
            S.rows.length() > 0,
            rx.fragment(
                _actions(),
                rx.el.div(
                    rx.el.table(
                        rx.el.thead(
                            rx.el.tr(
                                rx.el.th(
                                    rx.el.button(
                                        t("records.all"),
                                        type="button",
                                        class_name="btn btn-ghost btn-small",
                                        on_click=S.select_all,
                                        data_testid="records-all",
                                    ),
                                    scope="col",
                                ),
                                *[
                                    rx.el.th(t(k), scope="col")
                                    for k in (
                                        "records.number",
                                        "records.subject",
                                        "records.type",
                                        "records.due",
                                        "records.status",
                                    )
                                ],
                            )
                        ),
                        rx.el.tbody(rx.foreach(S.rows, _row)),
                        class_name="table",
                        data_testid="records-table",
                    ),
                    class_name="table-wrap",
                ),
            ),
            empty_state("records.empty", "archive"),
        ),
        card(
            section_title("records.history", id="records-history-title"),
            rx.cond(
                S.disposals.length() > 0,
                rx.el.ul(rx.foreach(S.disposals, _disposal), class_name="pf-files"),
                rx.el.p(t("records.no_history"), class_name="muted"),
            ),
            aria_labelledby="records-history-title",
        ),
        active=PAGE,
        wide=True,
    )


ON_LOAD = RecordsState.on_load

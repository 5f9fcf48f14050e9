"""``/inbox``: the agents' queues — counts, filters, search, sort and keyset "load more".

Everything shown comes from ``services.inbox`` (scoped to the actor); the keyset cursor stays in a
backend var, and every handler re-resolves the actor from the session cookie.
"""

from __future__ import annotations

from datetime import date

import reflex as rx
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.services.correspondence import inbox, scoping
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.records import file_plan
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import Choice, unit_choices
from mrasla_app.ui.components.dates import day_input, parse_day
from mrasla_app.ui.components.forms import empty_state, messages, more_button, option, page_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.mail import (
    DIRECTIONS,
    PRIORITIES,
    STATUSES,
    MailRow,
    confidential_badge,
    deadline_cell,
    holidays,
    list_row,
    priority_badge,
    status_badge,
)
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.state import SessionState

ROUTE = routes.INBOX
PAGE = "inbox"
QUEUES = [q.value for q in inbox.Queue]
SORTS = [s.value for s in inbox.Sort]
PAGE_SIZE = 25
FILTERS = ("direction", "status", "priority", "date_from", "date_to", "unit", "sender", "plan", "doctype", "tag")
# The records filters and the state list of their options (file plan, document types, tags)
RECORD_FILTERS = {"plan": "plan_nodes", "doctype": "doc_types", "tag": "tags"}


def _day(value: str) -> date | None:
    """A filter day as typed (``jj/mm/aaaa`` or ISO from a bookmarked link); None when not a day."""
    try:
        return parse_day(value)
    except DomainError:
        return None


def unit_options(session, actor: Actor) -> list[Choice]:
    """Units the actor may filter on: the whole administration for the registry, else their scope."""
    if not actor.administration_id:
        return []
    nodes = directory.unit_tree(session, actor.administration_id, active_only=True)
    scope = None if actor.has_role("clerk") else scoping.unit_scope(session, actor)
    return unit_choices(n for n in nodes if scope is None or n.unit.id in scope)


def _opt(f: dict[str, str], name: str) -> int | None:
    value = f.get(name, "")
    return int(value) if value.isdigit() else None


class InboxState(SessionState):
    queue: str = "all"
    queues: list[str] = []
    counts: dict[str, int] = {}
    rows: list[MailRow] = []
    has_more: bool = False
    loaded: bool = False
    q: str = ""
    sort: str = "newest"
    filters: dict[str, str] = {}
    filter_count: int = 0
    units: list[Choice] = []
    plan_nodes: list[Choice] = []  # the administration's file plan
    doc_types: list[Choice] = []
    tags: list[Choice] = []
    form_key: int = 0
    _cursor: str = ""

    def _load_plan(self, session, actor: Actor) -> None:
        self.plan_nodes, self.doc_types, self.tags = [], [], []
        if not actor.administration_id:
            return
        p = file_plan.plan(session, actor, actor.administration_id, fields=False)
        self.plan_nodes = [Choice(n.id, f"{n.code} {n.name_ar}", f"{n.code} {n.name_fr}") for n in p.nodes]
        self.doc_types = [Choice(d.id, d.name_ar, d.name_fr) for d in p.types]
        self.tags = [Choice(g.id, g.label, g.label) for g in p.tags]

    def _filter(self) -> inbox.InboxFilter:
        f = self.filters
        unit = f.get("unit", "")
        return inbox.InboxFilter(
            queue=inbox.Queue(self.queue),
            direction=f.get("direction", ""),
            status=f.get("status", ""),
            priority=f.get("priority", ""),
            date_from=_day(f.get("date_from", "")),
            date_to=_day(f.get("date_to", "")),
            unit_id=int(unit) if unit.isdigit() else None,
            sender=f.get("sender", ""),
            q=self.q,
            sort=inbox.Sort(self.sort),
            file_plan_node_id=_opt(f, "plan"),
            document_type_id=_opt(f, "doctype"),
            tag_id=_opt(f, "tag"),
        )

    def _fetch(self, session: Session, actor: Actor, *, more: bool = False) -> None:
        rows, cursor = inbox.page(session, actor, self._filter(), after=self._cursor if more else "", limit=PAGE_SIZE)
        off = holidays(session, actor.administration_id)
        if not more:
            self.counts = inbox.counts(session, actor)
        new = [list_row(r, off) for r in rows]
        self.rows = (self.rows + new) if more else new
        self._cursor, self.has_more = cursor, bool(cursor)
        self.loaded = True

    def _clear(self) -> None:
        self.rows, self.counts, self.units, self.queues = [], {}, [], []
        self._cursor, self.has_more, self.loaded = "", False, False

    def _run(self, more: bool = False) -> None:
        """Fetch for a freshly resolved actor, in one read."""
        with db.read_session() as session:
            self._read(session, more=more)

    def _read(self, session: Session, actor: Actor | None = None, *, more: bool = False, options: bool = False) -> None:
        """Fetch for the actor just resolved by ``on_load``'s guard, or for a freshly resolved one; with
        ``options``, the filters' units and file plan first."""
        try:
            actor = actor or self._require(PAGE, session)
            if options:
                self.units = unit_options(session, actor)
                self._load_plan(session, actor)
            self._fetch(session, actor, more=more)
        except DomainError as exc:
            self._clear()
            self._fail(exc)

    @rx.event
    def on_load(self):
        with db.read_session() as session:  # the actor and the page in one read
            actor, redirect = self._guard(PAGE, session)
            self._clear()
            if actor is None:
                return redirect
            self.queues = [q for q in QUEUES if q != "to_qualify" or actor.has_role("clerk")]
            if self.queue not in self.queues:
                self.queue = "all"
            self._read(session, actor, options=True)  # the guard resolved and checked the actor in this very event
        return None

    @rx.event
    def refresh(self):
        self._run()

    @rx.event
    def set_queue(self, queue: str):
        self.queue = queue if queue in self.queues else "all"
        self._run()

    @rx.event
    def search(self, form: dict):
        self.q = str(form.get("q", ""))[:200]
        if self.q.strip() and self.sort == "newest":
            self.sort = "relevance"  # a search shows its best matches first
        elif not self.q.strip() and self.sort == "relevance":
            self.sort = "newest"
        self._run()

    @rx.event
    def set_sort(self, value: str):
        self.sort = value if value in SORTS else "newest"
        self._run()

    @rx.event
    def apply_filters(self, form: dict):
        clean: dict[str, str] = {}
        for name in FILTERS:
            value = str(form.get(name, "")).strip()[:120]
            if name == "direction" and value not in DIRECTIONS:
                value = ""
            if name == "status" and value not in STATUSES:
                value = ""
            if name == "priority" and value not in PRIORITIES:
                value = ""
            if name in ("date_from", "date_to") and _day(value) is None:
                value = ""
            if name == "unit" and value not in [str(u.id) for u in self.units]:
                value = ""
            if name in RECORD_FILTERS and value not in [str(o.id) for o in getattr(self, RECORD_FILTERS[name])]:
                value = ""
            if value:
                clean[name] = value
        self.filters, self.filter_count = clean, len(clean)
        self._run()

    @rx.event
    def reset_filters(self):
        self.filters, self.filter_count, self.q = {}, 0, ""
        self.form_key += 1
        self._run()

    @rx.event
    def load_more(self):
        if self._cursor:
            self._run(more=True)


# --- components -------------------------------------------------------------------------------------


def _tab(queue: rx.Var) -> rx.Component:
    S = InboxState
    active = S.queue == queue
    return rx.el.button(
        rx.el.span(t_choice(queue, "queue.", QUEUES)),
        rx.el.span(
            S.counts[queue].to_string(),
            class_name=rx.cond(S.counts[queue] > 0, "count count-on", "count"),
            data_testid="queue-count-" + queue,
        ),
        type="button",
        on_click=S.set_queue(queue),
        class_name=rx.cond(active, "qtab is-active", "qtab"),
        aria_pressed=rx.cond(active, "true", "false"),
        data_testid="queue-" + queue,
    )


def _select(name: str, label_key: str, options: list, default) -> rx.Component:
    fid = f"filter-{name}"
    return rx.el.div(
        rx.el.label(t(label_key), html_for=fid, class_name="label"),
        rx.el.select(*options, id=fid, name=name, default_value=default, class_name="input select", data_testid=fid),
        class_name="field",
    )


def _choice(o: rx.Var) -> rx.Component:
    return rx.el.option(pick(o.label_ar, o.label_fr), value=o.id.to_string())


def _fv(name: str) -> rx.Var:
    return rx.cond(InboxState.filters.contains(name), InboxState.filters[name], "")


def _filters() -> rx.Component:
    S = InboxState
    return rx.el.details(
        rx.el.summary(
            rx.icon("sliders-horizontal", size=18, aria_hidden="true"),
            rx.el.span(t("inbox.filters")),
            rx.cond(S.filter_count > 0, rx.el.span(S.filter_count.to_string(), class_name="count count-on")),
            class_name="btn btn-ghost summary-btn",
            data_testid="inbox-filters-toggle",
        ),
        rx.el.form(
            rx.el.div(
                _select(
                    "direction",
                    "mail.direction",
                    [option("", t("common.all"))] + [option(d, t(f"direction.{d}")) for d in DIRECTIONS],
                    _fv("direction"),
                ),
                _select(
                    "status",
                    "field.status",
                    [option("", t("common.all"))] + [option(s, t(f"status.{s}")) for s in STATUSES],
                    _fv("status"),
                ),
                _select(
                    "priority",
                    "mail.priority",
                    [option("", t("common.all"))] + [option(p, t(f"priority.{p}")) for p in PRIORITIES],
                    _fv("priority"),
                ),
                _select(
                    "unit",
                    "mail.action_unit",
                    [
                        option("", t("common.all")),
                        rx.foreach(S.units, _choice),
                    ],
                    _fv("unit"),
                ),
                *[
                    _select(
                        name,
                        key,
                        [
                            option("", t("common.all")),
                            rx.foreach(getattr(S, attr), _choice),
                        ],
                        _fv(name),
                    )
                    for name, key, attr in (
                        ("plan", "records.file_plan_node", "plan_nodes"),
                        ("doctype", "records.document_type", "doc_types"),
                        ("tag", "records.tag", "tags"),
                    )
                ],
                rx.el.div(
                    rx.el.label(t("inbox.date_from"), html_for="filter-date_from", class_name="label"),
                    day_input(
                        "filter-date_from", "date_from", default_value=_fv("date_from"), data_testid="filter-date_from"
                    ),
                    class_name="field",
                ),
                rx.el.div(
                    rx.el.label(t("inbox.date_to"), html_for="filter-date_to", class_name="label"),
                    day_input("filter-date_to", "date_to", default_value=_fv("date_to"), data_testid="filter-date_to"),
                    class_name="field",
                ),
                rx.el.div(
                    rx.el.label(t("mail.sender"), html_for="filter-sender", class_name="label"),
                    rx.el.input(
                        id="filter-sender",
                        name="sender",
                        type="text",
                        class_name="input",
                        default_value=_fv("sender"),
                        max_length=120,
                        data_testid="filter-sender",
                    ),
                    class_name="field",
                ),
                class_name="form-grid filters-grid",
            ),
            rx.el.div(
                rx.el.button(t("inbox.apply"), type="submit", class_name="btn btn-primary", data_testid="filter-apply"),
                rx.el.button(
                    t("inbox.reset"),
                    type="button",
                    on_click=S.reset_filters,
                    class_name="btn btn-ghost",
                    data_testid="filter-reset",
                ),
                class_name="actions",
            ),
            on_submit=S.apply_filters,
            class_name="form filters-form",
            key=S.form_key,
        ),
        class_name="filters",
    )


def _toolbar() -> rx.Component:
    S = InboxState
    return rx.el.div(
        rx.el.form(
            rx.el.label(t("inbox.search_label"), html_for="inbox-search", class_name="sr-only"),
            rx.el.input(
                id="inbox-search",
                name="q",
                type="search",
                default_value=S.q,
                class_name="input",
                placeholder=t("inbox.search_placeholder"),
                max_length=200,
                auto_complete="off",
                data_testid="inbox-search",
            ),
            rx.el.button(
                rx.icon("search", size=18, aria_hidden="true"),
                rx.el.span(t("inbox.search"), class_name="hide-sm"),
                type="submit",
                class_name="btn btn-primary",
                aria_label=t("inbox.search"),
                data_testid="inbox-search-submit",
            ),
            on_submit=S.search,
            role="search",
            class_name="search-form",
            key=S.form_key,
        ),
        rx.el.div(
            rx.el.label(t("inbox.sort"), html_for="inbox-sort", class_name="label"),
            rx.el.select(
                *[option(s, t(f"sort.{s}")) for s in SORTS],
                id="inbox-sort",
                value=S.sort,
                on_change=S.set_sort,
                class_name="input select",
                data_testid="inbox-sort",
            ),
            class_name="sort-field",
        ),
        class_name="inbox-toolbar",
    )


def mail_row(r: rx.Var, testid_prefix: str = "inbox-row-") -> rx.Component:
    """One correspondence as a link: a table-like row on desktop, a card on tablets and phones."""
    return rx.el.a(
        rx.el.span(
            rx.el.code(r.number, dir="ltr", class_name="mr-number"),
            rx.el.span(r.at, dir="ltr", class_name="mr-date muted"),
            class_name="mr-cell mr-id",
        ),
        rx.el.span(
            rx.el.span(r.subject, class_name="mr-subject"),
            rx.el.span(pick(r.sender_ar, r.sender), class_name="mr-sender muted", dir="auto"),
            rx.cond(
                r.snip_hit != "",
                rx.el.span(
                    rx.el.span(t("inbox.snippet_label"), class_name="mr-snippet-label"),
                    " ",
                    rx.el.bdi(r.snip_before, " ", rx.el.mark(r.snip_hit), " ", r.snip_after),
                    class_name="mr-snippet muted",
                    data_testid="inbox-snippet",
                ),
            ),
            class_name="mr-cell mr-main",
        ),
        rx.el.span(
            status_badge(r.status),
            priority_badge(r.priority),
            confidential_badge(r.confidential),
            class_name="mr-cell mr-badges",
        ),
        rx.el.span(pick(r.unit_ar, r.unit_fr), class_name="mr-cell mr-unit muted"),
        rx.el.span(deadline_cell(r), class_name="mr-cell mr-deadline"),
        href=r.href,
        class_name="mail-row",
        data_testid=testid_prefix + r.slug,
    )


def mail_list_head() -> rx.Component:
    return rx.el.div(
        rx.el.span(t("mail.number"), class_name="mr-cell mr-id"),
        rx.el.span(t("mail.subject_sender"), class_name="mr-cell mr-main"),
        rx.el.span(t("field.status"), class_name="mr-cell mr-badges"),
        rx.el.span(t("mail.action_unit"), class_name="mr-cell mr-unit"),
        rx.el.span(t("mail.deadline"), class_name="mr-cell mr-deadline"),
        class_name="mail-row mail-head",
        aria_hidden="true",
    )


def page() -> rx.Component:
    S = InboxState
    return layout(
        page_title("inbox.title"),
        messages(S),
        rx.el.nav(
            rx.foreach(S.queues, _tab), class_name="qtabs", aria_label=t("inbox.queues"), data_testid="inbox-queues"
        ),
        _toolbar(),
        _filters(),
        rx.cond(
            S.rows.length() > 0,
            rx.el.div(
                mail_list_head(),
                rx.foreach(S.rows, lambda r: mail_row(r)),
                class_name="mail-list",
                data_testid="inbox-list",
            ),
            rx.cond(S.loaded, empty_state(rx.cond(S.q != "", t("inbox.no_results"), t("inbox.empty")), boxed=True)),
        ),
        rx.cond(S.has_more, more_button(S.load_more, "inbox-more")),
        active=PAGE,
        wide=True,
    )


ON_LOAD = InboxState.on_load
TITLE = "Mrasla — Courrier · المراسلات"

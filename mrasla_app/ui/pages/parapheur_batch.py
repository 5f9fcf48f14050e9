"""``/parapheur/batch``: many folders of "to sign" (``?d=sign``) or "to visa" (``?d=visa``) at once.

The signatory reviews a compact list (subject, reference, pages, initiator, earlier decisions),
ticks folders one by one, all, or all those waiting at one circuit step, enters the PIN ONCE and
confirms. ``services.parapheur.batch.open_batch`` then unlocks the key once, and each folder is
decided on in its own transaction (``act_one``, in a worker thread); the handler yields after each
folder, so the page shows the progress folder by folder and, at the end, the outcome of each.

The folders and the steps they were reviewed at are kept server-side (``_seen``): the browser
only sends which of them are ticked, and a ticked id that was not offered is ignored. The PIN is
read from the form at submit (an uncontrolled input) and is never put in the state.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import batch, signing_keys
from mrasla_app.ui import routes
from mrasla_app.ui.components.detail import back_link, fresh_actor
from mrasla_app.ui.components.forms import card, messages, page_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.page_viewer import pin_input
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.state import SessionState

ROUTE = routes.PARAPHEUR_BATCH
PAGE = "parapheur"
KINDS = {"sign": "signed", "visa": "approved"}  # the page's ``?d=`` -> the batch decision


def _decisions(previous: tuple[tuple[str, str], ...], lang: str) -> str:
    """ "Visé (name) · Signé (name)": the earlier decisions of a folder, in ``lang``."""
    return " · ".join(f"{translate('parapheur.decision.' + d, lang)} ({who})" for d, who in previous)


@dataclasses.dataclass
class BatchRow:
    """A folder offered in the batch: ``step*`` names its current step, ``previous*`` the earlier
    decisions, ``obo*`` whom the actor acts for ("" when for themselves); ``pin``: a personal
    signature (a seal needs no PIN)."""

    id: int = 0
    reference: str = ""
    title: str = ""
    pages: int = 0
    initiator: str = ""
    initiator_ar: str = ""
    step: str = ""
    step_ar: str = ""
    pin: bool = False
    href: str = ""
    previous: str = ""
    previous_ar: str = ""
    previous_en: str = ""
    obo: str = ""
    obo_ar: str = ""


@dataclasses.dataclass
class StepGroup:
    """Folders waiting at the same circuit step (a "tick them all" button)."""

    step: str = ""
    step_ar: str = ""
    count: int = 0


@dataclasses.dataclass
class BatchResult:
    """The outcome of one folder of the batch."""

    id: int = 0
    reference: str = ""
    ok: bool = False
    error_ar: str = ""
    error_fr: str = ""
    error_en: str = ""
    href: str = ""


class SignBatchState(SessionState):
    kind: str = "sign"
    rows: list[BatchRow] = []
    groups: list[StepGroup] = []
    selected: list[str] = []
    loaded: bool = False
    running: bool = False
    total: int = 0
    done: int = 0
    results: list[BatchResult] = []
    key_problem: str = ""  # an error.* key when the actor cannot sign (checked before the PIN)
    form_key: int = 0
    _seen: dict[int, int] = {}  # folder id -> the step id it was reviewed at

    @rx.var
    def needs_pin(self) -> bool:
        """Some ticked folder waits for a personal signature (seals need no PIN)."""
        return any(r.pin for r in self.rows if str(r.id) in self.selected)

    def _fetch(self) -> None:
        actor = self._require(PAGE)
        decision = KINDS[self.kind]
        with db.read_session() as session:
            rows = batch.review(session, actor, decision)
            self.key_problem = (
                signing_keys.key_problem(signing_keys.active_key(session, actor.user_id))
                if any(r.kind == "signature" for r in rows)
                else ""
            )
        self._seen = {r.folder_id: r.step_id for r in rows}
        self.rows = [
            BatchRow(
                id=r.folder_id,
                reference=r.reference,
                title=r.title,
                pages=r.pages,
                initiator=r.initiator,
                initiator_ar=r.initiator_ar,
                step=r.step_label,
                step_ar=r.step_label_ar,
                pin=r.kind == "signature",
                href=routes.folder_url(r.folder_id),
                previous=_decisions(r.previous, "fr"),
                previous_ar=_decisions(r.previous_ar, "ar"),
                previous_en=_decisions(r.previous, "en"),
                obo=r.on_behalf_of,
                obo_ar=r.on_behalf_of_ar,
            )
            for r in rows
        ]
        counts: dict[tuple[str, str], int] = {}
        for r in rows:
            counts[(r.step_label, r.step_label_ar)] = counts.get((r.step_label, r.step_label_ar), 0) + 1
        self.groups = [StepGroup(fr, ar, n) for (fr, ar), n in counts.items()] if len(counts) > 1 else []
        self.selected = [s for s in self.selected if int(s) in self._seen]
        self.loaded = True

    def _reset(self) -> None:
        self.rows, self.groups, self.selected, self.results, self._seen = [], [], [], [], {}
        self.loaded = self.running = False
        self.total = self.done = 0

    @rx.event
    def on_load(self):
        actor, redirect = self._guard(PAGE)
        self._reset()
        if actor is None:
            return redirect
        wanted = str(self.router.page.params.get("d", "") or "sign")
        self.kind = wanted if wanted in KINDS else "sign"
        try:
            self._fetch()
        except DomainError as exc:
            self._fail(exc)
        return None

    @rx.event
    def toggle(self, folder_id: str):
        if self.running or not str(folder_id).isdigit() or int(folder_id) not in self._seen:
            return
        self.selected = (
            [s for s in self.selected if s != folder_id]
            if folder_id in self.selected
            else [*self.selected, str(folder_id)]
        )

    @rx.event
    def select_all(self):
        if not self.running:
            self.selected = [str(r.id) for r in self.rows]

    @rx.event
    def select_none(self):
        if not self.running:
            self.selected = []

    @rx.event
    def select_step(self, step: str):
        """Every folder waiting at this circuit step (added to the selection)."""
        if not self.running:
            ids = [str(r.id) for r in self.rows if r.step == step]
            self.selected = [*self.selected, *(i for i in ids if i not in self.selected)]

    @rx.event
    async def submit(self, form: dict):
        """Unlock once, then each ticked folder in its own transaction; the state is sent to the page
        after each folder (the progress bar and the report fill in as the batch goes)."""
        if self.running or (actor := fresh_actor(self, PAGE)) is None:
            return
        order = [r.id for r in self.rows if str(r.id) in self.selected]
        items = [batch.Item(fid, self._seen[fid]) for fid in order if fid in self._seen]
        if not items:
            self._fail(DomainError("error.batch_empty"))
            return
        decision = KINDS[self.kind]
        form = form if isinstance(form, dict) else {}
        pin = str(form.get("pin", ""))[:32] if decision == "signed" else None
        self._clear_messages()
        self.running, self.total, self.done, self.results = True, len(items), 0, []
        self.form_key += 1  # the PIN field is emptied at once
        yield
        try:
            credential = await asyncio.to_thread(batch.open_batch, actor, decision, pin, items)
        except DomainError as exc:
            self.running, self.total = False, 0
            self._fail(exc)
            return
        finally:
            pin = None
        for item in items:
            outcome = await asyncio.to_thread(batch.act_one, actor, decision, item, credential)
            self.done += 1
            errors = {
                lang: translate(outcome.error, lang, **(outcome.params or {})) if outcome.error else ""
                for lang in ("ar", "fr", "en")
            }
            self.results = [
                *self.results,
                BatchResult(
                    id=outcome.folder_id,
                    reference=outcome.reference or f"#{outcome.folder_id}",
                    ok=bool(outcome.ok),
                    error_ar=errors["ar"],
                    error_fr=errors["fr"],
                    error_en=errors["en"],
                    href=routes.folder_url(outcome.folder_id),
                ),
            ]
            yield
        credential = None  # noqa: F841 - the unlocked key is not kept
        self.running = False
        ok = sum(1 for r in self.results if r.ok)
        self.selected = []
        try:
            self._fetch()
        except DomainError as exc:
            self._fail(exc)
            return
        self._clear_messages()
        key = "pb.done_all" if ok == len(self.results) else "pb.done_some"
        self.notice_ar, self.notice_fr, self.notice_en = (
            translate(key, lang, ok=ok, total=len(self.results)) for lang in ("ar", "fr", "en")
        )


# --- components -------------------------------------------------------------------------------------

S = SignBatchState


def _kind_tab(kind: str) -> rx.Component:
    return rx.el.a(
        t(f"pb.kind.{kind}"),
        href=routes.batch_url(kind),
        class_name=rx.cond(S.kind == kind, "segment is-on", "segment"),
        aria_current=rx.cond(S.kind == kind, "page", "false"),
        data_testid=f"pb-kind-{kind}",
    )


def _row(r: rx.Var) -> rx.Component:
    checked = S.selected.contains(r.id.to_string())
    return rx.el.li(
        rx.el.label(
            rx.el.input(
                type="checkbox",
                checked=checked,
                on_change=S.toggle(r.id.to_string()),
                disabled=S.running,
                class_name="pb-check",
                data_testid="pb-check-" + r.id.to_string(),
            ),
            rx.el.span(
                rx.el.span(
                    rx.el.code(r.reference, dir="ltr", class_name="mr-number"),
                    rx.el.span(r.pages.to_string(), " ", t("pb.pages"), class_name="muted"),
                    rx.el.span(pick(r.step_ar, r.step), class_name="pf-step-chip"),
                    class_name="pb-meta",
                ),
                rx.el.span(r.title, class_name="pb-title", dir="auto"),
                rx.el.span(
                    t("pf.initiator"),
                    " : ",
                    pick(r.initiator_ar, r.initiator),
                    rx.cond(r.obo != "", rx.el.span(" · ", t("pb.for"), " ", pick(r.obo_ar, r.obo))),
                    class_name="muted pb-line",
                ),
                rx.cond(
                    r.previous != "",
                    rx.el.span(
                        rx.icon("history", size=14, aria_hidden="true"),
                        pick(r.previous_ar, r.previous, r.previous_en),
                        class_name="muted pb-line pb-prev",
                    ),
                ),
                class_name="pb-body",
            ),
            class_name=rx.cond(checked, "pb-item is-on", "pb-item"),
        ),
        rx.el.a(
            rx.icon("external-link", size=16, aria_hidden="true"),
            href=r.href,
            class_name="pb-open",
            aria_label=t("pb.open"),
            target="_blank",
        ),
        class_name="pb-li",
        data_testid="pb-row-" + r.id.to_string(),
    )


def _result(r: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.cond(
            r.ok,
            rx.icon("circle-check", size=18, class_name="ok", aria_hidden="true"),
            rx.icon("circle-x", size=18, class_name="bad", aria_hidden="true"),
        ),
        rx.el.a(rx.el.code(r.reference, dir="ltr"), href=r.href),
        rx.cond(
            r.ok,
            rx.el.span(rx.cond(SignBatchState.kind == "sign", t("pb.ok.sign"), t("pb.ok.visa"))),
            rx.el.span(pick(r.error_ar, r.error_fr, r.error_en), class_name="bad"),
        ),
        class_name="pb-result",
        data_testid="pb-result-" + r.id.to_string(),
        data_ok=rx.cond(r.ok, "1", ""),
    )


def _confirm() -> rx.Component:
    count = S.selected.length()
    return rx.el.form(
        rx.cond(
            S.needs_pin,
            rx.el.div(
                rx.el.label(t("pb.pin"), html_for="pb-pin", class_name="label"),
                pin_input(
                    "pb-pin",
                    testid="pb-pin",
                    strict=False,
                    pattern="[0-9]*",
                    auto_complete="off",
                    class_name="input pf-pin pb-pin",
                    disabled=S.running,
                ),
                class_name="field pb-pin-field",
            ),
        ),
        rx.el.button(
            rx.cond(
                S.running,
                rx.icon("loader-circle", size=18, class_name="spin", aria_hidden="true"),
                rx.icon(rx.cond(S.kind == "sign", "pen-line", "stamp"), size=18, aria_hidden="true"),
            ),
            rx.cond(S.kind == "sign", t("pb.do.sign"), t("pb.do.visa")),
            " (",
            count.to_string(),
            ")",
            type="submit",
            disabled=S.running | (count == 0) | (S.needs_pin & (S.key_problem != "")),
            class_name="btn btn-primary pb-go",
            data_testid="pb-submit",
        ),
        on_submit=S.submit,
        key=S.form_key,
        class_name="pb-confirm",
        data_testid="pb-confirm",
    )


def page() -> rx.Component:
    return layout(
        back_link("pf.back", routes.PARAPHEUR),
        page_title("pb.title"),
        rx.el.nav(_kind_tab("sign"), _kind_tab("visa"), class_name="segmented pb-kinds", aria_label=t("pb.title")),
        rx.el.p(rx.cond(S.kind == "sign", t("pb.intro.sign"), t("pb.intro.visa")), class_name="lead"),
        messages(S),
        rx.cond(
            S.key_problem != "",
            rx.el.p(
                t_choice(
                    S.key_problem,
                    "",
                    [
                        "error.no_signing_key",
                        "error.signing_key_revoked",
                        "error.signing_key_locked",
                        "error.certificate_expired",
                    ],
                ),
                " ",
                rx.el.a(t("draft.key_create"), href=routes.ACCOUNT),
                role="alert",
                class_name="msg msg-error",
                data_testid="pb-key-problem",
            ),
        ),
        rx.cond(
            S.total > 0,
            card(
                rx.el.p(
                    rx.cond(S.running, t("pb.progress"), t("pb.report")),
                    " ",
                    rx.el.strong(S.done.to_string(), " / ", S.total.to_string()),
                    data_testid="pb-progress-text",
                ),
                rx.el.progress(value=S.done, max=S.total, class_name="pb-progress", aria_label=t("pb.progress")),
                rx.el.ol(rx.foreach(S.results, _result), class_name="pb-results", data_testid="pb-results"),
                class_name="pb-report",
                data_testid="pb-report",
                aria_live="polite",
            ),
        ),
        rx.cond(
            S.rows.length() > 0,
            rx.fragment(
                rx.el.div(
                    rx.el.button(
                        t("pb.all"),
                        type="button",
                        on_click=S.select_all,
                        class_name="btn btn-small btn-secondary",
                        disabled=S.running,
                        data_testid="pb-all",
                    ),
                    rx.el.button(
                        t("pb.none"),
                        type="button",
                        on_click=S.select_none,
                        class_name="btn btn-small btn-ghost",
                        disabled=S.running,
                    ),
                    rx.foreach(
                        S.groups,
                        lambda g: rx.el.button(
                            t("pb.step_all"),
                            " ",
                            pick(g.step_ar, g.step),
                            " (",
                            g.count.to_string(),
                            ")",
                            type="button",
                            on_click=S.select_step(g.step),
                            disabled=S.running,
                            class_name="btn btn-small btn-ghost",
                        ),
                    ),
                    class_name="actions pb-tools",
                ),
                rx.el.ul(rx.foreach(S.rows, _row), class_name="pb-list", data_testid="pb-list"),
                _confirm(),
            ),
            rx.cond(
                S.loaded & (S.total == 0),
                rx.el.div(
                    rx.icon("pen-line", size=40, class_name="empty-icon", aria_hidden="true"),
                    rx.el.p(rx.cond(S.kind == "sign", t("pf.empty.to_sign"), t("pf.empty.to_visa"))),
                    class_name="empty-state card",
                    data_testid="pb-empty",
                ),
            ),
        ),
        active=PAGE,
    )


ON_LOAD = SignBatchState.on_load
TITLE = "Mrasla — Parapheur · الحامل الإلكتروني"

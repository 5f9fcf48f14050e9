"""What the parapheur pages share: vocabularies, badges and the circuit step editor.

The step editor is used by the "new folder" form (ad-hoc circuit, named people) and by the
circuit templates admin page (named people, or a role in a unit). Its data lives in the page
state as two flat lists of dataclasses (``steps`` and ``people``); the helpers below check
every value against what the server offered before keeping it, and ``step_specs`` turns them
into the step dicts ``services.circuits`` validates again.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import reflex as rx

from mrasla_app.services.correspondence import drafting
from mrasla_app.services.parapheur import lifecycle, views
from mrasla_app.ui.components.choices import Choice
from mrasla_app.ui.components.detail import labelled
from mrasla_app.ui.components.files import page_count
from mrasla_app.ui.i18n import pick, t, t_choice

# The parapheur's vocabularies, as the service tables name them (catalogue keys end with these).
KINDS = tuple(k.value for k in lifecycle.DECISIONS_BY_KIND)
MODES = ("all", "any")
DECISIONS = tuple(a.value for a in lifecycle.DECISION_ACTIONS)
FOLDER_STATUSES = tuple(s.value for s in lifecycle.FOLDER_TRANSITIONS)
STEP_STATUSES = tuple(s.value for s in lifecycle.STEP_TRANSITIONS)
QUEUES = views.QUEUES
STEP_ROLES = ("signatory", "head", "agent", "clerk")
MAX_STEPS = 20
MAX_PEOPLE = 20


# --- step editor: server-side helpers (called from each state's own event handlers) ------------


@dataclasses.dataclass
class Step:
    """One step of the circuit being edited: ``who`` is "users" (named people) or "role" (``role`` in
    the unit ``unit``, 0 for none); ``days`` is the deadline in days, 0 for none."""

    kind: str = "visa"
    mode: str = "all"
    who: str = "users"
    role: str = "signatory"
    unit: int = 0
    days: int = 0


@dataclasses.dataclass
class Person:
    """A named participant of the step at index ``step``."""

    step: int = 0
    id: int = 0
    name_ar: str = ""
    name_fr: str = ""


@dataclasses.dataclass
class Staff:
    """A colleague the step editor offers: ``label_*`` is what the picker shows, ``name_*`` what the
    step's chip shows once picked."""

    id: int = 0
    name_ar: str = ""
    name_fr: str = ""
    label_ar: str = ""
    label_fr: str = ""


def blank_step(kind: str = "visa") -> Step:
    return Step(kind=kind)


def first_steps() -> list[Step]:
    """What a new circuit starts with: a visa, then the signature."""
    return [blank_step(), blank_step("signature")]


def _copy(step: Step, **changes: Any) -> Step:
    # rebuilt field by field: what the state hands back may be a proxy of the stored dataclass
    return Step(**{f.name: changes.get(f.name, getattr(step, f.name)) for f in dataclasses.fields(Step)})


def add_step(state: Any) -> None:
    if len(state.steps) < MAX_STEPS:
        state.steps = [*state.steps, blank_step()]


def remove_step(state: Any, index: Any) -> None:
    if not isinstance(index, int) or not 0 <= index < len(state.steps):
        return
    state.steps = state.steps[:index] + state.steps[index + 1 :]
    state.people = [
        Person(p.step - 1 if p.step > index else p.step, p.id, p.name_ar, p.name_fr)
        for p in state.people
        if p.step != index
    ]


def set_step(state: Any, index: Any, name: Any, value: Any, units: list[Choice] | None = None) -> None:
    """Change one field of a step, only to a value the page offers (the browser sends it as text)."""
    if not isinstance(index, int) or not 0 <= index < len(state.steps):
        return
    text = str(value)[:8]
    allowed = {
        "kind": KINDS,
        "mode": MODES,
        "who": ("users", "role") if units is not None else ("users",),
        "role": STEP_ROLES,
        "unit": tuple(str(u.id) for u in units or []) + ("",),
    }
    new: str | int = text
    if name == "days":
        new = int(text) if text.isdigit() and 0 < int(text) <= 365 else 0
    elif name not in allowed or text not in allowed[name]:
        return
    elif name == "unit":
        new = int(text) if text else 0
    step = _copy(state.steps[index], **{name: new})
    if step.kind == "seal":
        step.mode = "any"
    steps = list(state.steps)
    steps[index] = step
    state.steps = steps


def add_person(state: Any, index: Any, user_id: Any) -> None:
    user_id = str(user_id)
    if not isinstance(index, int) or not 0 <= index < len(state.steps):
        return
    person = next((u for u in state.staff if str(u.id) == user_id), None)
    mine = [p for p in state.people if p.step == index]
    if person is None or any(p.id == person.id for p in mine) or len(mine) >= MAX_PEOPLE:
        return
    state.people = [*state.people, Person(index, person.id, person.name_ar, person.name_fr)]


def remove_person(state: Any, index: Any, user_id: Any) -> None:
    state.people = [p for p in state.people if not (str(p.step) == str(index) and str(p.id) == str(user_id))]


def step_specs(state: Any, *, roles: bool = False) -> list[dict]:
    """The steps as ``services.circuits`` step dicts (validated again there)."""
    out: list[dict] = []
    for i, s in enumerate(state.steps):
        spec: dict = {"kind": s.kind, "mode": s.mode}
        if roles and s.who == "role":
            spec["role"] = s.role
            spec["unit_id"] = s.unit or None
        else:
            spec["user_ids"] = [p.id for p in state.people if p.step == i]
        if s.days:
            spec["deadline_days"] = s.days
        out.append(spec)
    return out


def load_specs(state: Any, specs: list[dict], names: dict[int, tuple[str, str]]) -> None:
    """Fill the editor from stored step dicts (a template being edited)."""
    steps, people = [], []
    for i, spec in enumerate(specs):
        step = Step(kind=str(spec.get("kind", "visa")), mode=str(spec.get("mode", "all")))
        if spec.get("role"):
            step.who, step.role, step.unit = "role", str(spec["role"]), int(spec.get("unit_id") or 0)
        if spec.get("deadline_days"):
            step.days = int(spec["deadline_days"])
        for uid in spec.get("user_ids") or []:
            if uid in names:
                people.append(Person(i, uid, names[uid][0], names[uid][1]))
        steps.append(step)
    state.steps, state.people = steps, people


# --- components ----------------------------------------------------------------------------------


def folder_status_badge(status: rx.Var, **props: Any) -> rx.Component:
    return rx.el.span(
        t_choice(status, "parapheur.status.", FOLDER_STATUSES),
        class_name="badge pf-status pf-status-" + status,
        data_status=status,
        **props,
    )


def kind_label(kind: rx.Var) -> rx.Component | rx.Var:
    return t_choice(kind, "parapheur.kind.", KINDS)


def step_editor(state: Any, *, roles: bool = False, units: Any = None) -> rx.Component:
    """The list of steps with kind, mode, participants (and, for templates, role in a unit, deadline)."""
    S = state

    def _select(i: rx.Var, name: str, options: list[rx.Component], value: rx.Var, label_key: str) -> rx.Component:
        fid = "step-" + name + "-" + i.to_string()
        return rx.el.div(
            rx.el.label(t(label_key), html_for=fid, class_name="label"),
            rx.el.select(
                *options,
                id=fid,
                value=value,
                on_change=lambda v: S.set_step(i, name, v),
                class_name="input select",
                data_testid="circuit-" + name + "-" + i.to_string(),
            ),
            class_name="field",
        )

    def _person(p: rx.Var, i: rx.Var) -> rx.Component:
        return rx.cond(
            p.step == i,
            rx.el.li(
                rx.icon("user", size=14, aria_hidden="true"),
                rx.el.span(pick(p.name_ar, p.name_fr)),
                rx.el.button(
                    rx.icon("x", size=14, aria_hidden="true"),
                    type="button",
                    on_click=S.remove_person(i, p.id.to_string()),
                    class_name="chip-x",
                    aria_label=t("common.remove"),
                ),
                class_name="chip",
            ),
        )

    def _people(i: rx.Var, s: rx.Var) -> rx.Component:
        fid = "step-person-" + i.to_string()
        block = rx.el.div(
            rx.el.ul(
                rx.foreach(S.people, lambda p: _person(p, i)),
                class_name="chips",
                data_testid="circuit-people-" + i.to_string(),
            ),
            rx.el.label(t("pf.add_person"), html_for=fid, class_name="label"),
            rx.el.select(
                rx.el.option(t("common.select"), value=""),
                rx.foreach(S.staff, lambda u: rx.el.option(pick(u.label_ar, u.label_fr), value=u.id.to_string())),
                id=fid,
                value="",
                on_change=lambda v: S.add_person(i, v),
                class_name="input select",
                data_testid="circuit-person-" + i.to_string(),
            ),
            class_name="field pf-people",
        )
        if not roles:
            return block
        return rx.cond(
            s.who == "role",
            rx.el.div(
                _select(i, "role", [rx.el.option(t(f"role.{r}"), value=r) for r in STEP_ROLES], s.role, "pf.role"),
                _select(
                    i,
                    "unit",
                    [
                        rx.el.option(t("common.select"), value=""),
                        rx.foreach(units, lambda u: rx.el.option(pick(u.label_ar, u.label_fr), value=u.id.to_string())),
                    ],
                    rx.cond(s.unit > 0, s.unit.to_string(), ""),
                    "pf.unit",
                ),
                class_name="form-grid",
            ),
            block,
        )

    def _step(s: rx.Var, i: rx.Var) -> rx.Component:
        extra: list[rx.Component] = []
        if roles:
            extra = [
                _select(
                    i,
                    "who",
                    [rx.el.option(t("pf.who.users"), value="users"), rx.el.option(t("pf.who.role"), value="role")],
                    s.who,
                    "pf.who",
                ),
                rx.el.div(
                    rx.el.label(t("pf.deadline_days"), html_for="step-days-" + i.to_string(), class_name="label"),
                    rx.el.input(
                        id="step-days-" + i.to_string(),
                        type="number",
                        min=1,
                        max=365,
                        input_mode="numeric",
                        default_value=rx.cond(s.days > 0, s.days.to_string(), ""),
                        on_blur=lambda v: S.set_step(i, "days", v),
                        class_name="input",
                        dir="ltr",
                        data_testid="circuit-days-" + i.to_string(),
                    ),
                    class_name="field",
                ),
            ]
        return rx.el.li(
            rx.el.div(
                rx.el.span((i + 1).to_string(), class_name="pf-step-num", aria_hidden="true"),
                rx.el.strong(t("pf.step"), " ", (i + 1).to_string()),
                rx.el.button(
                    rx.icon("trash-2", size=16, aria_hidden="true"),
                    type="button",
                    on_click=S.remove_step(i),
                    class_name="btn btn-small btn-ghost",
                    aria_label=t("pf.remove_step"),
                    data_testid="circuit-remove-" + i.to_string(),
                ),
                class_name="pf-step-head",
            ),
            rx.el.div(
                _select(i, "kind", [rx.el.option(t(f"parapheur.kind.{k}"), value=k) for k in KINDS], s.kind, "pf.kind"),
                rx.cond(
                    s.kind != "seal",
                    _select(
                        i,
                        "mode",
                        [rx.el.option(t(f"parapheur.mode.{m}"), value=m) for m in MODES],
                        s.mode,
                        "pf.mode",
                    ),
                ),
                *extra,
                class_name="form-grid",
            ),
            _people(i, s),
            class_name="pf-step-edit",
            data_testid="circuit-step-" + i.to_string(),
        )

    return rx.el.div(
        rx.el.ol(rx.foreach(S.steps, _step), class_name="pf-step-list"),
        rx.el.button(
            rx.icon("plus", size=16, aria_hidden="true"),
            t("pf.add_step"),
            type="button",
            on_click=S.add_step,
            class_name="btn btn-secondary btn-small",
            data_testid="circuit-add-step",
        ),
        class_name="pf-circuit",
    )


# --- letter drafted in the application (mail page: the answer; folder page: a new version) ------


def letter_form_values(form: Any) -> dict[str, str]:
    """The letter fields of a submitted editor form, as strings capped to the service's limits."""
    form = form if isinstance(form, dict) else {}
    caps = {"addressee": 1000, "place": 120, "subject": 500, "body": 20_000}
    return {k: str(form.get(k, "") or "")[: cap + 1] for k, cap in caps.items()}


@dataclasses.dataclass
class Letter:
    """A letter's text as the editor shows it."""

    addressee: str = ""
    place: str = ""
    subject: str = ""
    body: str = ""

    def text(self, lang: str) -> drafting.LetterText:
        return drafting.LetterText(lang, self.addressee, self.subject, self.body, self.place)


class LetterDraftState(rx.State, mixin=True):
    """The letter a page edits with ``letter_editor``: what was typed (kept whatever happens next), the
    last PDF preview, and which of the editor's two buttons sent the form."""

    letter: Letter = Letter()
    preview_src: str = ""  # data: URL of the last preview
    preview_pages: str = ""
    _intent: str = "preview"

    @rx.event
    def set_intent(self, intent: str):
        """Which button submitted the letter form (sent just before the form itself)."""
        self._intent = "save" if intent == "save" else "preview"

    def _take_intent(self) -> str:
        """ "save" or "preview" for the form being handled (the next one is a preview unless told)."""
        intent, self._intent = self._intent, "preview"
        return intent

    def _keep_letter(self, form: Any) -> Letter:
        self.letter = Letter(**letter_form_values(form))
        return self.letter

    def _show_preview(self, pdf: bytes) -> None:
        self.preview_src = "data:application/pdf;base64," + base64.b64encode(pdf).decode()
        self.preview_pages = str(drafting.page_count(pdf))


def letter_editor(
    letter: rx.Var,
    key: rx.Var,
    extra: rx.Component | None = None,
    *,
    on_submit: Any,
    set_intent: Any,
    submit_key: str,
    testid: str,
) -> rx.Component:
    """Addressee, place, subject and body of a letter, then "PDF preview" and the main action.

    Both buttons submit the same form; which one was pressed is sent first (``set_intent``), so
    what the agent typed is never lost between a preview and the real thing.
    """

    def field(name: str, label_key: str, tag: Any, tid: str = "", **props: Any) -> rx.Component:
        fid = f"letter-{name}"
        control = tag(
            id=fid,
            name=name,
            default_value=letter[name],
            dir="auto",
            class_name="input textarea" if tag is rx.el.textarea else "input",
            data_testid=tid or fid,
            **props,
        )
        return labelled(label_key, fid, control)

    return rx.el.form(
        rx.el.div(
            field("subject", "draft.subject", rx.el.input, required=True, max_length=500),
            field("place", "draft.place", rx.el.input, max_length=120),
            class_name="form-grid",
        ),
        field("addressee", "draft.addressee", rx.el.textarea, rows=3, max_length=1000),
        field("body", "mail.answer_text", rx.el.textarea, "answer-body", rows=12, required=True, max_length=20_000),
        extra if extra is not None else rx.fragment(),
        rx.el.p(t("draft.hint"), class_name="hint"),
        rx.el.div(
            rx.el.button(
                rx.icon("eye", size=16, aria_hidden="true"),
                t("draft.preview"),
                type="submit",
                on_click=set_intent("preview"),
                class_name="btn btn-secondary",
                data_testid="letter-preview",
            ),
            rx.el.button(
                rx.icon("pen-line", size=16, aria_hidden="true"),
                t(submit_key),
                type="submit",
                on_click=set_intent("save"),
                class_name="btn btn-primary",
                data_testid="letter-submit",
            ),
            class_name="actions",
        ),
        on_submit=on_submit,
        class_name="form",
        key=key,
        data_testid=testid,
    )


def letter_preview(src: rx.Var, pages: rx.Var, filename: rx.Var) -> rx.Component:
    """The rendered letter in the page (PDF viewer), its page count and a download link."""
    return rx.cond(
        src != "",
        rx.el.div(
            rx.el.div(
                rx.el.h3(t("draft.preview_title"), class_name="subsection-title"),
                rx.el.span(page_count(pages), class_name="muted", data_testid="letter-preview-pages"),
                rx.el.a(
                    rx.icon("download", size=16, aria_hidden="true"),
                    t("draft.preview_download"),
                    href=src,
                    download=filename,
                    class_name="btn btn-small btn-ghost",
                ),
                class_name="card-head",
            ),
            rx.el.iframe(
                src=src, title=t("draft.preview_title"), class_name="pf-viewer", data_testid="letter-preview-frame"
            ),
            class_name="letter-preview",
        ),
    )

"""Circuit templates (مسارات / circuits) and the step definitions they hold as data.

A step definition is a dict::

    {"kind": "visa" | "opinion" | "signature" | "seal",
     "mode": "all" | "any",                      # default "all" ("any" forced for a seal)
     "user_ids": [12, 15]                         # explicit participants, or:
     "role": "signatory", "unit_id": 7,           # everyone holding that role in that unit
     "deadline_days": 2,                          # optional, working days once the step is active
     "label_fr": "...", "label_ar": "..."}        # optional, defaults from the kind

Participants are resolved to user ids when a circuit *starts* (``resolve``), so later changes to
the directory do not silently change who is expected on a running folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.i18n import translate
from mrasla_app.models import CircuitTemplate, CompletionMode, Role, RoleMembership, StepKind, Unit, User
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.parapheur import signing_keys
from mrasla_app.services.platform import audit, validation

MAX_STEPS = 20
MAX_PARTICIPANTS = 20

#: The roles a signatory's capacity is named after, strongest first (stamps, signatory blocks).
CAPACITY_ROLES = (Role.signatory, Role.head, Role.agent)


def labels(key: str) -> tuple[str, str]:
    """(French, Arabic) text of a catalogue key: documents with legal weight print both."""
    return translate(key, "fr"), translate(key, "ar")


def kind_labels(kind: StepKind) -> tuple[str, str]:
    """(French, Arabic) name of a step kind (``parapheur.kind.*``): a step's default label."""
    return labels(f"parapheur.kind.{kind.value}")


def role_labels(role: str) -> tuple[str, str]:
    """(French, Arabic) name of a directory role (``role.*``); ("", "") for none."""
    return labels(f"role.{role}") if role else ("", "")


def signing_capacity(session: Session, user_id: int) -> tuple[Unit | None, str]:
    """The unit a person signs for (``signing_keys.signing_unit``) and the strongest role of
    ``CAPACITY_ROLES`` they hold there ("" when none)."""
    unit = signing_keys.signing_unit(session, user_id)
    if unit is None:
        return None, ""
    held = {
        Role(r)
        for r in session.execute(
            select(RoleMembership.role).where(RoleMembership.user_id == user_id, RoleMembership.unit_id == unit.id)
        ).scalars()
    }
    return unit, next((r.value for r in CAPACITY_ROLES if r in held), "")


@dataclass(frozen=True)
class StepSpec:
    kind: StepKind
    mode: CompletionMode = CompletionMode.all
    user_ids: tuple[int, ...] = field(default_factory=tuple)
    role: str = ""
    unit_id: int | None = None
    deadline_days: int | None = None
    label_fr: str = ""
    label_ar: str = ""

    def labels(self) -> tuple[str, str]:
        fr, ar = kind_labels(self.kind)
        return self.label_fr or fr, self.label_ar or ar

    def as_dict(self) -> dict:
        d = asdict(self)
        d["kind"], d["mode"], d["user_ids"] = self.kind.value, self.mode.value, list(self.user_ids)
        return d


def parse_step(raw: dict | StepSpec) -> StepSpec:
    if isinstance(raw, StepSpec):
        return raw
    if not isinstance(raw, dict):
        raise DomainError("error.invalid_circuit")
    try:
        kind = StepKind(raw.get("kind"))
        mode = CompletionMode(raw.get("mode") or "all")
    except ValueError:
        raise DomainError("error.invalid_circuit") from None
    if kind == StepKind.seal:
        mode = CompletionMode.any  # one seal per step, whoever of the participants orders it
    user_ids = raw.get("user_ids") or ()
    role = (raw.get("role") or "").strip()
    unit_id = raw.get("unit_id")
    if not isinstance(user_ids, (list, tuple)) or not all(isinstance(u, int) for u in user_ids):
        raise DomainError("error.invalid_circuit")
    if bool(user_ids) == bool(role):  # exactly one way of naming participants
        raise DomainError("error.invalid_circuit")
    if role:
        if role not in {r.value for r in Role} or not isinstance(unit_id, int):
            raise DomainError("error.invalid_circuit")
    if len(set(user_ids)) > MAX_PARTICIPANTS:
        raise DomainError("error.invalid_circuit")
    days = raw.get("deadline_days")
    if days is not None and (not isinstance(days, int) or not 0 < days <= 365):
        raise DomainError("error.invalid_circuit")
    return StepSpec(
        kind,
        mode,
        tuple(dict.fromkeys(user_ids)),
        role,
        unit_id if role else None,
        days,
        validation.text(raw.get("label_fr", ""), "label_fr", max_len=120, required=False),
        validation.text(raw.get("label_ar", ""), "label_ar", max_len=120, required=False),
    )


def parse_steps(raw: list | tuple | None) -> list[StepSpec]:
    if not raw or not isinstance(raw, (list, tuple)) or len(raw) > MAX_STEPS:
        raise DomainError("error.invalid_circuit")
    return [parse_step(r) for r in raw]


def resolve(session: Session, administration_id: int, spec: StepSpec) -> list[int]:
    """Active users of ``administration_id`` expected on the step, in a stable order."""
    if spec.role:
        unit = session.get(Unit, spec.unit_id)
        if unit is None or unit.administration_id != administration_id:
            raise DomainError("error.invalid_circuit")
        ids = list(
            session.execute(
                select(User.id)
                .join(RoleMembership, RoleMembership.user_id == User.id)
                .where(
                    RoleMembership.unit_id == spec.unit_id,
                    RoleMembership.role == Role(spec.role),
                    User.active.is_(True),
                )
                .order_by(User.id)
            ).scalars()
        )
    else:
        found = set(
            session.execute(
                select(User.id).where(
                    User.id.in_(spec.user_ids), User.active.is_(True), User.administration_id == administration_id
                )
            ).scalars()
        )
        if found != set(spec.user_ids):
            raise DomainError("error.invalid_participant")
        ids = list(spec.user_ids)
    if not ids:
        raise DomainError("error.step_without_participant")
    return ids[:MAX_PARTICIPANTS]


@dataclass(frozen=True)
class StaffChoice:
    """A person who may be named on a step, with the roles they hold: (role, unit code)."""

    id: int
    name: str
    name_ar: str
    roles: tuple[tuple[str, str], ...]


def staff_choices(session: Session, administration_id: int | None) -> list[StaffChoice]:
    """Active staff of the administration with their roles, for picking step participants."""
    if not administration_id:
        return []
    rows = session.execute(
        select(User, RoleMembership.role, Unit.code)
        .join(RoleMembership, RoleMembership.user_id == User.id)
        .join(Unit, Unit.id == RoleMembership.unit_id)
        .where(User.administration_id == administration_id, User.active.is_(True))
        .order_by(User.full_name, RoleMembership.id)
    ).all()
    people: dict[int, tuple[User, list[tuple[str, str]]]] = {}
    for user, role, code in rows:
        people.setdefault(user.id, (user, []))[1].append((getattr(role, "value", role), code))
    return [StaffChoice(u.id, u.full_name, u.full_name_ar or u.full_name, tuple(roles)) for u, roles in people.values()]


# ------------------------------------------------------------------------------ templates


def save_template(
    session: Session,
    actor: Actor | None,
    *,
    administration_id: int,
    name_fr: str,
    name_ar: str,
    steps: list,
    template_id: int | None = None,
) -> CircuitTemplate:
    """Create or update a circuit template (administrators of the administration)."""
    permissions.require_admin_of(actor, administration_id)
    specs = parse_steps(steps)
    for spec in specs:  # fail now, not when a folder starts
        if spec.role:
            unit = session.get(Unit, spec.unit_id)
            if unit is None or unit.administration_id != administration_id:
                raise DomainError("error.invalid_circuit")
        else:
            resolve(session, administration_id, spec)
    if template_id is not None:
        tpl = session.get(CircuitTemplate, template_id)
        if tpl is None or tpl.administration_id != administration_id:
            raise NotFound()
    else:
        tpl = CircuitTemplate(
            administration_id=administration_id, name_fr="", name_ar="", created_by=actor.user_id or None
        )
    tpl.name_fr = validation.text(name_fr, "name_fr")
    tpl.name_ar = validation.text(name_ar, "name_ar")
    tpl.steps = json.dumps([s.as_dict() for s in specs], ensure_ascii=False)
    session.add(tpl)
    session.flush()
    audit.record(
        session,
        actor,
        "circuit.saved",
        object_type="circuit",
        object_id=tpl.id or "",
        administration_id=administration_id,
        data={"name_fr": tpl.name_fr, "steps": len(specs)},
    )
    return tpl


def set_template_active(session: Session, actor: Actor | None, template_id: int, active: bool) -> CircuitTemplate:
    tpl = permissions.administered(session, actor, CircuitTemplate, template_id)
    tpl.active = bool(active)
    session.add(tpl)
    audit.record(
        session,
        actor,
        "circuit.enabled" if active else "circuit.disabled",
        object_type="circuit",
        object_id=template_id,
        administration_id=tpl.administration_id,
    )
    return tpl


def list_templates(
    session: Session, actor: Actor | None, administration_id: int | None = None, include_inactive: bool = False
) -> list[CircuitTemplate]:
    actor = permissions.require_actor(actor)
    adm = administration_id or actor.administration_id
    permissions.require_member_of(actor, adm)
    stmt = select(CircuitTemplate).where(CircuitTemplate.administration_id == adm)
    if not include_inactive:
        stmt = stmt.where(CircuitTemplate.active.is_(True))
    return list(session.execute(stmt.order_by(CircuitTemplate.name_fr)).scalars())


def step_kinds(tpl: CircuitTemplate) -> list[str | None]:
    """The kind of each stored step (None for an unreadable one): the template's summary."""
    try:
        specs = json.loads(tpl.steps)
    except ValueError:
        specs = []
    kinds = {k.value for k in StepKind}
    return [s.get("kind") if isinstance(s, dict) and s.get("kind") in kinds else None for s in specs]


def template_for_edit(
    session: Session, actor: Actor | None, template_id: int, administration_id: int
) -> tuple[CircuitTemplate, list[dict]]:
    """A template of ``administration_id`` and its stored step definitions, for its administrators."""
    tpl = session.get(CircuitTemplate, template_id)
    if tpl is None or tpl.administration_id != administration_id:
        raise NotFound()
    permissions.require_admin_of(actor, tpl.administration_id)  # the same rights as saving
    try:
        return tpl, list(json.loads(tpl.steps))
    except (ValueError, TypeError):
        raise DomainError("error.invalid_circuit") from None


def template_steps(session: Session, actor: Actor | None, template_id: int) -> tuple[CircuitTemplate, list[StepSpec]]:
    """A template usable by ``actor`` (active, of their administration) and its parsed steps."""
    actor = permissions.require_actor(actor)
    tpl = session.get(CircuitTemplate, template_id)
    if tpl is None or not tpl.active or tpl.administration_id != actor.administration_id:
        raise NotFound()
    return tpl, parse_steps(json.loads(tpl.steps))

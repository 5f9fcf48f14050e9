"""A folder's circuit steps: built from the step definitions when the circuit starts (participants
resolved then, each signer given a signature field name), and activated one after the other
(its due date in working days, the participants told as they chose).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session

from mrasla_app.models import CompletionMode, Folder, FolderStep, StepParticipant, StepStatus
from mrasla_app.models.base import utcnow
from mrasla_app.services.parapheur import circuits, lifecycle, reminders
from mrasla_app.settings import TIMEZONE


def build(session: Session, folder: Folder, specs: Sequence[circuits.StepSpec | dict]) -> list[FolderStep]:
    """The current version's steps and participants (pending). A signing step's participants share
    one field in "any one" mode, else each has their own: ``Mrasla.v<version>.s<step>[.p<n>]``."""
    rows = []
    v = folder.version
    for pos, raw in enumerate(specs, 1):
        spec = circuits.parse_step(raw)
        people = circuits.resolve(session, folder.administration_id, spec)
        label_fr, label_ar = spec.labels()
        step = FolderStep(
            folder_id=folder.id,
            version=v,
            position=pos,
            kind=spec.kind,
            mode=spec.mode,
            label_fr=label_fr,
            label_ar=label_ar,
            role=spec.role,
            role_unit_id=spec.unit_id,
            deadline_days=spec.deadline_days,
        )
        session.add(step)
        session.flush()
        for k, uid in enumerate(people):
            name = ""
            if spec.kind in lifecycle.SIGNING_KINDS:
                shared = spec.mode == CompletionMode.any
                name = f"Mrasla.v{v}.s{pos}" + ("" if shared else f".p{k + 1}")
            session.add(StepParticipant(step_id=step.id, user_id=uid, position=k, field_name=name))
        rows.append(step)
    session.flush()
    return rows


def _due(session: Session, folder: Folder, days: int | None) -> datetime | None:
    if not days:
        return None
    from mrasla_app.services.correspondence import deadlines

    start = deadlines.today()
    holidays = deadlines.holidays_for(session, folder.administration_id, {start.year, start.year + 1})
    day = deadlines.add_working_days(start, days, holidays)
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(TIMEZONE))


def activate(session: Session, folder: Folder, step: FolderStep) -> None:
    """Make ``step`` the folder's active one (a new round): it starts from the document as it
    stands now, which a return to it will put back."""
    lifecycle.move_step(session, step, StepStatus.active)
    step.round += 1
    step.base_sha256, step.activated_at = folder.current_sha256, utcnow()
    step.due_on = _due(session, folder, step.deadline_days)
    folder.current_step = step.position
    session.add(step)
    reminders.step_activated(session, folder, step)


__all__ = ["build", "activate"]

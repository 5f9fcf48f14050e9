"""An administration's file plan and letter metadata: the classification tree, document types with
their retention rules, tags and typed custom fields; and the classification of a letter at
qualification.

The administration's administrators (and its archivists) edit the plan; every member reads it.
Each change is audited in the administration's chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select
from sqlmodel import Session, SQLModel

from mrasla_app.models import (
    Correspondence,
    CorrespondenceTag,
    CustomField,
    CustomFieldValue,
    DocumentType,
    FieldKind,
    FilePlanNode,
    FinalAction,
    RecordInfo,
    RetentionStart,
    Role,
    Tag,
)
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.platform import audit, validation

PLAN_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,31}$")
MAX_RETENTION_YEARS = 200


def can_manage(actor: Actor | None, administration_id: int | None) -> bool:
    """Administrators of the administration, and its archivists."""
    return permissions.is_admin_of(actor, administration_id) or (
        actor is not None and actor.administration_id == administration_id and actor.has_role(Role.archivist)
    )


def _require_manager(actor: Actor | None, administration_id: int | None) -> Actor:
    actor = permissions.require_actor(actor)
    if not can_manage(actor, administration_id):
        raise PermissionDenied()
    return actor


def _owned(session: Session, model: type[SQLModel], row_id: int | None, administration_id: int):
    """The row ``row_id`` of ``model`` if it belongs to ``administration_id`` (None for no id)."""
    if row_id is None:
        return None
    row = session.get(model, row_id)
    if row is None or row.administration_id != administration_id:
        raise NotFound()
    return row


def _save(session: Session, actor: Actor, row: SQLModel, what: str, **values: object) -> SQLModel:
    """Write ``values`` on ``row`` and audit it; a duplicate code is a clear error, nothing written."""
    model = type(row)
    unique = "label" if model is Tag else "code"
    clash = session.execute(
        select(model.id).where(
            model.administration_id == row.administration_id,
            getattr(model, unique) == values[unique],
            model.id != row.id,
        )
    ).first()
    if clash:
        raise DomainError("error.duplicate_code")
    created = row.id is None
    for k, v in values.items():
        setattr(row, k, v)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        f"{what}.{'created' if created else 'updated'}",
        object_type=what,
        object_id=row.id,
        administration_id=row.administration_id,
        data={k: (v.value if hasattr(v, "value") else v) for k, v in values.items()},
    )
    return row


def _save_coded(
    session: Session,
    actor: Actor,
    model: type[SQLModel],
    row: SQLModel | None,
    administration_id: int,
    what: str,
    *,
    code: str,
    name_ar: str,
    name_fr: str,
    **values: object,
):
    """Create (``row`` None) or edit a coded, bilingual row of the plan: node, document type, custom field."""
    return _save(
        session,
        actor,
        row or model(administration_id=administration_id, code="", name_ar="", name_fr=""),
        what,
        code=validation.code(code, PLAN_CODE),
        name_ar=validation.text(name_ar, "name_ar"),
        name_fr=validation.text(name_fr, "name_fr"),
        **values,
    )


def save_node(
    session: Session,
    actor: Actor | None,
    administration_id: int,
    *,
    code: str,
    name_ar: str,
    name_fr: str,
    parent_id: int | None = None,
    node_id: int | None = None,
    active: bool = True,
) -> FilePlanNode:
    """Create or edit a file-plan node; its parent must be in the same plan and not below it."""
    actor = _require_manager(actor, administration_id)
    node = _owned(session, FilePlanNode, node_id, administration_id)
    parent = _owned(session, FilePlanNode, parent_id, administration_id)
    while parent is not None:  # no cycles: the new parent may not be the node or one of its descendants
        if node is not None and parent.id == node.id:
            raise DomainError("error.invalid_request")
        parent = session.get(FilePlanNode, parent.parent_id) if parent.parent_id else None
    return _save_coded(
        session,
        actor,
        FilePlanNode,
        node,
        administration_id,
        "file_plan_node",
        code=code,
        name_ar=name_ar,
        name_fr=name_fr,
        parent_id=parent_id,
        active=bool(active),
    )


def save_document_type(
    session: Session,
    actor: Actor | None,
    administration_id: int,
    *,
    code: str,
    name_ar: str,
    name_fr: str,
    retention_years: int,
    retention_months: int = 0,
    retention_start: str = RetentionStart.closed.value,
    final_action: str = FinalAction.review.value,
    type_id: int | None = None,
    active: bool = True,
) -> DocumentType:
    """Create or edit a document type and its retention rule."""
    actor = _require_manager(actor, administration_id)
    try:
        years, months = int(retention_years), int(retention_months)
        start, action = RetentionStart(retention_start), FinalAction(final_action)
    except (TypeError, ValueError):
        raise DomainError("error.invalid_request") from None
    if not (0 <= years <= MAX_RETENTION_YEARS and 0 <= months <= 11) or years == months == 0:
        raise DomainError("error.invalid_retention")
    return _save_coded(
        session,
        actor,
        DocumentType,
        _owned(session, DocumentType, type_id, administration_id),
        administration_id,
        "document_type",
        code=code,
        name_ar=name_ar,
        name_fr=name_fr,
        retention_years=years,
        retention_months=months,
        retention_start=start,
        final_action=action,
        active=bool(active),
    )


def save_tag(
    session: Session, actor: Actor | None, administration_id: int, label: str, tag_id: int | None = None
) -> Tag:
    actor = _require_manager(actor, administration_id)
    row = _owned(session, Tag, tag_id, administration_id) or Tag(administration_id=administration_id, label="")
    return _save(session, actor, row, "tag", label=validation.text(label, "label", max_len=64))  # type: ignore[return-value]  # _save returns the row it was given


def save_custom_field(
    session: Session,
    actor: Actor | None,
    administration_id: int,
    *,
    code: str,
    name_ar: str,
    name_fr: str,
    kind: str,
    choices: str = "",
    field_id: int | None = None,
) -> CustomField:
    """Create or edit a custom field; a choice field needs its choices (one per line)."""
    actor = _require_manager(actor, administration_id)
    try:
        field_kind = FieldKind(kind)
    except ValueError:
        raise DomainError("error.invalid_request") from None
    options = [
        c
        for c in (
            validation.text(line, "choices", max_len=255, required=False) for line in (choices or "").splitlines()
        )
        if c
    ]
    if field_kind is FieldKind.choice and not options:
        raise DomainError("error.required", field="choices")
    return _save_coded(
        session,
        actor,
        CustomField,
        _owned(session, CustomField, field_id, administration_id),
        administration_id,
        "custom_field",
        code=code,
        name_ar=name_ar,
        name_fr=name_fr,
        kind=field_kind,
        choices="\n".join(options) if field_kind is FieldKind.choice else "",
    )


@dataclass(frozen=True)
class Plan:
    """Everything an administration's letters may be classified with (what the forms offer)."""

    nodes: list[FilePlanNode]
    types: list[DocumentType]
    tags: list[Tag]
    fields: list[CustomField]


def plan(session: Session, actor: Actor | None, administration_id: int | None, *, fields: bool = True) -> Plan:
    """The file plan of ``administration_id``, nodes in code order (their codes give the tree); without
    ``fields``, no custom fields (the inbox's filters offer none: one query fewer on each inbox load)."""
    permissions.require_member_of(actor, administration_id)

    def rows(model, order):  # noqa: ANN001, ANN202 - one query per table
        return list(
            session.execute(select(model).where(model.administration_id == administration_id).order_by(order)).scalars()
        )

    return Plan(
        rows(FilePlanNode, FilePlanNode.code),
        rows(DocumentType, DocumentType.code),
        rows(Tag, Tag.label),
        rows(CustomField, CustomField.code) if fields else [],
    )


@dataclass(frozen=True)
class Classification:
    """What the registry sets at qualification (all optional)."""

    file_plan_node_id: int | None = None
    document_type_id: int | None = None
    tag_ids: tuple[int, ...] = ()
    values: Mapping[int, str] = field(default_factory=dict)  # custom field id → value as typed


def field_value(f: CustomField, raw: str) -> str:
    """``raw`` in the canonical form of ``f``'s kind ("" = no value); bad input is a clear error."""
    value = validation.text(raw, f.code, max_len=255, required=False)
    if not value:
        return ""
    try:
        if f.kind is FieldKind.number:
            return str(Decimal(value.replace(",", ".")).normalize())
        if f.kind is FieldKind.date:
            return date.fromisoformat(value).isoformat()
    except (InvalidOperation, ValueError):
        raise DomainError("error.invalid_field_value", field=f.name_fr) from None
    if f.kind is FieldKind.choice and value not in f.choices.splitlines():
        raise DomainError("error.invalid_field_value", field=f.name_fr)
    return value


def classify(session: Session, actor: Actor, corr: Correspondence, c: Classification) -> dict[str, object]:
    """Set the letter's classification (replacing the previous one); returns what to audit.

    Called by ``dispatch.qualify`` inside its transaction, after its own rights check.
    """
    adm = corr.administration_id
    node = _owned(session, FilePlanNode, c.file_plan_node_id, adm)
    dtype = _owned(session, DocumentType, c.document_type_id, adm)
    if (node is not None and not node.active) or (dtype is not None and not dtype.active):
        raise DomainError("error.invalid_request")
    tags = sorted(set(c.tag_ids))
    if tags and len(list(session.execute(select(Tag.id).where(Tag.id.in_(tags), Tag.administration_id == adm)))) != len(
        tags
    ):
        raise NotFound()
    fields = {
        f.id: f for f in session.execute(select(CustomField).where(CustomField.administration_id == adm)).scalars()
    }
    if set(c.values) - set(fields):
        raise NotFound()
    values = {fid: field_value(fields[fid], raw) for fid, raw in c.values.items()}
    info = session.get(RecordInfo, corr.id) or RecordInfo(correspondence_id=corr.id, administration_id=adm)
    info.file_plan_node_id, info.document_type_id = c.file_plan_node_id, c.document_type_id
    session.add(info)
    session.execute(delete(CorrespondenceTag).where(CorrespondenceTag.correspondence_id == corr.id))
    session.execute(delete(CustomFieldValue).where(CustomFieldValue.correspondence_id == corr.id))
    session.add_all([CorrespondenceTag(correspondence_id=corr.id, tag_id=t) for t in tags])
    session.add_all(
        [CustomFieldValue(correspondence_id=corr.id, field_id=fid, value=v) for fid, v in values.items() if v]
    )
    return {
        "file_plan": node.code if node else "",
        "document_type": dtype.code if dtype else "",
        "tags": tags,
        "fields": {fields[fid].code: v for fid, v in values.items() if v},
    }


def letter_ids_clause(
    node_id: int | None = None,
    document_type_id: int | None = None,
    tag_ids: Iterable[int] = (),
    field_id: int | None = None,
    field_value_text: str = "",
):
    """Subqueries of correspondence ids matching each given classification criterion (the inbox
    filters AND them)."""
    clauses = []
    if node_id or document_type_id:
        stmt = select(RecordInfo.correspondence_id)
        if node_id:
            stmt = stmt.where(RecordInfo.file_plan_node_id == node_id)
        if document_type_id:
            stmt = stmt.where(RecordInfo.document_type_id == document_type_id)
        clauses.append(stmt)
    for tag in tag_ids:
        clauses.append(select(CorrespondenceTag.correspondence_id).where(CorrespondenceTag.tag_id == tag))
    if field_id and field_value_text:
        clauses.append(
            select(CustomFieldValue.correspondence_id).where(
                CustomFieldValue.field_id == field_id, CustomFieldValue.value == field_value_text
            )
        )
    return clauses

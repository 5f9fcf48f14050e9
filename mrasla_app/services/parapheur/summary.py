"""The signature summary (bordereau): every decision of every version, with delegations and the
participants' comments, as a bilingual PDF (``documents.bordereau``). Labels come from the
catalogues, in French and Arabic (the two languages of documents with legal weight).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.documents import bordereau as pdfs
from mrasla_app.models import Administration, FolderStep, User
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.parapheur import circuits, folders
from mrasla_app.services.parapheur.views import folder_detail


def bordereau(session: Session, actor: Actor | None, folder_id: int) -> bytes:
    """The signature summary PDF (every decision of every version)."""
    detail = folder_detail(session, actor, folder_id)
    folder = detail.folder
    adm = session.get(Administration, folder.administration_id)
    initiator = session.get(User, folder.initiator_id)
    assert adm is not None and initiator is not None
    step_of = {s.id: s for s in session.execute(select(FolderStep).where(FolderStep.folder_id == folder.id)).scalars()}
    rows = []
    for view in detail.history:
        a, s = view.action, step_of[view.action.step_id]
        kind_fr, kind_ar = circuits.kind_labels(s.kind)
        dec_fr, dec_ar = circuits.labels(f"parapheur.decision.{a.decision.value}")
        label = f"{kind_fr}" + (f" (v{s.version})" if s.version != folder.version else "")
        rows.append(
            pdfs.BordereauRow(
                s.position, label, kind_ar, view.actor_name, view.on_behalf_of_name, dec_fr, dec_ar, a.at, a.comment
            )
        )
    st_fr, st_ar = circuits.labels(f"parapheur.status.{folder.status.value}")
    notes = detail.annotations
    authors = folders.people(session, {n.author_id for n in notes})
    lines = tuple(
        pdfs.AnnotationLine(
            n.page,
            n.version,
            authors[n.author_id].full_name,
            authors[n.author_id].full_name_ar or authors[n.author_id].full_name,
            n.created_at,
            n.body,
        )
        for n in notes
    )
    return pdfs.render_bordereau(
        pdfs.BordereauData(
            folder.title,
            folder.reference,
            adm.name_fr,
            adm.name_ar,
            initiator.full_name,
            st_fr,
            st_ar,
            folder.current_sha256,
            utcnow(),
            rows=tuple(rows),
            annotations=lines,
        )
    )


__all__ = ["bordereau"]

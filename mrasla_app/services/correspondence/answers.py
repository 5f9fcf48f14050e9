"""Answer templates: built-in letter texts with merge fields, the starting point of a letter drafted
in the application (``services.drafting`` renders it and starts the signature circuit).

Merge fields: ``{sender_name}``, ``{number}`` (the incoming registry number), ``{received}`` (its
date), ``{subject}``, ``{administration}``, ``{unit}``, ``{today}``. The agent edits the merged text
before the PDF is made; unknown fields are left as typed.
"""

from __future__ import annotations

import string
from datetime import datetime

from sqlmodel import Session

from mrasla_app.documents.receipts import format_datetime_ar, format_datetime_fr
from mrasla_app.models import Administration, Correspondence, Party, Unit
from mrasla_app.services.correspondence import letter_actions, scoping
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, PermissionDenied

TEMPLATES: dict[str, dict[str, str]] = {
    "acknowledge": {
        "fr": "Madame, Monsieur {sender_name},\n\nNous accusons réception de votre courrier enregistré sous le "
        "n° {number} le {received}, ayant pour objet « {subject} ». Il a été transmis à : {unit}, qui "
        "l'examine. Vous serez informé(e) de la suite qui lui sera donnée.\n\nVeuillez agréer, Madame, "
        "Monsieur, l'expression de nos salutations distinguées.",
        "ar": "السيد(ة) {sender_name}،\n\nنخبركم بأننا توصلنا بمراسلتكم المسجلة تحت رقم {number} بتاريخ {received} "
        "في موضوع «{subject}»، وقد أحيلت على {unit} قصد دراستها. وسنوافيكم بما سيتقرر في شأنها.\n\n"
        "وتقبلوا فائق عبارات التقدير والاحترام.",
    },
    "favourable": {
        "fr": "Madame, Monsieur {sender_name},\n\nSuite à votre demande n° {number} du {received} relative à "
        "« {subject} », j'ai l'honneur de vous informer qu'une suite favorable lui a été réservée.\n\n"
        "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
        "ar": "السيد(ة) {sender_name}،\n\nجوابا على طلبكم رقم {number} بتاريخ {received} في موضوع «{subject}»، "
        "يشرفني أن أخبركم بأنه تقرر الاستجابة لطلبكم.\n\nوتقبلوا فائق عبارات التقدير والاحترام.",
    },
    "missing_documents": {
        "fr": "Madame, Monsieur {sender_name},\n\nVotre courrier n° {number} du {received} relatif à « {subject} » "
        "ne peut être instruit en l'état. Nous vous prions de compléter votre dossier par les pièces "
        "suivantes :\n- \n\nVeuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
        "ar": "السيد(ة) {sender_name}،\n\nلا يمكن دراسة مراسلتكم رقم {number} بتاريخ {received} في موضوع «{subject}» "
        "على حالتها. نرجو منكم استكمال ملفكم بالوثائق التالية:\n- \n\nوتقبلوا فائق عبارات التقدير والاحترام.",
    },
    "unfavourable": {
        "fr": "Madame, Monsieur {sender_name},\n\nSuite à votre demande n° {number} du {received} relative à "
        "« {subject} », j'ai le regret de vous informer qu'il n'est pas possible d'y donner une suite "
        "favorable, pour le motif suivant :\n\nVeuillez agréer, Madame, Monsieur, l'expression de nos "
        "salutations distinguées.",
        "ar": "السيد(ة) {sender_name}،\n\nجوابا على طلبكم رقم {number} بتاريخ {received} في موضوع «{subject}»، "
        "يؤسفني إخباركم بأنه تعذرت الاستجابة لطلبكم للسبب التالي:\n\nوتقبلوا فائق عبارات التقدير والاحترام.",
    },
}


class _Keep(dict):
    def __missing__(self, key: str) -> str:  # unknown merge fields stay visible for the agent to fix
        return "{" + key + "}"


def fields(session: Session, corr: Correspondence, lang: str) -> dict[str, str]:
    """The merge fields' values for ``corr`` in ``lang`` (the caller has checked the actor may see it)."""
    adm = session.get(Administration, corr.administration_id)
    unit = session.get(Unit, corr.action_unit_id) if corr.action_unit_id else None
    party = session.get(Party, corr.sender_party_id) if corr.sender_party_id else None
    sender = party.full_name if party else ""
    if not sender and corr.sender_administration_id:
        other = session.get(Administration, corr.sender_administration_id)
        sender = (other.name_ar if lang == "ar" else other.name_fr) if other else ""
    fmt = format_datetime_ar if lang == "ar" else format_datetime_fr
    return {
        "sender_name": sender,
        "number": corr.registry_number,
        "received": fmt(corr.registered_at).split(" ")[0],
        "subject": corr.subject,
        "administration": (adm.name_ar if lang == "ar" else adm.name_fr) if adm else "",
        "unit": (unit.name_ar if lang == "ar" else unit.name_fr) if unit else "",
        "today": fmt(datetime.now().astimezone()).split(" ")[0],
    }


def _context(session: Session, actor: Actor | None, incoming_id: int, lang: str) -> dict[str, str]:
    corr = scoping.get_visible(session, actor, incoming_id)
    assert actor is not None
    if not letter_actions.parties(session, actor, corr):
        raise PermissionDenied()
    return fields(session, corr, lang)


def merge(session: Session, actor: Actor | None, incoming_id: int, template: str, lang: str = "fr") -> str:
    """The template's text with the incoming correspondence's fields filled in."""
    lang = "ar" if lang == "ar" else "fr"
    if template not in TEMPLATES:
        raise DomainError("error.invalid_request")
    return string.Formatter().vformat(TEMPLATES[template][lang], (), _Keep(_context(session, actor, incoming_id, lang)))

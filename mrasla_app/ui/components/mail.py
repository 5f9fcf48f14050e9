"""What the staff correspondence pages share: display rows, badges, deadlines, dates.

Rows are ``MailRow`` dataclasses built on the server from what the services returned for the
actor (never more than the lists show), with every free text already in both languages where it is
interpolated.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import reflex as rx

from mrasla_app.i18n import LANGS, translate
from mrasla_app.i18n.formats import local_day, local_dt, today
from mrasla_app.services.correspondence import deadlines, registry
from mrasla_app.services.correspondence.dispatch import TYPES as MAIL_TYPES
from mrasla_app.services.vocabulary import CHANNELS, DIRECTIONS, PRIORITIES, STATUSES
from mrasla_app.ui import routes
from mrasla_app.ui.i18n import pick, t, t_choice

# re-exported for the pages
__all__ = ["CHANNELS", "DIRECTIONS", "MAIL_TYPES", "PRIORITIES", "STATUSES", "local_day", "local_dt", "today"]


def holidays(session, administration_id: int | None) -> set[date]:
    year = today().year
    return set(deadlines.holidays_for(session, administration_id, (year - 1, year, year + 1)))


def deadline_fields(deadline: date | None, off: set[date], status: str) -> dict[str, str]:
    """``dl``, ``dl_state`` (none/ok/due_soon/overdue; closed mail is never late) and its texts."""
    out = {"dl": local_day(deadline), "dl_state": "none", **{f"dl_{lang}": "" for lang in LANGS}}
    if deadline is None:
        return out
    state, days = deadlines.deadline_state(deadline, today(), off) if status in registry.OPEN_VALUES else ("none", 0)
    out["dl_state"] = state
    if state == "overdue":
        out.update({f"dl_{lang}": translate("mail.deadline.late", lang, n=days) for lang in LANGS})
    elif state == "due_soon":
        key = "mail.deadline.today" if days <= 0 else "mail.deadline.left"
        out.update({f"dl_{lang}": translate(key, lang, n=days) for lang in LANGS})
    return out


def slug(registry_number: str) -> str:
    return registry.reference_slug(registry_number)


@dataclasses.dataclass
class DeadlineShown:
    """A letter's deadline as display data: the day, its state (none/ok/due_soon/overdue) and texts
    (``deadline_fields``); shared by the list rows and the letter page."""

    dl: str = ""
    dl_state: str = "none"
    dl_ar: str = ""
    dl_fr: str = ""
    dl_en: str = ""


@dataclasses.dataclass
class MailRow(DeadlineShown):
    """A correspondence as the inbox and registry lists show it."""

    id: int = 0
    number: str = ""
    slug: str = ""  # the number as it stands in test ids
    href: str = ""
    at: str = ""
    sender: str = ""
    sender_ar: str = ""
    subject: str = ""
    status: str = ""
    priority: str = ""
    channel: str = ""
    confidential: bool = False
    unit_ar: str = ""
    unit_fr: str = ""
    snip_before: str = ""  # a search hit's excerpt (``snippet_fields``)
    snip_hit: str = ""
    snip_after: str = ""


def list_row(r, off: set[date]) -> MailRow:
    """An ``inbox.InboxRow`` as display data."""
    return MailRow(
        id=r.id,
        number=r.registry_number,
        slug=slug(r.registry_number),
        href=routes.mail_url(r.id),
        at=local_dt(r.registered_at),
        sender=r.sender or "",
        sender_ar=r.sender_ar or r.sender or "",
        subject=r.subject,
        status=r.status,
        priority=r.priority,
        channel=r.channel,
        confidential=bool(r.confidential),
        unit_ar=r.action_unit_ar,
        unit_fr=r.action_unit_fr,
        **deadline_fields(r.deadline, off, r.status),
        **snippet_fields(getattr(r, "snippet", None)),
    )


def snippet_fields(snippet) -> dict[str, str]:
    """A search hit's excerpt (``correspondence.search.Snippet``) as three strings; empty without one."""
    if snippet is None:
        return {"snip_before": "", "snip_hit": "", "snip_after": ""}
    return {"snip_before": snippet.before, "snip_hit": snippet.hit, "snip_after": snippet.after}


# --- components ---------------------------------------------------------------------------------


def status_badge(status: rx.Var, **props) -> rx.Component:
    return rx.el.span(t_choice(status, "status.", STATUSES), class_name="badge badge-st badge-st-" + status, **props)


def priority_badge(priority: rx.Var) -> rx.Component:
    return rx.cond(
        priority != "normal",
        rx.el.span(
            rx.icon("flame", size=14, aria_hidden="true"),
            t_choice(priority, "priority.", PRIORITIES),
            class_name="badge badge-prio badge-prio-" + priority,
        ),
    )


def deadline_cell(row: rx.Var) -> rx.Component:
    """The deadline date, coloured by state, with "due in n days" / "n days late"."""
    return rx.cond(
        row.dl != "",
        rx.el.span(
            rx.cond(
                row.dl_state == "overdue",
                rx.icon("alarm-clock", size=14, aria_hidden="true"),
                rx.icon("calendar-clock", size=14, aria_hidden="true"),
            ),
            rx.el.span(row.dl, dir="ltr"),
            rx.cond(row.dl_fr != "", rx.el.span(pick(row.dl_ar, row.dl_fr, row.dl_en), class_name="dline-note")),
            class_name="dline dline-" + row.dl_state,
            data_state=row.dl_state,
        ),
        rx.el.span("—", class_name="muted"),
    )


def confidential_badge(flag: rx.Var) -> rx.Component:
    """A lock badge when ``flag`` (a bool) is true."""
    return rx.cond(
        flag,
        rx.el.span(rx.icon("lock", size=14, aria_hidden="true"), t("mail.confidential"), class_name="badge badge-conf"),
    )

"""The list of administrations in the first HTML of ``/deposit`` (issue 19: Lighthouse's LCP on a phone).

The deposit wizard opens on the directory, its largest element. The build prerenders the page without it
(the directory is data, and build-time data would go stale), so it came through the websocket after ≈ 200 KB
of JavaScript and the page's largest paint came last. Until its own list arrives, the wizard shows ``slot()``:
an element whose content React takes from a fixed string (``dangerouslySetInnerHTML``), which it neither
compares nor touches when hydrating. The build puts ``PLACEHOLDER`` there (a loading notice and grey cards);
``directory_in_html`` (an ``api_transformer``) answers ``GET /deposit`` with today's active administrations
in its place, from the wizard's own ``public_directory`` and in its cards' markup, so the page's first paint
is its largest. When ``on_load`` brings the app's list, React replaces the slot with it in one commit: never
two lists on screen, and the typing in ``#deposit-search`` (outside the slot) is kept.
"""

from __future__ import annotations

import html
import logging

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Scope

from mrasla_app import db
from mrasla_app.models import Administration
from mrasla_app.services.directory import administrations as directory
from mrasla_app.ui import first_html, routes
from mrasla_app.ui.first_html import lang_spans, lang_text

log = logging.getLogger(__name__)

SHOWN = 20  # the wizard's list shows the first 20 matches
_START, _END = "<!--mr-directory-->", "<!--/mr-directory-->"
# The names in the language of the page around them: the prerendered page is French until the app hydrates.
_CSS = f"<style>{first_html.lang_css('.adm-loading', lang_of='.app-shell')}</style>"
_GREY_CARD = '<li class="adm-card adm-placeholder"></li>'
PLACEHOLDER = (
    f'{_START}{_CSS}<p class="muted" role="status">{lang_text("deposit.loading_list")}</p>'
    f'<ul class="adm-list" aria-hidden="true">{_GREY_CARD * 5}</ul>{_END}'
)
# lucide's "landmark", as the app's cards draw it (``rx.icon("landmark", size=22)``).
_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="22" height="22" viewBox="0 0 24 24" fill="none" '
    'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">'
    '<path d="M10 18v-7"/><path d="M11.119 2.205a2 2 0 0 1 1.762 0l7.84 3.846A.5.5 0 0 1 20.5 7h-17a.5.5 0 0 '
    '1-.22-.949z"/><path d="M14 18v-7"/><path d="M18 18v-7"/><path d="M3 22h18"/><path d="M6 18v-7"/></svg>'
)


def slot() -> rx.Component:
    """What the wizard shows until its list arrives: ``PLACEHOLDER`` in the build, the directory when served."""
    return rx.html(
        PLACEHOLDER,
        class_name="adm-loading",
        data_testid="adm-loading",
        custom_attrs={"suppressHydrationWarning": True},  # dev builds compare the HTML; production does not
    )


def directory_html(rows: list[Administration]) -> str:
    """The administrations as the wizard's cards show them (name, code · city), escaped; not clickable: they
    stand for the app's buttons until those arrive. No test id: the app's cards stay the only ones found."""
    if not rows:
        return f'<p class="muted" role="status">{lang_text("deposit.no_results")}</p>'
    cards = "".join(
        f'<li><div class="adm-card"><span class="adm-icon">{_ICON}</span><span class="adm-body">'
        f'<span class="adm-name">{lang_spans(a.name_ar, a.name_fr)}</span>'
        f'<span class="adm-meta"><code dir="ltr">{html.escape(a.code)}</code> · '
        f"{lang_spans(a.city_ar or '', a.city_fr or '')}</span></span></div></li>"
        for a in rows
    )
    return f'<ul class="adm-list">{cards}</ul>'


def _directory() -> str:
    with db.read_session() as session:
        return directory_html(directory.public_directory(session, "", limit=SHOWN))


def _deposit_request(scope: Scope) -> bool | None:
    """``GET /deposit`` (``/deposit/`` once ``page_urls`` has passed it on)."""
    return True if scope.get("path") in (routes.DEPOSIT, routes.DEPOSIT + "/") else None


async def _with_directory(app: ASGIApp, scope: Scope, page: bytes, _: bool) -> bytes | None:
    """The prerendered page with the directory in the slot; None (the page as built) without a slot or a
    database to read."""
    start = page.find(_START.encode())
    end = page.find(_END.encode(), start)
    if start < 0 or end < 0:
        return None
    try:
        listed = await run_in_threadpool(_directory)
    except SQLAlchemyError:
        log.exception("directory not read: /deposit served with its loading placeholder")
        return None
    return page[:start] + (_CSS + listed).encode() + page[end + len(_END) :]


# ``api_transformer``: ``GET /deposit`` answers the prerendered wizard with today's directory already in it.
directory_in_html = first_html.page_transformer(_deposit_request, _with_directory)

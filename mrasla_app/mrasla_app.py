"""The Reflex app: pages, head components and the REST API — wiring only."""

from __future__ import annotations

import os

import reflex as rx

from mrasla_app import fsutil
from mrasla_app.api import api_transformer
from mrasla_app.api.limits import upload_guard
from mrasla_app.api.security import origin_guard, security_headers
from mrasla_app.i18n import DEFAULT_LANG
from mrasla_app.pwa import cache_headers, page_urls
from mrasla_app.pwa import components as pwa
from mrasla_app.services.platform import deployment, jobs
from mrasla_app.settings import get_settings
from mrasla_app.ui import errors
from mrasla_app.ui.pages import (
    account,
    dashboard,
    folder,
    home,
    inbox,
    login,
    mail,
    parapheur,
    parapheur_batch,
    records,
    registry,
    registry_batches,
    registry_contacts,
    registry_export,
    registry_new,
)
from mrasla_app.ui.pages.admin import administrations, circuits, delegations, units, users
from mrasla_app.ui.pages.admin import file_plan as admin_file_plan
from mrasla_app.ui.pages.admin import holidays as admin_holidays
from mrasla_app.ui.pages.admin import index as admin_index
from mrasla_app.ui.pages.admin import mailboxes as admin_mailboxes
from mrasla_app.ui.pages.admin import signin as admin_signin
from mrasla_app.ui.pages.admin import webhooks as admin_webhooks
from mrasla_app.ui.pages.portal import (
    deposit,
    deposit_done,
    deposit_html,
    track,
    track_link,
    verify_pdf,
    verify_receipt,
)
from mrasla_app.ui.reconnect import keep_token_on_reconnect
from mrasla_app.ui.state import HEAD_LANG_SCRIPT
from mrasla_app.ui.state_manager import throttle_disk_purge
from mrasla_app.ui.stylesheet import inline_style

fsutil.private_umask()  # every file the server writes (database, WAL, spool, documents): 0600 / 0700
if _refusal := deployment.demo_refusal(get_settings()):  # no published demo password on a reachable server
    raise SystemExit(_refusal)
throttle_disk_purge()  # before Reflex creates its state manager (embedded topology: states on disk)
keep_token_on_reconnect()  # a tab that reconnects keeps its state while its old socket is being closed

PAGES = (
    home,
    login,
    account,
    registry,
    inbox,
    mail,
    parapheur,
    parapheur_batch,
    deposit,
    deposit_done,
    verify_pdf,
    verify_receipt,
    track,
    track_link,
    admin_index,
    administrations,
    units,
    users,
    delegations,
    folder,
    circuits,
    registry_new,
    registry_export,
    dashboard,
    admin_holidays,
    registry_batches,
    admin_webhooks,
    admin_signin,
    admin_file_plan,
    records,
    admin_mailboxes,
    registry_contacts,
)

app = rx.App(
    toaster=None,  # no toast library in the pages: unexpected failures get a bilingual notice instead
    backend_exception_handler=errors.backend_error,
    # page_urls: each page at its own URL (no redirect to the slash form); uploads rate-limited and capped;
    # sessions and sockets refused to foreign origins; the headers wrap everything
    api_transformer=[
        api_transformer,
        verify_receipt.verdict_in_html,  # a receipt's verdict in the first HTML (slow phones, issue 19)
        deposit_html.directory_in_html,  # the deposit wizard's directory in the first HTML (issue 19)
        page_urls(m.ROUTE for m in PAGES),
        upload_guard,
        origin_guard,
        security_headers,
        cache_headers,
    ],
    html_lang=DEFAULT_LANG,
    html_custom_attrs={"dir": "ltr"},
    reset_style=False,  # inlined with the app's styles (mrasla_app/ui/stylesheet.py)
    head_components=[
        inline_style(),  # the whole stylesheet, so the first paint needs no second request
        rx.el.script(HEAD_LANG_SCRIPT),  # inline, in the prerendered <head>: runs before first paint
        rx.el.meta(name="theme-color", content="#0f5c55"),
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
        *pwa.head_components(),  # manifest + service worker + offline draft (mrasla_app/pwa)
    ],
)
pwa.install(app)  # bilingual connection indicator instead of Reflex's English toast

for module in PAGES:
    app.add_page(module.page, route=module.ROUTE, title=module.TITLE, on_load=module.ON_LOAD)

if os.environ.get("MRASLA_JOBS", "1") != "0":  # set MRASLA_JOBS=0 where `mrasla worker` runs them instead
    app.register_lifespan_task(jobs.run_forever)

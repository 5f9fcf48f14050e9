"""Reflex configuration. Mrasla uses its own engine and Alembic migrations (see mrasla_app/db.py),
so no ``db_url`` is given to Reflex: that keeps ``reflex run`` from running its own schema checks."""

import os

import reflex as rx

from mrasla_app.pwa import PwaPlugin
from mrasla_app.settings import get_settings
from mrasla_app.ui.stylesheet import InlineStylesPlugin
from mrasla_app.ui.webfonts import WebFontsPlugin

config = rx.Config(
    app_name="mrasla_app",
    show_built_with_reflex=False,
    telemetry_enabled=False,
    redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
    # The websocket handshake (socket.io checks Origin against this list) and CORS answer only pages of
    # the public URL (and its loopback names on a loopback URL): never "*", which let any page that a
    # signed-in user opens drive their session (api/security.py's origin_guard checks the same again).
    cors_allowed_origins=sorted(get_settings().allowed_origins),
    plugins=[
        PwaPlugin(),  # manifest, offline screen, sw.js with the precache list from the build output
        InlineStylesPlugin(),  # no <link> to Reflex's empty global stylesheet: the styles are inline
        WebFontsPlugin(),  # the Arabic face as small WOFF subsets (the PDFs keep the full TTFs)
    ],
    disable_plugins=[rx.plugins.sitemap.SitemapPlugin],
    frontend_compression_formats=["brotli", "gzip"],  # served by Accept-Encoding; brotli ≈ 15 % smaller JS
)

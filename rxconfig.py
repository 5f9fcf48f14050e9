"""Reflex configuration. Mrasla uses its own engine and Alembic migrations (see mrasla_app/db.py),
so no ``db_url`` is given to Reflex: that keeps ``reflex run`` from running its own schema checks."""

import os
from typing import Any

import reflex as rx
from reflex.plugins import Plugin

from mrasla_app.pwa import PwaPlugin
from mrasla_app.settings import get_settings
from mrasla_app.ui.stylesheet import InlineStylesPlugin
from mrasla_app.ui.webfonts import WebFontsPlugin

# The lucide icons of the site layout and of the public pages (deposit, tracking, verification, home), in one
# chunk: Vite made each icon its own file, ≈ 20 requests of < 1 KB on a public page, each paying the network's
# latency (400 ms on slow 3G, six at a time). Staff pages keep their other icons as before. Read from the
# compiled pages when Vite builds (the list follows the pages).
ICON_CHUNK_JS = r"""
import { readdirSync, readFileSync } from "fs";
// Mrasla (rxconfig.IconChunkPlugin): the layout's and the public pages' icons in one chunk.
function mraslaIconChunk() {
  const files = [];
  const walk = (dir) => {
    let entries = [];
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = dir + "/" + e.name;
      if (e.isDirectory()) walk(p);
      else if (/\.jsx?$/.test(e.name)) files.push([e.name, readFileSync(p, "utf8")]);
    }
  };
  for (const d of ["app", "app_components", "utils"]) walk(fileURLToPath(new URL("./" + d, import.meta.url)));
  const PUBLIC = new RegExp("^(\\[(deposit|track|verify)\\]|_index\\.jsx|" +
    "(deposit|deposit_done|track|track_link|verify_receipt|verify_pdf|home)\\.jsx)");
  const uses = new Map();
  const pub = new Set();
  for (const [name, code] of files) {
    const found = [...code.matchAll(/lucide-react\/dist\/esm\/icons\/([a-z0-9-]+)\.mjs/g)];
    for (const m of new Set(found.map((x) => x[1]))) {
      uses.set(m, (uses.get(m) || 0) + 1);
      if (PUBLIC.test(name)) pub.add(m);
    }
  }
  for (const [icon, n] of uses) if (n >= 8) pub.add(icon);  // the layout's (every page imports them)
  const names = [...pub].map((n) => n.replace(/[^a-z0-9-]/g, "")).join("|") || "-none-";
  const lucide = "lucide-react[\\\\/]dist[\\\\/]esm[\\\\/]";
  return new RegExp(lucide + "(icons[\\\\/](" + names + ")\\.mjs$|" +
    "createLucideIcon|Icon\\.mjs|context\\.mjs|defaultAttributes|shared)");
}
"""
ICON_GROUP_ANCHOR = "          groups: [\n"


def add_icon_chunk(code: str) -> str:
    """``vite.config.js`` with the icons group (unchanged when Reflex's template no longer has the anchor)."""
    if ICON_GROUP_ANCHOR not in code or "mraslaIconChunk" in code:
        return code
    anchor = 'import { defineConfig } from "vite";\n'
    code = code.replace(anchor, anchor + ICON_CHUNK_JS, 1)
    group = '            {\n              test: mraslaIconChunk(),\n              name: "icons",\n            },\n'
    return code.replace(ICON_GROUP_ANCHOR, ICON_GROUP_ANCHOR + group, 1)


class IconChunkPlugin(Plugin):
    def pre_compile(self, **context: Any) -> None:
        context["add_modify_task"]("vite.config.js", add_icon_chunk)


# With Reflex's state in Redis (the production topology), a worker keeps a session's state and lock for a moment
# after an event (optimistic "oplock" leases) instead of loading, locking and saving it in Redis for every event:
# a navigation's two events then cost one round of that. Another worker that needs the session asks for the lease
# and gets it. The PostgreSQL + Redis suites (``make test-pg``) run with it; bench/RESULTS.md section 4 has the
# measurements. ``REFLEX_OPLOCK_ENABLED=false`` turns it off.
if os.environ.get("REFLEX_REDIS_URL"):
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")

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
        IconChunkPlugin(),  # the public pages' icons in one file instead of ≈ 20
    ],
    disable_plugins=[rx.plugins.sitemap.SitemapPlugin],
    frontend_compression_formats=["brotli", "gzip"],  # served by Accept-Encoding; brotli ≈ 15 % smaller JS
)

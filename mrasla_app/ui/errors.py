"""What a browser is told when an event handler fails unexpectedly.

Reflex's default answer is an English toast ("An error occurred.") and needs its toast library (sonner,
≈ 11 KB compressed of JavaScript) in every page. Mrasla's handlers report expected failures themselves,
in the page and in the user's language; what is left is a bug or an outage, for which one bilingual
notice is enough, and the app is built without the toast library (``toaster=None`` in ``mrasla_app.py``).
The traceback goes to the server's log, never to the browser.
"""

from __future__ import annotations

import logging

import reflex as rx
from reflex.event import EventSpec

from mrasla_app.i18n import bilingual

log = logging.getLogger("mrasla.ui")


def backend_error(exception: Exception) -> EventSpec:
    """Log the failure and show the Arabic and French notice (the language chosen is in the state that
    may have failed, so both are given)."""
    log.error("event handler failed", exc_info=exception)
    notice = bilingual("error.unexpected")
    return rx.window_alert(f"{notice['ar']}\n\n{notice['fr']}")

"""An event handler that fails unexpectedly: the browser gets one bilingual notice, the log the traceback."""

from __future__ import annotations

import json
import logging
import re

from mrasla_app.i18n import translate
from mrasla_app.ui.errors import backend_error


def test_an_unexpected_failure_is_told_in_arabic_and_french_and_logged(caplog):
    try:
        raise RuntimeError("secret detail: password=hunter2")
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR, logger="mrasla.ui"):
            spec = backend_error(exc)
    script = {str(name): str(value) for name, value in spec.args}["function"]
    shown = json.loads(re.search(r'\["alert"\]\(("(?:[^"\\]|\\.)*")\)', script).group(1))
    assert shown == f"{translate('error.unexpected', 'ar')}\n\n{translate('error.unexpected', 'fr')}"
    assert "hunter2" not in script  # the browser never sees the exception
    assert "hunter2" in caplog.text and "Traceback" in caplog.text

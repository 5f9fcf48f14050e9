"""The upload field of a form whose state keeps its files in an ``UploadList`` (the citizen's deposit,
the registry's registration): the drop zone, then the server's message about the files."""

from __future__ import annotations

from typing import Any

import reflex as rx

from mrasla_app.ui.components.files import ACCEPT
from mrasla_app.ui.components.forms import field_error
from mrasla_app.ui.pages.portal.common import upload_box


def files_upload(state: Any, upload_id: str, form_id: str, errors: tuple[Any, ...], *, icon: str) -> rx.Component:
    """Files dropped or picked go to ``state.add_files`` at once; errors about them show under the zone."""
    return rx.fragment(
        upload_box(
            upload_id,
            state.add_files(rx.upload_files(upload_id=upload_id)),
            "deposit.files_add",
            "deposit.files_drop",
            accept=ACCEPT,
            icon=icon,
        ),
        field_error(errors, "files", f"{form_id}-files"),
    )

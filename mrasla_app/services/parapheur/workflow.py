"""The parapheur (الحامل الإلكتروني) as the correspondence and portal services call it: folders
travelling through a circuit of visas, opinions, signatures and seals.

The parapheur is split by concern; this module only names, for those other services, the few
entry points they use (pages, the API and the parapheur's own modules import the concern modules):

- ``lifecycle``: the folder and step lifecycles and the actions allowed in each status, as tables;
- ``folders``: finding a folder the actor may see; ``dematerialisation``: uploads become documents;
- ``submission``: draft, circuit start (the document prepared once), new version, cancellation;
- ``steps``: building and activating circuit steps; ``decisions``: acting on the active step;
- ``signatures``: the signatory's credential and the PAdES signature of a step's field;
- ``views``: queues, the folder as pages and the API show it, its documents; ``summary``: the bordereau.
"""

from __future__ import annotations

from mrasla_app.services.parapheur.folders import can_see
from mrasla_app.services.parapheur.lifecycle import FOLDER_TRANSITIONS, SIGNED_STATUSES, move
from mrasla_app.services.parapheur.submission import create_folder, new_version, start
from mrasla_app.services.parapheur.submission import default_unit as _default_unit
from mrasla_app.services.parapheur.views import folder_detail, public_status, signed_document

__all__ = [
    "can_see",
    "FOLDER_TRANSITIONS",
    "SIGNED_STATUSES",
    "move",
    "create_folder",
    "new_version",
    "start",
    "_default_unit",
    "folder_detail",
    "public_status",
    "signed_document",
]

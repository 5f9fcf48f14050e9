r"""Structural checks of an uploaded PDF, cheap enough for the deposit path and bounded on hostile input.

A PDF is accepted when pypdf opens it, it is not encrypted, its page tree really holds between
one and ``max_pages`` pages, and nothing in it can act when a clerk opens it: no JavaScript, no
launch action, no attached or embedded file, no XFA form, no rich media, and nothing that reaches
out — no form submission or data import (``/SubmitForm``, ``/ImportData``), no jump into another
file (``/GoToR``, ``/GoToE``: on Windows a ``\\host\share`` path sends the clerk's credentials),
no web address opened by itself (``/URI`` run by ``/OpenAction`` or an additional action ``/AA``,
of the document, a page, a form field or an annotation), no link to a local file or network share
(``file:``, ``smb:``, UNC paths). An ordinary link the reader chooses to click (a ``/Link``
annotation or a bookmark with an http(s) or mailto ``/URI``) is kept. Active content is refused
rather than stripped: the stored original is what the receipt's hash proves, so the depositor is
asked to export a plain PDF instead.

Nothing here decodes page contents or images. The only streams inflated are those pypdf must
read to find objects at all (cross-reference and object streams), under a total budget; the walk
for active content skips resources, appearances and the structure tree, and is bounded in objects.
"""

from __future__ import annotations

import io
import warnings

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from mrasla_app.services.errors import DomainError

#: Decoded bytes of all object streams together, and of any one stream pypdf decodes (real files: < 2 MB).
OBJECT_STREAM_BUDGET = 16 * 1024 * 1024
#: Indirect objects resolved while looking for active content (a 200-page letter: a few thousand).
MAX_OBJECTS = 10_000
#: Dictionaries and arrays visited while looking for active content.
MAX_NODES = 200_000
#: Keys whose presence anywhere makes the document active (hex-escaped names are decoded by pypdf).
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"})
#: Values of an action's /S refused wherever the action is: they run code or reach out to other files or servers.
ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/RichMediaExecute", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE"}
)
#: Refused only when the reader does not choose them (run by /OpenAction or /AA, see ``_has_active_content``).
AUTOMATIC_ONLY_ACTIONS = frozenset({"/URI"})
#: Addresses that reach a local file or a network share (credential leak on Windows), refused even in links.
LOCAL_OR_SHARE = ("\\\\", "//", "file:", "smb:")
ACTIVE_SUBTYPES = frozenset({"/FileAttachment", "/RichMedia"})  # annotation types
#: Branches that cannot hold actions (or point back up the tree): not walked.
INERT_KEYS = frozenset(
    {
        "/Parent",
        "/P",
        "/Resources",
        "/DR",
        "/AP",
        "/Contents",
        "/StructTreeRoot",
        "/Metadata",
        "/Thumb",
        "/PieceInfo",
        "/Dests",
    }
)
_OUTPUT_LIMITS = (
    "zlib_maximum_output_length",
    "lzw_maximum_output_length",
    "run_length_maximum_output_length",
    "brotli_maximum_output_length",
    "array_based_stream_maximum_output_length",
)


def _output_limits(size: int) -> dict[str, int]:
    """pypdf configuration: no stream may decode to more than ``size`` bytes."""
    return {name: max(size, 1) for name in _OUTPUT_LIMITS}


def page_count(data: bytes, max_pages: int, name: str = "") -> int:
    """Open with pypdf and check the document (see module docstring); return its number of pages."""
    try:
        with (
            warnings.catch_warnings(),
            apply_configuration(
                **_output_limits(OBJECT_STREAM_BUDGET),
                page_tree_maximum_depth=32,
                page_tree_maximum_entries=2 * max_pages + 16,
            ),
        ):  # nodes + leaves of an honest tree
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise DomainError("error.pdf_encrypted", name=name)
            _inflate_object_streams(reader, name)
            declared = int(reader.root_object["/Pages"]["/Count"])
            if declared > max_pages:
                raise DomainError("error.too_many_pages", name=name, max=max_pages)
            pages = len(reader.pages)  # walks the real tree: a lying /Count is caught here
            if pages > max_pages:
                raise DomainError("error.too_many_pages", name=name, max=max_pages)
            if pages == 0:
                raise DomainError("error.pdf_broken", name=name)
            reader.pages[0].mediabox  # noqa: B018 - a first page that does not parse means a broken file
            if _has_active_content(reader, name):
                raise DomainError("error.pdf_active_content", name=name)
    except DomainError:
        raise
    except LimitReachedError:  # one of pypdf's safety limits (streams, page tree, arrays…)
        raise DomainError("error.pdf_too_complex", name=name) from None
    except Exception:  # noqa: BLE001 - any parser failure means a broken file
        raise DomainError("error.pdf_broken", name=name) from None
    return pages


def _inflate_object_streams(reader: PdfReader, name: str) -> None:
    """Decode every object stream once, within one budget for them all: pypdf caches what it decodes,
    so many streams each just under its per-stream limit would otherwise add up."""
    budget = OBJECT_STREAM_BUDGET
    numbers = sorted({number for number, _ in reader.xref_objStm.values()})
    if len(numbers) > MAX_OBJECTS:
        raise DomainError("error.pdf_too_complex", name=name)
    for number in numbers:
        with apply_configuration(**_output_limits(budget)):  # LimitReachedError beyond what is left
            stream = IndirectObject(number, 0, reader).get_object()
            budget -= len(stream.get_data())


# How an object was reached (see ``_has_active_content``).
_PLAIN, _TRIGGERED, _TRIGGERS = 0, 1, 2


def _has_active_content(reader: PdfReader, name: str) -> bool:
    """Walk every object reachable from the catalogue (outlines, names, forms, pages, annotations,
    actions and their ``/Next`` chains) except ``INERT_KEYS`` branches, each indirect object once
    per context.

    The context says whether an action would run without the reader choosing it: what ``/OpenAction``
    names, the entries of any ``/AA`` dictionary (document, page, field or annotation triggers) and
    the ``/Next`` chains of those actions are *triggered*; a ``/URI`` there is refused, while the
    ``/URI`` of a link or bookmark is not (unless it points to a local file or share)."""
    stack: list[tuple[PdfObject | None, int]] = [(reader.trailer.raw_get("/Root"), _PLAIN)]
    seen: set[tuple[int, int, int]] = set()
    objects = nodes = 0
    while stack:
        obj, context = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation, context) in seen:
                continue
            seen.add((obj.idnum, obj.generation, context))
            objects += 1
            obj = obj.get_object()
        nodes += 1
        if objects > MAX_OBJECTS or nodes > MAX_NODES:
            raise DomainError("error.pdf_too_complex", name=name)
        if isinstance(obj, DictionaryObject):  # streams included (their dictionary only)
            action = _name(obj, "/S")
            if (
                ACTIVE_KEYS.intersection(obj.keys())
                or action in ACTIVE_ACTIONS
                or (action in AUTOMATIC_ONLY_ACTIONS and context != _PLAIN)
                or _reaches_local(obj)
                or _name(obj, "/Subtype") in ACTIVE_SUBTYPES
                or _name(obj, "/Type") == "/EmbeddedFile"
            ):
                return True
            stack.extend(
                (v, _child_context(context, k)) for k, v in obj.items() if k not in INERT_KEYS and _container(v)
            )
        elif isinstance(obj, ArrayObject):
            stack.extend((v, context if context == _TRIGGERED else _PLAIN) for v in obj if _container(v))
    return False


def _child_context(context: int, key: str) -> int:
    if key == "/OpenAction":
        return _TRIGGERED
    if key == "/AA":
        return _TRIGGERS
    if context == _TRIGGERS or (context == _TRIGGERED and key == "/Next"):
        return _TRIGGERED
    return _PLAIN


def _reaches_local(obj: DictionaryObject) -> bool:
    """A ``/URI`` (or file specification ``/F``) naming a local file or a network share."""
    for key in ("/URI", "/F"):
        value = _name(obj, key)
        if isinstance(value, (str, bytes)):
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            if text.strip().lower().startswith(LOCAL_OR_SHARE):
                return True
    return False


def _container(value: object) -> bool:
    return isinstance(value, (IndirectObject, DictionaryObject, ArrayObject))


def _name(obj: DictionaryObject, key: str) -> object:
    value = obj.raw_get(key) if key in obj else None
    return value.get_object() if isinstance(value, IndirectObject) else value

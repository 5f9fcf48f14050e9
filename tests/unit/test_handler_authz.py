"""Reflex event handlers called directly, as a hostile browser would, with another administration's ids.

Every handler of every page state is found automatically and called with payloads aimed at the
Commune de Rabat (CRB) — as anonymous, as an agent of MEF and as the administrator of MEF — also
after forging the public ``adm_id`` var with ``setvar``. Afterwards CRB's data must be unchanged and
none of CRB's people or units may appear in the state that would be sent to the browser.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re

import pytest
from reflex.istate.data import RouterData
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Administration, Delegation, RoleMembership, Unit, User
from mrasla_app.services import accounts
from mrasla_app.ui.state import LangState

import mrasla_app.mrasla_app  # noqa: F401  (registers every page state)

SKIP = {"setvar", "set_lang", "toggle_lang", "logout"}
# The citizen portal shows the public directory (every active administration and its unit tree) by
# design: there only people (e-mails) count as a leak.
PUBLIC_DIRECTORY_PAGES = "mrasla_app.ui.pages.portal."


def _all_states():
    def walk(cls):
        for sub in cls.get_substates():
            yield sub
            yield from walk(sub)
    return [LangState, *walk(LangState)]


def _form_keys(fn) -> set[str]:
    src = inspect.getsource(fn)
    return set(re.findall(r"form(?:\.get\(|\[)\s*[\"'](\w+)[\"']", src))


def _snapshot(adm_id: int) -> tuple:
    """Every row that belongs to the administration, as plain tuples."""
    with db.read_session() as s:
        users = s.execute(select(User).where(User.administration_id == adm_id).order_by(User.id)).scalars().all()
        uids = [u.id for u in users]
        units = s.execute(select(Unit).where(Unit.administration_id == adm_id).order_by(Unit.id)).scalars().all()
        return (
            repr(s.get(Administration, adm_id).model_dump()),
            [repr(u.model_dump()) for u in users],
            [repr(u.model_dump()) for u in units],
            [repr(m.model_dump()) for m in s.execute(select(RoleMembership).where(RoleMembership.user_id.in_(uids))
                                                     .order_by(RoleMembership.id)).scalars()],
            [repr(d.model_dump()) for d in s.execute(select(Delegation).where(Delegation.from_user_id.in_(uids))
                                                     .order_by(Delegation.id)).scalars()],
        )


def _cookie_for(email: str | None) -> str:
    if email is None:
        return ""
    with db.write_session() as s:
        ticket = accounts.authenticate(s, email, "Mrasla@2026")
        token = accounts.exchange_ticket(s, ticket)
    return f"mrasla_session={token}"


def _state_for(cls, cookie: str):
    root = cls.get_root_state()(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    router = RouterData.from_router_data({"headers": {"cookie": cookie}, "pathname": "/admin/users"})
    for s in (root, *[root.get_substate(cls.get_full_name().split(".")[1:i]) for i in range(2, len(cls.get_full_name().split(".")) + 1)]):
        s.router = router
    return root, state


async def _call(fn, state, args) -> None:
    result = fn(state, *args)
    if inspect.iscoroutine(result):
        await result
    elif inspect.isasyncgen(result):
        async for _ in result:
            pass
    elif inspect.isgenerator(result):
        for _ in result:
            pass


def _browser_view(root) -> str:
    return json.dumps(root.dict(), default=str, ensure_ascii=False)


@pytest.mark.parametrize("who", [None, "agent.mef@mrasla.ma", "admin.mef@mrasla.ma"])
def test_no_handler_reaches_another_administration(seeded, who):
    crb = seeded.adm_id("CRB")
    with db.read_session() as s:
        crb_user_ids = [str(i) for i in s.execute(select(User.id).where(User.administration_id == crb)).scalars()]
        crb_emails = list(s.execute(select(User.email).where(User.administration_id == crb)).scalars())
        crb_units = s.execute(select(Unit.id, Unit.name_fr).where(Unit.administration_id == crb)).all()
        crb_memberships = [str(i) for i in s.execute(select(RoleMembership.id).join(User, User.id == RoleMembership.user_id)
                                                     .where(User.administration_id == crb)).scalars()]
    cookie = _cookie_for(who)
    hostile_ids = [str(crb), *crb_user_ids[:3], *[str(u) for u, _ in crb_units[:3]], *crb_memberships[:3]]
    before = _snapshot(crb)
    calls = 0
    for cls in _all_states():
        for name, handler in cls.event_handlers.items():
            if name in SKIP:
                continue
            params = [p for p in inspect.signature(handler.fn).parameters.values() if p.name != "self"]
            keys = _form_keys(handler.fn)
            for target in hostile_ids:
                for forge in (False, True):
                    root, state = _state_for(cls, cookie)
                    if forge and "adm_id" in state.base_vars:
                        state.adm_id = crb
                    args = []
                    for p in params:
                        if p.annotation in ("dict", dict):
                            args.append({k: (target if k.endswith("id") else "Hostile-Value-123!") for k in keys}
                                        | {"email": "intrus@example.ma", "password": "Mrasla@2026-x", "role": "admin",
                                           "code": "HACK", "starts_at": "2026-01-01", "ends_at": "2026-12-31"})
                        elif p.annotation in ("bool", bool):
                            args.append(False)
                        elif "UploadFile" in str(p.annotation) or str(p.annotation).startswith("list"):
                            args.append([])
                        elif p.annotation in ("int", int):
                            args.append(int(target))
                        else:
                            args.append(target)
                    asyncio.run(_call(handler.fn, state, args))
                    calls += 1
                    view = _browser_view(root)
                    leaked = [e for e in crb_emails if e in view]
                    if not cls.__module__.startswith(PUBLIC_DIRECTORY_PAGES):
                        leaked += [n for _, n in crb_units if f'"{n}"' in view]
                    assert not leaked, f"{cls.__name__}.{name}{args} exposed {leaked[:3]}"
    assert calls > 100
    assert _snapshot(crb) == before

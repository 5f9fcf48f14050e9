"""The authorisation matrix: every event handler and every API route, as every kind of actor, against
the objects that actor must not reach (see ``world.py``).

Handlers and routes are listed from the code (the registered Reflex states and the OpenAPI document);
each must have a declared policy in ``policies.py``. Each is then called as a hostile browser or client
would — with the target's ids as arguments and in the page URL, and again after forging every public
id-like var with ``setvar`` — and every answer must be a clean refusal:
- no exception escapes a handler; no 5xx from a route; signed-in-only routes answer 401 to anonymous callers;
- none of the target's markers (subject, sender, identity number, title, e-mails) is in the response body
  or in the state that would be sent to the browser;
- nothing in the database changed, except, where the policy allows it, the caller's own records.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from reflex.istate.data import RouterData
from sqlalchemy import text, update
from sqlmodel import SQLModel

import mrasla_app.mrasla_app as app_module  # noqa: F401  (registers every page and its state)
from mrasla_app import db
from mrasla_app.api import api_app
from mrasla_app.api.auth import login_limit
from mrasla_app.api.deposits import deposit_limit, read_limit
from mrasla_app.api.verify import verify_limit
from mrasla_app.models import User
from mrasla_app.pki import ca
from mrasla_app.services.directory import accounts
from mrasla_app.services.platform.seed import demo_totp
from mrasla_app.ui.pages.portal.common import lookup_limit, track_limit
from mrasla_app.ui.pages.portal.deposit import submit_limit
from mrasla_app.ui.state import LangState
from tests.authz import policies, world

LIMITERS = (deposit_limit, read_limit, verify_limit, lookup_limit, track_limit, submit_limit, login_limit)


# ----------------------------------------------------------------------------------- discovery


def all_states() -> list[type]:
    def walk(cls):
        for sub in cls.get_substates():
            yield sub
            yield from walk(sub)

    return [LangState, *walk(LangState)]


def all_handlers() -> Iterator[tuple[type, str, object]]:
    for cls in all_states():
        for name, handler in cls.event_handlers.items():
            yield cls, name, handler


def all_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the API app, from its OpenAPI document and its route table."""
    found = {(m.upper(), p) for p, ops in api_app.openapi()["paths"].items() for m in ops}
    return sorted(found)


def page_route(cls: type) -> str:
    """The URL pattern of the page a state belongs to (component states: the page that embeds them)."""
    module = inspect.getmodule(cls)
    route = getattr(module, "ROUTE", None)
    return route or {
        "DispatchState": "/mail/[mail_id]",
        "SendState": "/mail/[mail_id]",
        "SigningKeyState": "/account",
        "AdminState": "/admin",
    }.get(cls.__name__, "/")


def test_every_handler_and_route_has_a_declared_policy():
    missing = [
        f"{cls.__name__}.{name}"
        for cls, name, _ in all_handlers()
        if policies.handler_policy(cls.__name__, name) is None
    ]
    missing += [f"{m} {p}" for m, p in all_routes() if f"{m} {p}" not in policies.ROUTES]
    assert not missing, f"declare a policy in tests/authz/policies.py for: {missing}"
    known = {cls.__name__: set(cls.event_handlers) for cls in all_states()}
    stale = [f"{s}.{h}" for s, hs in policies.HANDLERS.items() for h in hs if h not in known.get(s, set())]
    stale += [r for r in policies.ROUTES if tuple(r.split(" ", 1)) not in set(all_routes())]
    assert not stale, f"policies for entry points that no longer exist: {stale}"


# ----------------------------------------------------------------------------------- database


def _tables() -> list:
    return [t for t in SQLModel.metadata.sorted_tables]


def snapshot() -> dict[str, dict[tuple, str]]:
    """Every row of every table, keyed by primary key, as a digest of its values."""
    out: dict[str, dict[tuple, str]] = {}
    with db.read_session() as s:
        for table in _tables():
            pk = [c.name for c in table.primary_key.columns]
            rows = s.execute(text(f'SELECT * FROM "{table.name}"')).mappings().all()
            out[table.name] = {
                tuple(r[k] for k in pk): hashlib.sha256(repr(sorted(r.items())).encode()).hexdigest() for r in rows
            }
    return out


def _owned_by(table: str, key: tuple, user_id: int | None) -> bool:
    """Rows a caller may change about themselves (their user row, sessions, keys, login bookkeeping);
    their own sessions may also end (logout)."""
    if table in ("audit_event", "audit_head", "registry_counter", "party", "notification", "tracking_code"):
        return True  # append-only trails and counters that legitimate own actions move
    if user_id is None:
        return False
    if table in ("user", "notification_preference"):
        return key == (user_id,)
    if table in ("user_session", "signing_key", "push_subscription"):
        with db.read_session() as s:
            row = s.execute(text(f'SELECT user_id FROM "{table}" WHERE id = :id'), {"id": key[0]}).first()
        return row is None or row[0] == user_id
    return False


def changes(before: dict, after: dict, user_id: int | None, allow_own: bool) -> list[str]:
    """What changed between two snapshots, minus what the policy lets the caller change of their own."""
    found = []
    for table, rows in after.items():
        old = before.get(table, {})
        for key, digest in rows.items():
            if key not in old:
                if not allow_own:
                    found.append(f"{table}{key} added")
            elif old[key] != digest and not (allow_own and _owned_by(table, key, user_id)):
                found.append(f"{table}{key} changed")
        found += [
            f"{table}{key} deleted" for key in old if key not in rows and not (allow_own and table == "user_session")
        ]
    return found


def cookie_for(email: str | None) -> str:
    if email is None:
        return ""
    with db.write_session() as s:
        # Handlers called with a wrong current password (password change, switching TOTP off) count
        # as failed logins and lock the caller's own account, as they must; the matrix signs in anyway.
        s.execute(update(User).where(User.email == email).values(failed_logins=0, locked_until=None))
    with db.write_session() as s:
        token = accounts.exchange_ticket(s, accounts.authenticate(s, email, world.PASSWORD, demo_totp(email)))
    return token


def still_signed_in(token: str, email: str | None) -> str:
    """The same session token, or a new one when the handler just called was a logout."""
    if not token:
        return token
    with db.read_session() as s:
        alive = accounts.actor_from_token(s, token) is not None
    return token if alive else cookie_for(email)


def user_id_of(email: str | None) -> int | None:
    if email is None:
        return None
    from sqlalchemy import select

    with db.read_session() as s:
        return s.execute(select(User.id).where(User.email == email)).scalar_one()


# ----------------------------------------------------------------------------------- handlers


# Which kind of object a parameter, form field or public var names (ids of another kind are never sent
# there: a number aimed at the wrong table could hit an object the actor may legitimately reach).
NAME_KIND = {
    "correspondence_id": "correspondence",
    "folder_id": "folder",
    "document_id": "document",
    "user_id": "user",
    "from_user_id": "user",
    "to_user_id": "user",
    "action_user": "user",
    "on_behalf_of": "user",
    "sel_id": "user",
    "unit_id": "unit",
    "parent_id": "unit",
    "action_unit": "unit",
    "d_unit": "unit",
    "membership_id": "membership",
    "delegation_id": "delegation",
    "holiday_id": "holiday",
    "template_id": "template",
    "adm_id": "administration",
    "administration_id": "administration",
    "to_administration": "administration",
    "webhook_id": "webhook",
    "endpoint_id": "webhook",
    "provider_id": "provider",
    "rule_id": "rule",
}
# Handlers whose parameter has a generic name.
GENERIC_KIND = {"change_adm": "administration", "set_unit": "unit", "set_circuit": "template"}


def _kind(handler: str, name: str) -> str | None:
    return NAME_KIND.get(name) or (GENERIC_KIND.get(handler) if name == "value" else None)


def _url(cls: type, target: world.Target) -> tuple[str, str]:
    """(route pattern, browser path with query) aimed at ``target``."""
    pattern = page_route(cls)
    path = re.sub(r"\[(\w+)\]", lambda m: target.route_args.get(m.group(1), "0"), pattern)
    adm = target.ids.get("administration", [0])[0]
    return pattern, f"{path}?{urlencode({**target.query, 'adm': adm})}"


def _state_for(cls: type, token: str, target: world.Target):
    root = cls.get_root_state()(_reflex_internal_init=True)
    pattern, as_path = _url(cls, target)
    router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"mrasla_session={token}" if token else "", "origin": "http://localhost:3000"},
            "pathname": pattern,
            "asPath": as_path,
            "query": {**target.query, **target.route_args},
            "ip": "203.0.113.7",
            "token": "client-token",
            "sid": "sid",
        }
    )
    parts = cls.get_full_name().split(".")[1:]
    state = root.get_substate(parts)
    for i in range(len(parts) + 1):
        (root.get_substate(parts[:i]) if i else root).router = router
    return root, state


def _form_keys(fn) -> set[str]:
    return set(re.findall(r"form(?:\.get\(|\[)\s*[\"'](\w+)[\"']", inspect.getsource(fn)))


def aims(name: str, fn, target: world.Target) -> Iterator[dict[str, int]]:
    """Each way to aim ``fn`` at ``target``: one id for every kind of object its parameters and form
    fields name (nothing when the target has no object of a kind a parameter needs)."""
    params = [p.name for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    kinds = {k for k in (_kind(name, p) for p in [*params, *_form_keys(fn)]) if k}
    if any(k not in target.ids or not target.ids[k] for k in kinds):
        return
    if not kinds:
        yield {}
        return
    for kind in sorted(kinds):
        for value in target.ids[kind]:
            yield {k: (value if k == kind else target.ids[k][0]) for k in kinds}


def _args(name: str, fn, target: world.Target, aim: dict[str, int]) -> list:
    def value_for(field: str) -> str:
        kind = _kind(name, field)
        return str(aim[kind]) if kind else "Hostile-Value-123!"

    args = []
    for p in [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]:
        ann = str(p.annotation)
        if "dict" in ann:
            form = {k: value_for(k) for k in _form_keys(fn)}
            args.append(
                {
                    "email": "intrus@example.ma",
                    "password": "Mrasla@2026-x",
                    "role": "admin",
                    "code": "HACK",
                    "starts_at": "2026-01-01",
                    "ends_at": "2026-12-31",
                    "pin": "246813",
                    "number": target.route_args.get("reference", ""),
                    **form,
                    **target.query,
                }
            )
        elif "bool" in ann:
            args.append(True)
        elif "UploadFile" in ann or ann.startswith("list"):
            args.append([])
        elif "int" in ann:
            args.append(0)
        else:
            args.append(value_for(p.name) if _kind(name, p.name) else "0")
    return args


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


def _forge(state, target: world.Target) -> bool:
    """What a hostile browser can do with ``setvar``: point every public id var at the target's objects.
    Returns False when the state has no such var (nothing more to try)."""
    forged = False
    for name in state.base_vars:
        kind = NAME_KIND.get(name)
        if kind and target.ids.get(kind) and isinstance(getattr(state, name), (int, str)):
            current = getattr(state, name)
            setattr(state, name, type(current)(target.ids[kind][0]))
            forged = True
    return forged


def _leaks(root, markers: list[str]) -> list[str]:
    view = json.dumps(root.dict(), default=str, ensure_ascii=False)
    return [m for m in markers if m in view]


@pytest.fixture
def matrix(seeded, monkeypatch: pytest.MonkeyPatch) -> world.World:
    for limiter in LIMITERS:
        limiter.reset()
        monkeypatch.setattr(limiter, "limit", 1_000_000)
    ca.clear_cache()
    yield world.build(seeded)
    ca.clear_cache()


KINDS = [
    "anonymous",
    "depositor with another deposit's token",
    "agent of another unit",
    "agent of another administration",
    "clerk",
    "clerk of another administration",
    "head",
    "signatory",
    "delegate after the delegation ended",
    "administrator",
]


def _actor(matrix: world.World, kind: str) -> world.Actor:
    return next(a for a in matrix.actors if a.kind == kind)


@pytest.mark.parametrize("kind", KINDS)
def test_no_handler_reaches_what_the_actor_must_not(matrix, kind):
    actor = _actor(matrix, kind)
    token, uid = cookie_for(actor.email), user_id_of(actor.email)
    calls = 0
    for cls, name, handler in all_handlers():
        if name == "setvar":
            continue  # exercised through _forge on every other handler
        policy = policies.handler_policy(cls.__name__, name)
        before = snapshot()
        for target in actor.targets:
            for aim in aims(name, handler.fn, target):
                for forge in (False, True):
                    root, state = _state_for(cls, token, target)
                    if forge and not _forge(state, target):
                        continue
                    args = _args(name, handler.fn, target, aim)
                    asyncio.run(_call(handler.fn, state, args))
                    calls += 1
                    leaked = _leaks(root, target.markers)
                    assert not leaked, f"{kind}: {cls.__name__}.{name}{args} (forged={forge}) showed {leaked}"
        changed = changes(before, snapshot(), uid, policy in policies.OWN_CHANGES)
        assert not changed, f"{kind}: {cls.__name__}.{name} changed {changed[:5]}"
        token = still_signed_in(token, actor.email)
    assert calls > 100


# ----------------------------------------------------------------------------------- API routes


def route_aims(path: str, target: world.Target) -> Iterator[str]:
    """The route's URL aimed at each of the target's objects its path names (none if it names other kinds)."""
    names = re.findall(r"\{(\w+)\}", path)
    if "reference" in names and "reference" not in target.route_args:
        return
    kinds = [NAME_KIND[n] for n in names if n in NAME_KIND]
    if any(not target.ids.get(k) for k in kinds):
        return
    fixed = {"reference": target.route_args.get("reference", ""), "direction": "incoming", "page": "1"}
    for kind in sorted(set(kinds)) or [None]:
        for value in target.ids[kind] if kind else [0]:
            yield re.sub(
                r"\{(\w+)\}",
                lambda m: (
                    fixed.get(m.group(1))
                    or str(value if NAME_KIND.get(m.group(1)) == kind else target.ids[NAME_KIND[m.group(1)]][0])
                ),
                path,
            )


def _request(client: TestClient, method: str, url: str, target: world.Target):
    adm = target.ids.get("administration", [0])[0]
    query = {**target.query, "administration": str(adm), "q": "secret", "inline": "1"}
    if method == "GET":
        return client.get(url, params=query)
    if url.endswith("/deposits"):
        return client.post(
            url,
            data={"administration": str(adm), "full_name": "x", "subject": "x"},
            files={"files": ("a.pdf", b"%PDF-1.4 hostile")},
        )
    if url.endswith("/verify/pdf"):
        return client.post(url, files={"file": ("a.pdf", b"%PDF-1.4 hostile")})
    unit = target.ids.get("unit", [0])[0]
    body = {
        "reason": "Hostile-Value-123!",
        "body": "Hostile-Value-123!",
        "action_unit_id": unit,
        "type_code": "request",
        "priority": "urgent",
        "email": "intrus@example.ma",
        "password": "x" * 12,
        "ticket": "forged",
        "action": "reject",
        "pin": "000000",
        "url": "Hostile-Value-123!",
        "events": ["deposit.received"],
        "active": False,
    }
    return client.request(method, url, params=query, json=body, headers={"origin": "http://testserver"})


@pytest.mark.parametrize("kind", KINDS)
def test_no_route_gives_what_the_actor_must_not(matrix, kind):
    actor = _actor(matrix, kind)
    token, uid = cookie_for(actor.email), user_id_of(actor.email)
    calls = 0
    with TestClient(api_app, base_url="http://testserver") as client:
        for method, path in all_routes():
            if path.startswith("/api/v1/docs") or path.endswith("openapi.json"):
                continue
            policy = policies.ROUTES[f"{method} {path}"]
            before = snapshot()
            for target in actor.targets:
                for url in route_aims(path, target):
                    client.cookies.clear()
                    if token:
                        client.cookies.set("mrasla_session", token)
                    r = _request(client, method, url, target)
                    calls += 1
                    where = f"{kind}: {method} {url} [{target.name}] → {r.status_code}"
                    assert r.status_code < 500, where
                    if actor.email is None and policy in policies.SIGNED_IN:
                        assert r.status_code == 401, where
                    if r.status_code >= 400:
                        assert set(r.json()) >= {"error", "message"}, where
                    body = r.content.decode("utf-8", "replace")
                    leaked = [m for m in target.markers if m in body]
                    assert not leaked, f"{where} showed {leaked}"
            changed = changes(before, snapshot(), uid, policy in policies.OWN_CHANGES)
            assert not changed, f"{kind}: {method} {path} changed {changed[:5]}"
            token = still_signed_in(token, actor.email)
    assert calls > 15

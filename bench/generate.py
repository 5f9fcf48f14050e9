"""Fill a migrated database with 1,000 administrations and 1,000,000 correspondences (benchmark 3).

    python bench/generate.py sqlite:///bench/out/benchdb.sqlite
    python bench/generate.py postgresql+psycopg://postgres@127.0.0.1:5432/benchdb_1m
    options: --rows 1000000 --administrations 1000 --seed 7 --until 2026-11-25

The target is created afresh (SQLite file deleted; PostgreSQL database dropped and created — only
names starting with ``benchdb_`` are accepted) and migrated with Alembic, then filled with bulk
inserts (``executemany`` on SQLite, ``COPY`` on PostgreSQL) — not through the per-deposit path, so
no receipts, PDFs or audit events; everything the inbox, search and verification read is there:

- administrations of very different sizes (weights ∝ 1/rank^0.9: the largest holds ≈ 9 % of the
  mail, the median a few hundred letters), each with a unit tree (registry office, directorates,
  divisions, services in the largest ones) and its staff (administrator, clerks, heads, agents);
- correspondences in registration order over ~3 years: incoming (portal, paper, e-mail, other
  administrations), outgoing and internal; Arabic or French subjects, senders and messages;
  statuses by age, dispatches for action (some re-dispatched) and for information, assignees,
  deadlines from the SLA table, confidential items with their named people, documents;
- the text read from each letter's own document (portal attachment, paper scan: about two letters in
  three), as the extraction job stores it: the letter's subject and message and an enclosure's text,
  with its ``index_forms`` (searched with the letters' own fields);
- registry numbers gap-free per administration / year / direction, and ``registry_counter`` rows
  equal to the last number given;
- verification tokens derived from the seed (:func:`verify_token`), stored as SHA-256 like the app;
- ``search_text`` built by ``services.text.search_document`` with the same parts as the registering
  service; the full-text index is the app's own (SQLite: the FTS5 triggers fire on each insert;
  PostgreSQL: the generated ``search_vector`` column and its GIN index).

Planner statistics are left as the app has them: none on SQLite (the app never runs ANALYZE),
``VACUUM ANALYZE`` on PostgreSQL (what autovacuum does after such a load).

A JSON file beside (``<target>.meta.json`` in ``bench/out/``) names the benchmark actors and
records the seed, counts and generation time. Same seed and ``--until`` → same database.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MRASLA_DATA_DIR", tempfile.mkdtemp(prefix="mrasla-benchdb-"))

from sqlalchemy import make_url  # noqa: E402

from bench import corpus  # noqa: E402
from mrasla_app.models import Direction, Priority, Status  # noqa: E402
from mrasla_app.services.correspondence import deadlines, registry  # noqa: E402
from mrasla_app.services.directory.accounts import hash_password, hash_secret  # noqa: E402
from mrasla_app.services.platform.text import index_forms, search_document  # noqa: E402
from mrasla_app.settings import TIMEZONE  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
CHUNK = 20_000
PASSWORD = "Mrasla@2026"
TZ = ZoneInfo(TIMEZONE)
#: Documents whose text was read (the letter itself: a portal attachment, a paper scan); receipts are not indexed.
TEXT_KINDS = ("attachment", "scan")
_ARABIC = re.compile(r"[\u0600-\u06FF]")
START = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)


def verify_token(seed: int, correspondence_id: int) -> str:
    """The QR token of a generated correspondence (the database keeps only its SHA-256)."""
    digest = hashlib.sha256(f"bench-verify:{seed}:{correspondence_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def meta_path(url: str) -> Path:
    u = make_url(url)
    name = Path(u.database).stem if u.drivername.startswith("sqlite") else u.database
    return OUT / f"{name}.meta.json"


# ------------------------------------------------------------------------------ the directory


@dataclass
class Adm:
    id: int
    code: str
    name_fr: str
    name_ar: str
    root: int = 0
    registry: int = 0
    clerks: list[int] = field(default_factory=list)
    action_units: list[int] = field(default_factory=list)  # busiest first
    agents: dict[int, list[int]] = field(default_factory=dict)  # unit → agents
    heads: dict[int, int] = field(default_factory=dict)  # unit → head


@dataclass
class Directory:
    adms: list[Adm] = field(default_factory=list)
    units: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # id → (code, name_fr, name_ar)
    rows: dict[str, list[dict]] = field(default_factory=dict)  # table → rows

    def add(self, table: str, **row: object) -> int:
        rows = self.rows.setdefault(table, [])
        row.setdefault("id", len(rows) + 1)
        rows.append(row)
        return row["id"]  # type: ignore[return-value]


def _adm_names(rank: int) -> tuple[str, str, str, str]:
    """(code, kind, name_fr, name_ar): ministries first (the biggest), then regions, agencies, communes."""
    if rank < len(corpus.MINISTRIES):
        fr, ar = corpus.MINISTRIES[rank]
        return f"M{rank + 1:02d}", "ministry", fr, ar
    city_ar, city_fr = corpus.CITIES[rank % len(corpus.CITIES)]
    n = rank // len(corpus.CITIES)
    if rank < 60:
        return f"R{rank:03d}", "region", f"Conseil régional {city_fr} {n}", f"مجلس جهة {city_ar} {n}"
    if rank < 150:
        return f"AG{rank:03d}", "agency", f"Agence urbaine de {city_fr} {n}", f"الوكالة الحضرية {city_ar} {n}"
    return f"C{rank:04d}", "commune", f"Commune de {city_fr} {n}", f"جماعة {city_ar} {n}"


def build_directory(n_adms: int, weights: list[float], now: datetime) -> Directory:
    d = Directory()
    pw = hash_password(PASSWORD)
    for rank in range(n_adms):
        code, kind, name_fr, name_ar = _adm_names(rank)
        city_ar, city_fr = corpus.CITIES[rank % len(corpus.CITIES)]
        adm = Adm(
            d.add(
                "administration",
                code=code,
                name_ar=name_ar,
                name_fr=name_fr,
                kind=kind,
                city_ar=city_ar,
                city_fr=city_fr,
                active=True,
                created_at=now,
            ),
            code,
            name_fr,
            name_ar,
        )
        d.adms.append(adm)
        size = (weights[rank] / weights[0]) ** 0.5  # 1 for the largest administration
        staff = 0

        def unit(code_: str, parent: int | None, names: tuple[str, str], level: str = "central") -> int:
            uid = d.add(
                "unit",
                administration_id=adm.id,
                parent_id=parent,
                code=code_,
                name_fr=names[0],
                name_ar=names[1],
                level=level,
                active=True,
                created_at=now,
            )
            d.units[uid] = (code_, names[0], names[1])
            return uid

        def person(unit_id: int, role: str) -> int:
            nonlocal staff
            staff += 1
            first, last = corpus.FIRST[(adm.id + staff) % len(corpus.FIRST)], corpus.LAST[staff % len(corpus.LAST)]
            uid = d.add(
                "user",
                email=f"{role}{staff}.{code.lower()}@bench.mrasla.ma",
                full_name=f"{first[1]} {last[1]}",
                full_name_ar=f"{first[0]} {last[0]}",
                password_hash=pw,
                administration_id=adm.id,
                is_platform_admin=False,
                totp_enabled=False,
                active=True,
                failed_logins=0,
                created_at=now,
            )
            d.add("rolemembership", user_id=uid, unit_id=unit_id, role=role)
            return uid

        root_names = ("Secrétariat général", "الكتابة العامة") if kind == "ministry" else ("Présidence", "الرئاسة")
        adm.root = unit("SG" if kind == "ministry" else "PRES", None, root_names)
        person(adm.root, "admin")
        adm.heads[adm.root] = person(adm.root, "head")
        adm.registry = unit("BO", adm.root, ("Bureau d'ordre", "مكتب الضبط"))
        adm.clerks = [person(adm.registry, "clerk") for _ in range(6 if rank < 10 else 2)]
        leaves, middles = [], []
        for i in range(2 + min(8, int(8 * size))):
            dcode = f"D{i + 1}"
            did = unit(dcode, adm.root, corpus.DIRECTORATES[i % len(corpus.DIRECTORATES)])
            middles.append(did)
            for j in range(3 if rank < 50 else 2):
                vid = unit(f"{dcode}.DV{j + 1}", did, corpus.DIVISIONS[(i + j) % len(corpus.DIVISIONS)])
                if rank < 10:
                    middles.append(vid)
                    leaves += [
                        unit(
                            f"{dcode}.DV{j + 1}.S{k + 1}",
                            vid,
                            corpus.SERVICES[(j + k) % len(corpus.SERVICES)],
                            "provincial" if k else "central",
                        )
                        for k in range(2)
                    ]
                else:
                    leaves.append(vid)
        for uid in middles + leaves:
            adm.heads[uid] = person(uid, "head")
            adm.agents[uid] = [person(uid, "agent") for _ in range(2 if uid in leaves else 1)]
        adm.action_units = leaves + middles
    return d


# ------------------------------------------------------------------------------ correspondences


_AGES = (  # (max age in days, {status: weight}) for incoming and internal mail
    (3, {Status.to_qualify: 60, Status.dispatched: 30, Status.returned: 5, Status.in_progress: 5}),
    (
        30,
        {
            Status.to_qualify: 5,
            Status.dispatched: 30,
            Status.in_progress: 40,
            Status.answered: 15,
            Status.closed: 7,
            Status.returned: 3,
        },
    ),
    (120, {Status.dispatched: 8, Status.in_progress: 17, Status.answered: 40, Status.closed: 33, Status.returned: 2}),
    (10**6, {Status.dispatched: 1, Status.in_progress: 3, Status.answered: 30, Status.closed: 50, Status.archived: 16}),
)
_PRIORITIES = ((Priority.normal, 80), (Priority.urgent, 15), (Priority.very_urgent, 5))
_DEADLINES: dict[tuple[date, int], date] = {}


def _status(rng: random.Random, age_days: float) -> Status:
    table = next(t for limit, t in _AGES if age_days < limit)
    return rng.choices(list(table), weights=list(table.values()))[0]


def _deadline(start: datetime, type_code: str, priority: Priority) -> date | None:
    days = deadlines.sla_days(type_code, priority)
    if days is None:
        return None
    first = deadlines.local_date(start)
    if (first, days) not in _DEADLINES:
        _DEADLINES[(first, days)] = deadlines.add_working_days(first, days)
    return _DEADLINES[(first, days)]


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


@dataclass
class Generator:
    directory: Directory
    seed: int
    rows: int
    until: datetime
    weights: list[float]
    counters: dict[tuple[int, int, str], int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def chunks(self) -> Iterator[dict[str, list[dict]]]:
        rng = random.Random(self.seed)
        cum = []
        total = 0.0
        for w in self.weights:
            total += w
            cum.append(total)
        span = (self.until - START).total_seconds()
        for first in range(0, self.rows, CHUNK):
            out: dict[str, list[dict]] = {
                t: []
                for t in ("party", "correspondence", "dispatch", "document", "document_text", "confidential_access")
            }
            ranks = rng.choices(range(len(self.weights)), cum_weights=cum, k=min(CHUNK, self.rows - first))
            for k, rank in enumerate(ranks, start=first):
                at = START + timedelta(seconds=span * (k + rng.random()) / self.rows)
                self._one(rng, out, k + 1, self.directory.adms[rank], at.replace(microsecond=0))
            yield out

    def _one(self, rng: random.Random, out: dict[str, list[dict]], cid: int, adm: Adm, at: datetime) -> None:
        roll = rng.random()
        direction = Direction.incoming if roll < 0.75 else Direction.outgoing if roll < 0.9 else Direction.internal
        year = registry.local_year(at)
        key = (adm.id, year, direction.value)
        self.counters[key] = seq = self.counters.get(key, 0) + 1
        number = registry.format_number(adm.code, year, direction, seq)
        arabic = rng.random() < 0.55
        subject, message, type_code = corpus.letter(rng, arabic, at.astimezone(TZ).strftime("%d/%m/%Y"))
        age = (self.until - at).total_seconds() / 86400
        units = adm.action_units
        action_unit = (
            units[min(int(rng.paretovariate(1.0)) - 1, len(units) - 1)] if rng.random() < 0.6 else rng.choice(units)
        )
        row = dict(
            id=cid,
            administration_id=adm.id,
            unit_id=None,
            direction=direction.value,
            year=year,
            seq=seq,
            registry_number=number,
            priority=rng.choices(*zip(*_PRIORITIES))[0].value,
            confidential=False,
            subject=subject,
            message=message,
            sender_party_id=None,
            deadline=None,
            registered_at=at,
            created_by=None,
            type_code="",
            action_unit_id=None,
            assignee_id=None,
            sender_administration_id=None,
            recipient_administration_id=None,
            recipient_party_id=None,
            answered_at=None,
            closed_at=None,
            verify_token_hash=hash_secret(verify_token(self.seed, cid)),
            access_token_hash="",
            idempotency_key=None,
        )
        if direction is Direction.outgoing:
            self._outgoing(rng, out, row, adm, action_unit, arabic)
        else:
            status = _status(rng, age)
            if direction is Direction.internal:
                status = Status.dispatched if status in (Status.to_qualify, Status.returned) else status
                self._internal(rng, row, adm, action_unit)
            else:
                self._incoming(rng, out, row, adm, arabic, status)
            if status not in (Status.to_qualify, Status.returned):
                self._dispatched(rng, out, row, adm, action_unit, status, type_code)
            elif status is Status.returned:
                out["dispatch"].append(self._dispatch(row, action_unit, None, "action", False, adm.clerks[0]))
            row["status"] = status.value
        out["correspondence"].append(row)

    def _party(self, out: dict[str, list[dict]], at: datetime, **fields: object) -> int:
        pid = self.next_id("party")
        out["party"].append(
            dict(
                id=pid,
                kind="person",
                full_name="",
                id_kind="",
                id_value="",
                email="",
                phone="",
                administration_id=None,
                created_at=at,
            )
            | fields
        )
        return pid

    def _document(self, rng: random.Random, out: dict[str, list[dict]], row: dict, kind: str, name: str) -> None:
        sha = _hex(rng)
        document_id = self.next_id("document")
        out["document"].append(
            dict(
                id=document_id,
                correspondence_id=row["id"],
                kind=kind,
                position=0,
                filename=name,
                content_type="application/pdf",
                size=rng.randint(40_000, 2_000_000),
                sha256=sha,
                pages=rng.randint(1, 6),
                pdf_sha256=sha,
                created_at=row["registered_at"],
            )
        )
        if kind in TEXT_KINDS:  # the letter as read (text layer or OCR): its subject, message and an enclosure
            arabic = _ARABIC.search(row["subject"]) is not None
            enclosure = corpus.letter(rng, arabic, row["registered_at"].astimezone(TZ).strftime("%d/%m/%Y"))
            body = f"{row['subject']}\n{row['message']}\f{enclosure[0]}\n{enclosure[1]}"
            out["document_text"].append(
                dict(
                    id=self.next_id("document_text"),
                    document_id=document_id,
                    correspondence_id=row["id"],
                    status="done",
                    source="pdf",
                    language="ar" if arabic else "fr",
                    char_count=len(body),
                    pages=2,
                    body=body,
                    search_text=" ".join(index_forms(body)),
                    attempts=1,
                    lease_until=None,
                    extracted_at=row["registered_at"],
                    created_at=row["registered_at"],
                )
            )

    def _incoming(
        self, rng: random.Random, out: dict[str, list[dict]], row: dict, adm: Adm, arabic: bool, status: Status
    ) -> None:
        at, number = row["registered_at"], row["registry_number"]
        channel = rng.choices(("portal", "paper", "email", "inter_administration"), (50, 35, 10, 5))[0]
        row["channel"] = channel
        if rng.random() < 0.3:
            row["unit_id"] = rng.choice(adm.action_units)
        if channel == "inter_administration":
            other = self.directory.adms[rng.randrange(len(self.directory.adms))]
            other = other if other.id != adm.id else self.directory.adms[(adm.id) % len(self.directory.adms)]
            row["sender_administration_id"] = other.id
            row["sender_party_id"] = self._party(
                out, at, kind="administration", full_name=other.name_fr, administration_id=other.id
            )
            row["created_by"] = adm.clerks[0]
            row["search_text"] = search_document(number, row["subject"], row["message"])
            return
        company = rng.random() < 0.2
        name = corpus.company(rng, arabic) if company else corpus.person(rng, arabic)
        id_kind = "ICE" if company else "CIN"
        id_value = (
            f"{rng.randrange(10**14, 10**15)}"
            if company
            else f"{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}{rng.randrange(10**5, 10**6)}"
        )
        email = f"contact{row['id']}@exemple.ma" if rng.random() < 0.6 else ""
        phone = f"06{rng.randrange(10**7, 10**8)}" if not email or rng.random() < 0.5 else ""
        row["sender_party_id"] = self._party(
            out,
            at,
            kind="company" if company else "person",
            full_name=name,
            id_kind=id_kind,
            id_value=id_value,
            email=email,
            phone=phone,
        )
        if channel == "portal":
            row["access_token_hash"] = _hex(rng)
            row["search_text"] = search_document(number, row["subject"], name, row["message"])
            self._document(rng, out, row, "attachment", "lettre.pdf")
            self._document(rng, out, row, "receipt", f"accuse-{registry.reference_slug(number)}.pdf")
        else:
            row["created_by"] = rng.choice(adm.clerks)
            row["deadline"] = _deadline(at, "", Priority(row["priority"]))
            row["search_text"] = search_document(number, row["subject"], name, id_value, row["message"])
            self._document(rng, out, row, "scan", "scan-1.pdf")

    def _outgoing(
        self, rng: random.Random, out: dict[str, list[dict]], row: dict, adm: Adm, unit: int, arabic: bool
    ) -> None:
        at = row["registered_at"]
        row.update(
            channel=rng.choice(("paper", "email")),
            unit_id=unit,
            status=Status.closed.value,
            closed_at=at,
            created_by=adm.agents[unit][0],
        )
        if rng.random() < 0.3:
            other = self.directory.adms[rng.randrange(len(self.directory.adms))]
            row["recipient_administration_id"] = other.id
            label = f"{other.name_fr} {other.name_ar}"
        else:
            label = corpus.person(rng, arabic)
            row["recipient_party_id"] = self._party(out, at, full_name=label)
        row["search_text"] = search_document(row["registry_number"], row["subject"], label, row["message"])

    def _internal(self, rng: random.Random, row: dict, adm: Adm, target: int) -> None:
        source = rng.choice([u for u in adm.action_units if u != target] or [adm.registry])
        row.update(channel="paper", unit_id=source, created_by=adm.agents.get(source, adm.clerks)[0])
        s, t = self.directory.units[source], self.directory.units[target]
        row["search_text"] = search_document(
            row["registry_number"], row["subject"], s[1], s[2], t[1], t[2], row["message"]
        )

    def _dispatch(self, row: dict, unit: int, user: int | None, purpose: str, active: bool, by: int | None) -> dict:
        return dict(
            id=self.next_id("dispatch"),
            correspondence_id=row["id"],
            unit_id=unit,
            user_id=user,
            purpose=purpose,
            instructions="",
            active=active,
            created_by=by,
            created_at=row["registered_at"],
        )

    def _dispatched(
        self,
        rng: random.Random,
        out: dict[str, list[dict]],
        row: dict,
        adm: Adm,
        unit: int,
        status: Status,
        type_code: str,
    ) -> None:
        """Qualified and dispatched for action (internal mail: to the receiving unit), then worked on."""
        clerk = rng.choice(adm.clerks)
        agent = rng.choice(adm.agents[unit])
        if row["direction"] == Direction.incoming.value:
            row["type_code"] = type_code
            row["deadline"] = _deadline(row["registered_at"], type_code, Priority(row["priority"]))
            if rng.random() < 0.05:  # re-dispatched: the first action dispatch is no longer active
                out["dispatch"].append(self._dispatch(row, rng.choice(adm.action_units), None, "action", False, clerk))
            if rng.random() < 0.15:
                out["dispatch"].append(
                    self._dispatch(row, rng.choice(adm.action_units), None, "information", True, clerk)
                )
            if rng.random() < 0.01:
                row["confidential"] = True
                out["confidential_access"] += [
                    {"correspondence_id": row["id"], "user_id": u} for u in sorted({agent, clerk})
                ]
        assigned = status is not Status.dispatched or rng.random() < 0.2
        out["dispatch"].append(
            self._dispatch(
                row, unit, agent if status is Status.dispatched and assigned else None, "action", True, clerk
            )
        )
        row["action_unit_id"], row["assignee_id"] = unit, agent if assigned or row["confidential"] else None
        done = row["registered_at"] + timedelta(days=rng.uniform(1, 40))
        if status is Status.answered:
            row["answered_at"] = done
        elif status in (Status.closed, Status.archived):
            row["closed_at"] = done


# ------------------------------------------------------------------------------ loading


class Loader:
    """Bulk inserts through the driver: SQLite ``executemany``, PostgreSQL ``COPY``."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.sqlite = self.url.drivername.startswith("sqlite")
        if self.sqlite:
            import sqlite3

            self.conn = sqlite3.connect(self.url.database, isolation_level=None)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000", "foreign_keys=OFF"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.conn.execute("BEGIN")
        else:
            import psycopg

            self.conn = psycopg.connect(self.url.set(drivername="postgresql").render_as_string(hide_password=False))

    @staticmethod
    def _sqlite_value(v: object) -> object:
        if isinstance(v, datetime):  # SQLAlchemy's SQLite storage format for DateTime (UTC, naive)
            return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(v, date):
            return v.isoformat()
        return int(v) if isinstance(v, bool) else v

    @staticmethod
    def _pg_value(v: object) -> object:
        return v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v

    def insert(self, table: str, rows: list[dict]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        if self.sqlite:
            sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
            self.conn.executemany(sql, ([self._sqlite_value(r[c]) for c in cols] for r in rows))
            return
        with self.conn.cursor() as cur, cur.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN') as copy:
            for r in rows:
                copy.write_row([self._pg_value(r[c]) for c in cols])

    def finish(self, tables: list[str]) -> None:
        if self.sqlite:
            self.conn.execute("COMMIT")
            self.conn.execute("PRAGMA journal_mode=WAL")
        else:
            with self.conn.cursor() as cur:
                for t in tables:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), (SELECT max(id) FROM \"{t}\"))"
                    )
            self.conn.commit()
            self.conn.autocommit = True
            self.conn.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load, done now
        self.conn.close()


def create_database(url: str) -> None:
    """A fresh, migrated database at ``url`` (SQLite file or PostgreSQL ``benchdb_*``)."""
    from mrasla_app import db
    from mrasla_app.settings import get_settings

    u = make_url(url)
    if u.drivername.startswith("sqlite"):
        path = Path(u.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        if not (u.database or "").startswith("benchdb_"):
            raise SystemExit("the PostgreSQL database name must start with benchdb_")
        import psycopg

        admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{u.database}"')
    os.environ["MRASLA_DATABASE_URL"] = url
    get_settings.cache_clear()
    db.reset_engines()
    db.migrate()
    db.reset_engines()


def generate(url: str, rows: int, n_adms: int, seed: int, until: datetime) -> dict:
    t0 = time.perf_counter()
    create_database(url)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(n_adms)]
    directory = build_directory(n_adms, weights, START)
    loader = Loader(url)
    for table in ("administration", "unit", "user", "rolemembership"):
        loader.insert(table, directory.rows[table])
    gen = Generator(directory, seed, rows, until, weights)
    for i, chunk in enumerate(gen.chunks()):
        for table in ("party", "correspondence", "dispatch", "document", "document_text", "confidential_access"):
            loader.insert(table, chunk[table])
        if i % 10 == 9:
            print(f"  {min((i + 1) * CHUNK, rows):>9,} correspondences  {time.perf_counter() - t0:6.0f} s", flush=True)
    loader.insert(
        "registry_counter",
        [
            {"administration_id": a, "year": y, "direction": d, "value": v}
            for (a, y, d), v in sorted(gen.counters.items())
        ],
    )
    loader.finish(
        [
            "administration",
            "unit",
            "user",
            "rolemembership",
            "party",
            "correspondence",
            "dispatch",
            "document",
            "document_text",
        ]
    )
    big, median = directory.adms[0], directory.adms[n_adms // 2]
    users = {u["id"]: u["email"] for u in directory.rows["user"]}
    busiest = big.action_units[0]
    head_unit = next(u for u in big.heads if u != big.root and busiest in _below(directory, u))
    meta = {
        "url": url,
        "seed": seed,
        "rows": rows,
        "administrations": n_adms,
        "until": until.isoformat(),
        "seconds": round(time.perf_counter() - t0, 1),
        "users": len(users),
        "units": len(directory.rows["unit"]),
        "parties": gen.ids.get("party", 0),
        "dispatches": gen.ids.get("dispatch", 0),
        "documents": gen.ids.get("document", 0),
        "document_texts": gen.ids.get("document_text", 0),
        "actors": {
            "clerk": users[big.clerks[0]],
            "agent": users[big.agents[busiest][0]],
            "head": users[big.heads[head_unit]],
            "small_agent": users[median.agents[median.action_units[0]][0]],
        },
    }
    OUT.mkdir(exist_ok=True)
    meta_path(url).write_text(json.dumps(meta, indent=1))
    return meta


def _below(directory: Directory, unit_id: int) -> set[int]:
    parents = {u["id"]: u["parent_id"] for u in directory.rows["unit"]}
    return {u for u in parents if _ancestor(parents, u, unit_id)}


def _ancestor(parents: dict[int, int | None], unit: int | None, target: int) -> bool:
    while unit is not None:
        if unit == target:
            return True
        unit = parents[unit]
    return False


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url", help="sqlite:///path.sqlite or postgresql+psycopg://…/benchdb_NAME")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--administrations", type=int, default=1000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--until",
        type=date.fromisoformat,
        default=date(2026, 11, 25),
        help="date of the last registration (statuses and overdue items are relative to it)",
    )
    a = p.parse_args()
    until = datetime(a.until.year, a.until.month, a.until.day, 17, 0, tzinfo=UTC)
    meta = generate(a.url, a.rows, a.administrations, a.seed, until)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()

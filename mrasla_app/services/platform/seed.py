"""Demo data: realistic Moroccan administrations, unit trees and one account per role.

Everything after the first platform administrator is created *through the services*, acting as
that administrator, so every seeded change is checked like a real one and lands in the audit trail.
``seed_demo`` is idempotent: when the demo platform administrator exists it changes nothing.

All demo accounts share the documented password :data:`DEMO_PASSWORD` — for demonstrations and
tests only; change or disable them on any real deployment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import pyotp
from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.crypto import seal
from mrasla_app.models import Holiday, Unit, User
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import holidays
from mrasla_app.services.directory import accounts, users
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.platform import audit
from mrasla_app.settings import get_settings

DEMO_PASSWORD = "Mrasla@2026"
#: TOTP secret of the demo administrators (administrator rights need a second factor, see
#: ``accounts.load_actor``). Published for the demonstration only: add it to an authenticator app.
DEMO_TOTP_SECRET = "MRASLADEMOADMINTOTPSECRETZZZZZZZ"
PLATFORM_ADMIN_EMAIL = "admin@mrasla.ma"
#: Code of the registry unit (bureau d'ordre / مكتب الضبط) in every seeded administration.
REGISTRY_UNIT_CODE = "BO"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str  # human label (French), e.g. "Agent du bureau d'ordre"
    administration: str  # administration code, "" for the platform administrator
    unit: str  # unit code where the main role is held, "" for the platform administrator
    full_name: str
    full_name_ar: str = ""
    roles: tuple[str, ...] = ()  # (Role value) held in ``unit``; ("platform_admin",) for the platform


# --- Administrations and their unit trees ------------------------------------------------------
# (code, parent code or None, level, name_fr, name_ar). Parents are listed before their children.

_UnitSpec = tuple[str, str | None, str, str, str]


@dataclass(frozen=True)
class _AdmSpec:
    code: str
    kind: str
    name_fr: str
    name_ar: str
    city_fr: str
    city_ar: str
    units: tuple[_UnitSpec, ...]


ADMINISTRATIONS: tuple[_AdmSpec, ...] = (
    _AdmSpec(
        "MEF",
        "ministry",
        "Ministère de l'Économie et des Finances",
        "وزارة الاقتصاد والمالية",
        "Rabat",
        "الرباط",
        (
            ("SG", None, "central", "Secrétariat général", "الكتابة العامة"),
            (
                "DAAG",
                "SG",
                "central",
                "Direction des Affaires Administratives et Générales",
                "مديرية الشؤون الإدارية والعامة",
            ),
            ("BO", "DAAG", "central", "Bureau d'ordre central", "مكتب الضبط المركزي"),
            ("DAAG.DRH", "DAAG", "central", "Division des Ressources Humaines", "قسم الموارد البشرية"),
            ("DB", "SG", "central", "Direction du Budget", "مديرية الميزانية"),
            ("DB.DSS", "DB", "central", "Division des Secteurs Sociaux", "قسم القطاعات الاجتماعية"),
            ("DB.DSP", "DB", "central", "Division des Secteurs Productifs", "قسم القطاعات الإنتاجية"),
            (
                "DTFE",
                "SG",
                "central",
                "Direction du Trésor et des Finances Extérieures",
                "مديرية الخزينة والمالية الخارجية",
            ),
            ("TGR", "SG", "central", "Trésorerie Générale du Royaume", "الخزينة العامة للمملكة"),
            (
                "TGR.TR-CS",
                "TGR",
                "regional",
                "Trésorerie régionale de Casablanca-Settat",
                "الخزينة الجهوية للدار البيضاء-سطات",
            ),
            ("TGR.TP-SETTAT", "TGR.TR-CS", "provincial", "Trésorerie provinciale de Settat", "الخزينة الإقليمية لسطات"),
            (
                "TGR.TP-JADIDA",
                "TGR.TR-CS",
                "provincial",
                "Trésorerie provinciale d'El Jadida",
                "الخزينة الإقليمية للجديدة",
            ),
            (
                "TGR.TR-RSK",
                "TGR",
                "regional",
                "Trésorerie régionale de Rabat-Salé-Kénitra",
                "الخزينة الجهوية للرباط-سلا-القنيطرة",
            ),
            (
                "TGR.TP-KENITRA",
                "TGR.TR-RSK",
                "provincial",
                "Trésorerie provinciale de Kénitra",
                "الخزينة الإقليمية للقنيطرة",
            ),
        ),
    ),
    _AdmSpec(
        "MEN",
        "ministry",
        "Ministère de l'Éducation nationale, du Préscolaire et des Sports",
        "وزارة التربية الوطنية والتعليم الأولي والرياضة",
        "Rabat",
        "الرباط",
        (
            ("BO", None, "central", "Bureau d'ordre central", "مكتب الضبط المركزي"),
            ("SG", None, "central", "Secrétariat général", "الكتابة العامة"),
            ("DRH", "SG", "central", "Direction des Ressources Humaines", "مديرية الموارد البشرية"),
            ("DC", "SG", "central", "Direction des Curricula", "مديرية المناهج"),
            (
                "AREF-RSK",
                "SG",
                "regional",
                "Académie Régionale d'Éducation et de Formation de Rabat-Salé-Kénitra",
                "الأكاديمية الجهوية للتربية والتكوين لجهة الرباط-سلا-القنيطرة",
            ),
            ("DP-RABAT", "AREF-RSK", "provincial", "Direction provinciale de Rabat", "المديرية الإقليمية بالرباط"),
            ("DP-SALE", "AREF-RSK", "provincial", "Direction provinciale de Salé", "المديرية الإقليمية بسلا"),
            (
                "AREF-FM",
                "SG",
                "regional",
                "Académie Régionale d'Éducation et de Formation de Fès-Meknès",
                "الأكاديمية الجهوية للتربية والتكوين لجهة فاس-مكناس",
            ),
            ("DP-FES", "AREF-FM", "provincial", "Direction provinciale de Fès", "المديرية الإقليمية بفاس"),
            ("DP-MEKNES", "AREF-FM", "provincial", "Direction provinciale de Meknès", "المديرية الإقليمية بمكناس"),
        ),
    ),
    _AdmSpec(
        "CRB",
        "commune",
        "Commune de Rabat",
        "جماعة الرباط",
        "Rabat",
        "الرباط",
        (
            ("BO", None, "central", "Bureau d'ordre", "مكتب الضبط"),
            ("DGS", None, "central", "Direction Générale des Services", "المديرية العامة للمصالح"),
            ("SEC", "DGS", "central", "Service de l'état civil", "مصلحة الحالة المدنية"),
            ("URB", "DGS", "central", "Service de l'urbanisme", "مصلحة التعمير"),
            ("ARR-AGDAL", "DGS", "central", "Arrondissement Agdal-Riyad", "مقاطعة أكدال الرياض"),
            ("ARR-HASSAN", "DGS", "central", "Arrondissement Hassan", "مقاطعة حسان"),
            (
                "ARR-HASSAN.EC",
                "ARR-HASSAN",
                "central",
                "Bureau d'état civil de l'arrondissement Hassan",
                "مكتب الحالة المدنية بمقاطعة حسان",
            ),
            ("ARR-YOUSSOUFIA", "DGS", "central", "Arrondissement Youssoufia", "مقاطعة اليوسفية"),
        ),
    ),
    _AdmSpec(
        "ANCFCC",
        "agency",
        "Agence Nationale de la Conservation Foncière, du Cadastre et de la Cartographie",
        "الوكالة الوطنية للمحافظة العقارية والمسح العقاري والخرائطية",
        "Rabat",
        "الرباط",
        (
            ("BO", None, "central", "Bureau d'ordre", "مكتب الضبط"),
            ("DG", None, "central", "Direction Générale", "المديرية العامة"),
            ("DCF", "DG", "central", "Direction de la Conservation Foncière", "مديرية المحافظة العقارية"),
            ("DCAD", "DG", "central", "Direction du Cadastre", "مديرية المسح العقاري"),
            (
                "DR-CS",
                "DG",
                "regional",
                "Direction régionale de Casablanca-Settat",
                "المديرية الجهوية للدار البيضاء-سطات",
            ),
            (
                "CF-ANFA",
                "DR-CS",
                "provincial",
                "Conservation foncière de Casablanca-Anfa",
                "المحافظة العقارية بالدار البيضاء-أنفا",
            ),
            ("SC-SETTAT", "DR-CS", "provincial", "Service du cadastre de Settat", "مصلحة المسح العقاري بسطات"),
            ("DR-MS", "DG", "regional", "Direction régionale de Marrakech-Safi", "المديرية الجهوية لمراكش-آسفي"),
            (
                "CF-MENARA",
                "DR-MS",
                "provincial",
                "Conservation foncière de Marrakech-Ménara",
                "المحافظة العقارية بمراكش-المنارة",
            ),
        ),
    ),
    _AdmSpec(
        "MSPS",
        "ministry",
        "Ministère de la Santé et de la Protection sociale",
        "وزارة الصحة والحماية الاجتماعية",
        "Rabat",
        "الرباط",
        (
            ("BO", None, "central", "Bureau d'ordre central", "مكتب الضبط المركزي"),
            ("SG", None, "central", "Secrétariat général", "الكتابة العامة"),
            (
                "DHSA",
                "SG",
                "central",
                "Direction des Hôpitaux et des Soins Ambulatoires",
                "مديرية المستشفيات والعلاجات المتنقلة",
            ),
            (
                "DELM",
                "SG",
                "central",
                "Direction de l'Épidémiologie et de Lutte contre les Maladies",
                "مديرية علم الأوبئة ومحاربة الأمراض",
            ),
            (
                "DRS-TTA",
                "SG",
                "regional",
                "Direction régionale de la santé de Tanger-Tétouan-Al Hoceïma",
                "المديرية الجهوية للصحة بجهة طنجة-تطوان-الحسيمة",
            ),
            (
                "DPS-TANGER",
                "DRS-TTA",
                "provincial",
                "Délégation préfectorale de la santé de Tanger-Assilah",
                "المندوبية الإقليمية للصحة بعمالة طنجة-أصيلة",
            ),
            (
                "DPS-TETOUAN",
                "DRS-TTA",
                "provincial",
                "Délégation provinciale de la santé de Tétouan",
                "المندوبية الإقليمية للصحة بتطوان",
            ),
        ),
    ),
)


# --- Accounts --------------------------------------------------------------------------------
# (email, full_name, full_name_ar, administration, unit, roles held in that unit, role label)

_ACCOUNTS: tuple[tuple[str, str, str, str, str, tuple[str, ...], str], ...] = (
    (
        "admin.mef@mrasla.ma",
        "Nadia El Idrissi",
        "نادية الإدريسي",
        "MEF",
        "DAAG",
        ("admin",),
        "Administratrice de l'administration",
    ),
    (
        "clerk.mef@mrasla.ma",
        "Fatima Zahra Bennani",
        "فاطمة الزهراء بناني",
        "MEF",
        "BO",
        ("clerk",),
        "Agent du bureau d'ordre",
    ),
    ("agent.mef@mrasla.ma", "Youssef Alaoui", "يوسف العلوي", "MEF", "DB.DSS", ("agent",), "Agent de traitement"),
    ("head.mef@mrasla.ma", "Khadija Tazi", "خديجة التازي", "MEF", "DB.DSS", ("head",), "Cheffe de division"),
    (
        "director.mef@mrasla.ma",
        "Mohammed Berrada",
        "محمد برادة",
        "MEF",
        "DB",
        ("signatory", "head"),
        "Directeur (signataire)",
    ),
    (
        "sg.mef@mrasla.ma",
        "Abdelkader Chraïbi",
        "عبد القادر الشرايبي",
        "MEF",
        "SG",
        ("signatory", "head"),
        "Secrétaire général (signataire)",
    ),
    ("admin.crb@mrasla.ma", "Omar Lahlou", "عمر لحلو", "CRB", "DGS", ("admin",), "Administrateur de l'administration"),
    ("clerk.crb@mrasla.ma", "Hanane Ouazzani", "حنان الوزاني", "CRB", "BO", ("clerk",), "Agent du bureau d'ordre"),
    ("agent.crb@mrasla.ma", "Rachid Bouzidi", "رشيد بوزيدي", "CRB", "SEC", ("agent",), "Agent de traitement"),
    ("archives.mef@mrasla.ma", "Salma Kettani", "سلمى الكتاني", "MEF", "DAAG", ("archivist",), "Archiviste"),
)

_PLATFORM_ADMIN = DemoAccount(
    email=PLATFORM_ADMIN_EMAIL,
    password=DEMO_PASSWORD,
    role="Administrateur de la plateforme",
    administration="",
    unit="",
    full_name="Karim Benjelloun",
    full_name_ar="كريم بنجلون",
    roles=("platform_admin",),
)

DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (_PLATFORM_ADMIN,) + tuple(
    DemoAccount(
        email=e,
        password=DEMO_PASSWORD,
        role=label,
        administration=adm,
        unit=unit,
        full_name=fr,
        full_name_ar=ar,
        roles=roles,
    )
    for e, fr, ar, adm, unit, roles, label in _ACCOUNTS
)

#: The demo delegation: the director delegates his signature to the head of division for 30 days.
DELEGATION = (
    "director.mef@mrasla.ma",
    "head.mef@mrasla.ma",
    timedelta(days=30),
    "Congé annuel du directeur / عطلة سنوية للمدير",
)


# --- Holiday calendar (national) ---------------------------------------------------------------
# Fixed national holidays, recurring every year: (month, day, name_fr, name_ar).
NATIONAL_HOLIDAYS: tuple[tuple[int, int, str, str], ...] = (
    (1, 1, "Nouvel An", "رأس السنة الميلادية"),
    (1, 11, "Manifeste de l'Indépendance", "ذكرى تقديم وثيقة الاستقلال"),
    (1, 14, "Nouvel An amazigh", "رأس السنة الأمازيغية"),
    (5, 1, "Fête du Travail", "عيد الشغل"),
    (7, 30, "Fête du Trône", "عيد العرش"),
    (8, 14, "Allégeance de Oued Eddahab", "ذكرى استرجاع إقليم وادي الذهب"),
    (8, 20, "Révolution du Roi et du Peuple", "ذكرى ثورة الملك والشعب"),
    (8, 21, "Fête de la Jeunesse", "عيد الشباب"),
    (10, 31, "Fête de l'Unité", "عيد الوحدة"),
    (11, 6, "Marche Verte", "ذكرى المسيرة الخضراء"),
    (11, 18, "Fête de l'Indépendance", "عيد الاستقلال"),
)
# Religious holidays of 2026 (lunar calendar, one-off rows). APPROXIMATE dates: the official
# days depend on the sighting of the moon and are announced by the Ministry of Habous; an
# administrator corrects them in the calendar when announced.
RELIGIOUS_HOLIDAYS_2026: tuple[tuple[date, str, str], ...] = (
    (date(2026, 3, 20), "Aïd al-Fitr", "عيد الفطر"),
    (date(2026, 5, 27), "Aïd al-Adha (1er jour)", "عيد الأضحى (اليوم الأول)"),
    (date(2026, 5, 28), "Aïd al-Adha (2e jour)", "عيد الأضحى (اليوم الثاني)"),
    (date(2026, 6, 17), "1er Moharram (Nouvel An de l'Hégire)", "فاتح محرم (رأس السنة الهجرية)"),
    (date(2026, 8, 26), "Aïd al-Mawlid (1er jour)", "عيد المولد النبوي (اليوم الأول)"),
    (date(2026, 8, 27), "Aïd al-Mawlid (2e jour)", "عيد المولد النبوي (اليوم الثاني)"),
)


def seed_holidays(session: Session, actor: accounts.Actor) -> int:
    """Add the national calendar above (platform administrator); idempotent. Returns rows added."""
    existing = set(session.execute(select(Holiday.day).where(Holiday.administration_id.is_(None))).scalars())
    added = 0
    rows = [(date(2026, m, d), fr, ar, True) for m, d, fr, ar in NATIONAL_HOLIDAYS]
    rows += [(day, fr, ar, False) for day, fr, ar in RELIGIOUS_HOLIDAYS_2026]
    for day, fr, ar, recurring in rows:
        if day in existing:
            continue
        holidays.add_holiday(session, actor, None, day, name_ar=ar, name_fr=fr, recurring=recurring)
        added += 1
    return added


def seed_demo(session: Session) -> list[DemoAccount]:
    """Create the demo directory and accounts once; return the demo accounts (always the same list)."""
    if session.execute(select(User.id).where(User.email == PLATFORM_ADMIN_EMAIL)).first():
        return list(DEMO_ACCOUNTS)

    root = User(
        email=PLATFORM_ADMIN_EMAIL,
        full_name=_PLATFORM_ADMIN.full_name,
        full_name_ar=_PLATFORM_ADMIN.full_name_ar,
        password_hash=accounts.hash_password(DEMO_PASSWORD),
        is_platform_admin=True,
    )
    session.add(root)
    session.flush()
    _demo_second_factor(root)
    audit.record(
        session,
        None,
        "seed.platform_admin",
        object_type="user",
        object_id=root.id,
        actor_label="seed",
        data={"email": root.email},
    )
    actor = accounts.load_actor(session, root)

    adm_ids: dict[str, int] = {}
    unit_ids: dict[tuple[str, str], int] = {}
    for spec in ADMINISTRATIONS:
        adm = directory.save_administration(
            session,
            actor,
            code=spec.code,
            name_ar=spec.name_ar,
            name_fr=spec.name_fr,
            kind=spec.kind,
            city_ar=spec.city_ar,
            city_fr=spec.city_fr,
        )
        adm_ids[spec.code] = adm.id  # type: ignore[assignment]  # a flushed row's id (SQLModel types it Optional)
        for code, parent, level, name_fr, name_ar in spec.units:
            unit = directory.save_unit(
                session,
                actor,
                administration_id=adm.id,
                parent_id=unit_ids[(spec.code, parent)] if parent else None,
                code=code,
                name_ar=name_ar,
                name_fr=name_fr,
                level=level,
            )
            unit_ids[(spec.code, code)] = unit.id  # type: ignore[assignment]  # a flushed row's id (SQLModel types it Optional)

    user_ids: dict[str, int] = {}
    for acc in DEMO_ACCOUNTS[1:]:
        user = users.create_user(
            session,
            actor,
            administration_id=adm_ids[acc.administration],
            email=acc.email,
            full_name=acc.full_name,
            full_name_ar=acc.full_name_ar,
            password=acc.password,
        )
        user_ids[acc.email] = user.id  # type: ignore[assignment]  # a flushed row's id (SQLModel types it Optional)
        for role in acc.roles:
            users.add_membership(session, actor, user.id, unit_ids[(acc.administration, acc.unit)], role)
        if "admin" in acc.roles:
            _demo_second_factor(user)

    grantor, delegate, period, reason = DELEGATION
    now = utcnow().replace(microsecond=0)
    users.create_delegation(
        session,
        actor,
        from_user_id=user_ids[grantor],
        to_user_id=user_ids[delegate],
        starts_at=now,
        ends_at=now + period,
        reason=reason,
    )
    seed_holidays(session, actor)
    seed_file_plan(session, actor, adm_ids["MEF"])
    return list(DEMO_ACCOUNTS)


#: The demo file plan of the ministry: (code, parent code, name_fr, name_ar).
FILE_PLAN: tuple[tuple[str, str, str, str], ...] = (
    ("01", "", "Administration générale", "الإدارة العامة"),
    ("01.01", "01", "Courrier des usagers", "مراسلات المرتفقين"),
    ("02", "", "Ressources humaines", "الموارد البشرية"),
    ("03", "", "Budget et marchés", "الميزانية والصفقات"),
)
#: Document types: (code, name_fr, name_ar, years, months, start, final action).
DOCUMENT_TYPES: tuple[tuple[str, str, str, int, int, str, str], ...] = (
    ("DEM", "Demande d'attestation", "طلب شهادة", 5, 0, "closed", "destroy"),
    ("REC", "Réclamation", "شكاية", 10, 0, "closed", "review"),
    ("DEC", "Décision", "قرار", 1, 6, "registered", "transfer"),
)


def seed_file_plan(session: Session, actor: accounts.Actor, administration_id: int) -> None:
    """A small file plan, document types with retention rules, two tags and two custom fields."""
    from mrasla_app.services.records import file_plan

    ids: dict[str, int] = {}
    for code, parent, fr, ar in FILE_PLAN:
        ids[code] = file_plan.save_node(
            session, actor, administration_id, code=code, name_ar=ar, name_fr=fr, parent_id=ids.get(parent)
        ).id  # type: ignore[assignment]  # a flushed row's id (SQLModel types it Optional)
    for code, fr, ar, years, months, start, action in DOCUMENT_TYPES:
        file_plan.save_document_type(
            session,
            actor,
            administration_id,
            code=code,
            name_ar=ar,
            name_fr=fr,
            retention_years=years,
            retention_months=months,
            retention_start=start,
            final_action=action,
        )
    for label in ("Attestations", "Contentieux"):
        file_plan.save_tag(session, actor, administration_id, label)
    file_plan.save_custom_field(
        session, actor, administration_id, code="MONTANT", name_ar="المبلغ", name_fr="Montant (MAD)", kind="number"
    )
    file_plan.save_custom_field(
        session,
        actor,
        administration_id,
        code="REGION",
        name_ar="الجهة",
        name_fr="Région",
        kind="choice",
        choices="Rabat-Salé-Kénitra\nCasablanca-Settat\nFès-Meknès",
    )


def _demo_second_factor(user: User) -> None:
    """Enrol the demo TOTP secret (sealed like any enrolled secret) for a demo administrator."""
    user.totp_secret, user.totp_enabled = seal(DEMO_TOTP_SECRET.encode(), accounts.totp_purpose(user.id)), True
    user.totp_vouched = True  # as if enrolled with an enrolment code: the demo administrators act at once


def demo_totp(email: str) -> str:
    """A TOTP code of a demo administrator not yet handed out ("" for accounts without a second factor)."""
    acc = next((a for a in DEMO_ACCOUNTS if a.email == email), None)
    if acc is None or not {"admin", "platform_admin"} & set(acc.roles):
        return ""
    return unused_totp_code(pyotp.TOTP(DEMO_TOTP_SECRET), email)


_HANDED_OUT: dict[tuple[str, str], int] = {}  # (database, account) → last step whose code was given


def forget_handed_out_codes(database_url: str) -> None:
    """A database created anew (a test's fresh clone under a reused name) has used no code yet."""
    for key in [k for k in _HANDED_OUT if k[0] == database_url]:
        del _HANDED_OUT[key]


def unused_totp_code(totp: pyotp.TOTP, account: str) -> str:
    """For scripted logins (tests, benchmarks): codes are single-use (``accounts._accept_totp`` takes
    the steps now-1, now and now+1, each once), so each call gives the code of the current or the next
    step — whichever this process has not given for ``account`` of the configured database yet —
    waiting for a new step when both are. (Not now-1: it may expire before the server sees it.)"""
    key = (get_settings().database_url, account)
    while True:
        now = int(time.time()) // totp.interval
        step = max(now, _HANDED_OUT.get(key, now - 1) + 1)
        if step <= now + 1:
            _HANDED_OUT[key] = step
            return totp.generate_otp(step)
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)


def registry_unit(session: Session, administration_id: int) -> Unit | None:
    """The seeded registry unit (bureau d'ordre) of an administration, if any."""
    return session.execute(
        select(Unit).where(Unit.administration_id == administration_id, Unit.code == REGISTRY_UNIT_CODE)
    ).scalar_one_or_none()


def demo_accounts_markdown() -> str:
    """The demo accounts as a markdown table, for the README."""
    lines = [
        f"All demo accounts use the password `{DEMO_PASSWORD}` (demonstration only).",
        "",
        "| e-mail | password | role | roles | administration | unit |",
        "|---|---|---|---|---|---|",
    ]
    for acc in DEMO_ACCOUNTS:
        lines.append(
            f"| `{acc.email}` | `{acc.password}` | {acc.role} — {acc.full_name} | "
            f"{', '.join(f'`{r}`' for r in acc.roles)} | {acc.administration or 'all'} | {acc.unit or '—'} |"
        )
    lines += [
        "",
        "Delegation: `director.mef` → `head.mef` for the 30 days after seeding.",
        "",
        "Administrator rights need a second factor (TOTP). The demo administrators are enrolled with the",
        f"published secret `{DEMO_TOTP_SECRET}`: add it to an authenticator app, or print the current code",
        "with `.venv/bin/python -c \"import pyotp; print(pyotp.TOTP('" + DEMO_TOTP_SECRET + "').now())\"`.",
    ]
    return "\n".join(lines) + "\n"

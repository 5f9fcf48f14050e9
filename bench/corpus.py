"""Vocabulary for the 1-million-correspondence benchmark database (``bench/generate.py``).

Subjects, messages and names in Arabic and French as Moroccan registries receive them. Arabic
words keep their hamza and ta marbuta (شهادة إدارية, مؤسسة, الأضرار) and French words their
accents (réclamation, dégâts), so the searches in ``bench/queries.py`` exercise the folding of
``services/platform/text.py`` (they are typed without them).
"""

from __future__ import annotations

import random

FIRST = (
    ("محمد", "Mohammed"),
    ("فاطمة", "Fatima"),
    ("يوسف", "Youssef"),
    ("خديجة", "Khadija"),
    ("عبد الله", "Abdellah"),
    ("مريم", "Meryem"),
    ("أحمد", "Ahmed"),
    ("سعاد", "Souad"),
    ("إبراهيم", "Ibrahim"),
    ("زينب", "Zineb"),
    ("عمر", "Omar"),
    ("نادية", "Nadia"),
    ("رشيد", "Rachid"),
    ("هند", "Hind"),
    ("حسن", "Hassan"),
    ("سلمى", "Salma"),
    ("كريم", "Karim"),
    ("أمينة", "Amina"),
    ("إدريس", "Driss"),
    ("لطيفة", "Latifa"),
    ("عائشة", "Aïcha"),
    ("مصطفى", "Mustapha"),
    ("حنان", "Hanane"),
    ("سعيد", "Saïd"),
)
LAST = (
    ("العلوي", "Alaoui"),
    ("بناني", "Bennani"),
    ("التازي", "Tazi"),
    ("الإدريسي", "El Idrissi"),
    ("برادة", "Berrada"),
    ("الشرايبي", "Chraïbi"),
    ("لحلو", "Lahlou"),
    ("الفاسي", "El Fassi"),
    ("بوزيدي", "Bouzidi"),
    ("الوزاني", "Ouazzani"),
    ("بنكيران", "Benkirane"),
    ("الصقلي", "Sqalli"),
    ("المنصوري", "Mansouri"),
    ("الزياني", "Ziani"),
    ("بنجلون", "Benjelloun"),
    ("الحسني", "Hassani"),
    ("العمراني", "Amrani"),
    ("الكتاني", "Kettani"),
    ("أوعزيز", "Ouaziz"),
    ("الرحالي", "Rahali"),
)
COMPANIES = (
    ("شركة الأطلس للبناء", "Atlas Bâtiment SARL"),
    ("مؤسسة النور للتجارة", "Établissements Nour"),
    ("شركة المغرب للخدمات", "Maroc Services SA"),
    ("تعاونية الواحة", "Coopérative Al Waha"),
    ("شركة سوس للنقل", "Souss Transport SARL"),
    ("مقاولة الريف للأشغال", "Rif Travaux SARL"),
)
CITIES = (
    ("الرباط", "Rabat"),
    ("الدار البيضاء", "Casablanca"),
    ("فاس", "Fès"),
    ("مراكش", "Marrakech"),
    ("طنجة", "Tanger"),
    ("أكادير", "Agadir"),
    ("مكناس", "Meknès"),
    ("وجدة", "Oujda"),
    ("القنيطرة", "Kénitra"),
    ("تطوان", "Tétouan"),
    ("آسفي", "Safi"),
    ("الجديدة", "El Jadida"),
    ("بني ملال", "Béni Mellal"),
    ("الناظور", "Nador"),
    ("سطات", "Settat"),
    ("خريبكة", "Khouribga"),
    ("العيون", "Laâyoune"),
    ("الحسيمة", "Al Hoceïma"),
    ("ورزازات", "Ouarzazate"),
    ("إفران", "Ifrane"),
)
MINISTRIES = (
    ("Ministère de l'Intérieur", "وزارة الداخلية"),
    ("Ministère de l'Économie et des Finances", "وزارة الاقتصاد والمالية"),
    ("Ministère de l'Éducation nationale", "وزارة التربية الوطنية"),
    ("Ministère de la Santé et de la Protection sociale", "وزارة الصحة والحماية الاجتماعية"),
    ("Ministère de l'Équipement et de l'Eau", "وزارة التجهيز والماء"),
    ("Ministère de la Justice", "وزارة العدل"),
    ("Ministère de l'Agriculture", "وزارة الفلاحة"),
    ("Ministère de l'Enseignement supérieur", "وزارة التعليم العالي"),
    ("Ministère de l'Industrie et du Commerce", "وزارة الصناعة والتجارة"),
    ("Ministère de l'Habitat et de l'Urbanisme", "وزارة السكنى والتعمير"),
    ("Ministère du Tourisme", "وزارة السياحة"),
    ("Ministère de la Transition énergétique", "وزارة الانتقال الطاقي"),
    ("Ministère de l'Emploi", "وزارة التشغيل"),
    ("Ministère de la Jeunesse et de la Culture", "وزارة الشباب والثقافة"),
    ("Ministère du Transport et de la Logistique", "وزارة النقل واللوجستيك"),
)
DIRECTORATES = (
    ("Direction des Ressources Humaines", "مديرية الموارد البشرية"),
    ("Direction du Budget", "مديرية الميزانية"),
    ("Direction des Affaires Juridiques", "مديرية الشؤون القانونية"),
    ("Direction des Systèmes d'Information", "مديرية نظم المعلومات"),
    ("Direction de la Planification", "مديرية التخطيط"),
    ("Direction des Équipements", "مديرية التجهيزات"),
    ("Direction des Affaires Sociales", "مديرية الشؤون الاجتماعية"),
    ("Direction de l'Urbanisme", "مديرية التعمير"),
    ("Direction des Marchés", "مديرية الصفقات"),
    ("Direction de la Coopération", "مديرية التعاون"),
)
DIVISIONS = (
    ("Division des Études", "قسم الدراسات"),
    ("Division du Contentieux", "قسم المنازعات"),
    ("Division de la Gestion", "قسم التدبير"),
    ("Division du Suivi", "قسم التتبع"),
    ("Division de la Réglementation", "قسم التقنين"),
    ("Division des Programmes", "قسم البرامج"),
)
SERVICES = (
    ("Service de l'Accueil", "مصلحة الاستقبال"),
    ("Service des Archives", "مصلحة الأرشيف"),
    ("Service de la Comptabilité", "مصلحة المحاسبة"),
    ("Service du Personnel", "مصلحة الموظفين"),
)

# (French kind, Arabic kind, type code): the first words of a subject.
KINDS = (
    ("Demande", "طلب", "request"),
    ("Réclamation", "شكاية", "complaint"),
    ("Requête", "ملتمس", "request"),
    ("Recours gracieux", "تظلم", "complaint"),
    ("Demande d'information", "استفسار", "information"),
    ("Facture", "فاتورة", "invoice"),
    ("Sollicitation", "التماس", "other"),
)
# (French object, Arabic object) of a subject.
OBJECTS = (
    ("d'une attestation administrative", "الحصول على شهادة إدارية"),
    ("de régularisation de la situation administrative", "تسوية الوضعية الإدارية"),
    ("relative au permis de construire", "بخصوص رخصة البناء"),
    ("concernant le retard de paiement des indemnités", "بشأن تأخر أداء المستحقات"),
    ("relative à la promotion de grade", "بخصوص الترقية في الدرجة"),
    ("de bourse d'études supérieures", "الحصول على منحة الدراسة"),
    ("de révision de l'impôt foncier", "إعادة النظر في الضريبة العقارية"),
    ("de renouvellement de l'autorisation d'exploitation", "تجديد رخصة الاستغلال"),
    ("de subvention au profit de l'association", "الاستفادة من الدعم لفائدة الجمعية"),
    ("relative à la réfection de la chaussée", "بشأن إصلاح الطريق"),
    ("de raccordement au réseau d'eau potable", "الربط بشبكة الماء الصالح للشرب"),
    ("de mutation pour rapprochement familial", "الانتقال لأجل التجمع العائلي"),
    ("relative à la pension de retraite", "بخصوص معاش التقاعد"),
    ("concernant le marché public", "بشأن الصفقة العمومية"),
    ("d'extrait d'acte de naissance", "الحصول على نسخة من رسم الولادة"),
    ("d'indemnisation des dégâts causés par les inondations", "التعويض عن الأضرار الناجمة عن الفيضانات"),
    ("concernant l'établissement scolaire du quartier", "بشأن المؤسسة التعليمية بالحي"),
    ("d'aide sociale directe", "الاستفادة من الإعانة الاجتماعية المباشرة"),
    ("relative à l'arrêté de démolition", "بخصوص قرار الهدم"),
    ("de certificat de propriété", "الحصول على شهادة الملكية"),
)
OPENINGS = (
    ("Monsieur le Directeur,", "السيد المدير المحترم،"),
    ("Madame, Monsieur,", "سيدتي، سيدي،"),
    ("Monsieur le Président,", "السيد الرئيس المحترم،"),
    ("Monsieur le Secrétaire général,", "السيد الكاتب العام المحترم،"),
)
BODIES = (
    (
        "J'ai l'honneur de solliciter votre bienveillance au sujet {obj}, déposée à {city} le {day}.",
        "يشرفني أن ألتمس منكم التفضل بالنظر في طلبي {obj}، المودع بمدينة {city} بتاريخ {day}.",
    ),
    (
        "Je me permets de revenir vers vous à propos {obj}, restée sans réponse depuis ma lettre du {day}.",
        "أتشرف بأن أعود إليكم في موضوع {obj}، الذي بقي دون جواب منذ رسالتي بتاريخ {day}.",
    ),
    (
        "Vous trouverez ci-joint les pièces justificatives concernant le dossier n° {num} ({city}).",
        "تجدون رفقته الوثائق المثبتة المتعلقة بالملف رقم {num} ({city}).",
    ),
    (
        "Le montant réclamé s'élève à {amount} dirhams, conformément au bon de commande n° {num}.",
        "يبلغ المبلغ المطالب به {amount} درهما، وفقا لسند الطلب رقم {num}.",
    ),
)
CLOSINGS = (
    ("Veuillez agréer l'expression de mes salutations distinguées.", "وتفضلوا بقبول فائق عبارات التقدير والاحترام."),
    (
        "Dans l'attente d'une suite favorable, je vous prie de croire à ma haute considération.",
        "وفي انتظار ردكم الإيجابي، تقبلوا أسمى عبارات التقدير.",
    ),
)


def person(rng: random.Random, arabic: bool) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first[0]} {last[0]}" if arabic else f"{first[1]} {last[1]}"


def company(rng: random.Random, arabic: bool) -> str:
    return rng.choice(COMPANIES)[0 if arabic else 1]


def letter(rng: random.Random, arabic: bool, day: str) -> tuple[str, str, str]:
    """(subject, message, type code) of one letter, in Arabic or French."""
    kind, obj = rng.choice(KINDS), rng.choice(OBJECTS)
    lang = 1 if arabic else 0
    subject = f"{kind[lang]} {obj[lang]}"
    fields = {
        "obj": obj[lang],
        "city": rng.choice(CITIES)[lang],
        "day": day,
        "num": f"{rng.randint(1, 9999)}/{rng.randint(20, 26)}",
        "amount": f"{rng.randint(500, 900000):,}".replace(",", " "),
    }
    body = " ".join(b[lang].format(**fields) for b in rng.sample(BODIES, rng.randint(1, 2)))
    message = f"{rng.choice(OPENINGS)[lang]} {body} {rng.choice(CLOSINGS)[lang]}"
    return subject, message, kind[2]

"""The symptom helper: suggests departments from the words a patient uses.

Deliberately transparent: each rule is a department and the words (zh and en) that point to
it, and every suggestion shows the words that matched. It is a signpost, not a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from hospital.doctors.models import Department

DISCLAIMER = _(
    "This is a guide to the right department, not a diagnosis. If you have chest pain, "
    "difficulty breathing, heavy bleeding, sudden weakness or confusion, call 120 now."
)

# Words that mean "go to an emergency room, not an online consultation".
RED_FLAGS = (
    "胸痛",
    "胸口痛",
    "呼吸困难",
    "喘不上气",
    "昏迷",
    "大出血",
    "抽搐",
    "偏瘫",
    "口角歪斜",
    "chest pain",
    "can't breathe",
    "cannot breathe",
    "short of breath",
    "unconscious",
    "seizure",
    "heavy bleeding",
    "slurred speech",
)

RULES: dict[str, tuple[str, ...]] = {
    "cardiology": (
        "心慌",
        "心悸",
        "胸闷",
        "血压高",
        "高血压",
        "心跳快",
        "palpitation",
        "high blood pressure",
        "hypertension",
        "chest tightness",
        "heart",
    ),
    "respiratory": (
        "咳嗽",
        "咳痰",
        "发烧",
        "发热",
        "气喘",
        "哮喘",
        "喉咙痛",
        "cough",
        "fever",
        "asthma",
        "wheez",
        "sputum",
        "sore throat",
    ),
    "gastroenterology": (
        "胃痛",
        "腹痛",
        "肚子痛",
        "腹泻",
        "拉肚子",
        "便秘",
        "恶心",
        "呕吐",
        "反酸",
        "stomach",
        "abdominal",
        "diarrh",
        "constipation",
        "nausea",
        "vomit",
        "heartburn",
        "acid reflux",
    ),
    "endocrinology": (
        "血糖",
        "糖尿病",
        "口渴",
        "多尿",
        "甲状腺",
        "消瘦",
        "diabetes",
        "blood sugar",
        "glucose",
        "thirst",
        "thyroid",
    ),
    "neurology": (
        "头痛",
        "头晕",
        "眩晕",
        "失眠",
        "手脚麻木",
        "麻木",
        "headache",
        "dizz",
        "migraine",
        "numb",
        "insomnia",
        "vertigo",
    ),
    "dermatology": (
        "皮疹",
        "瘙痒",
        "痒",
        "湿疹",
        "痘",
        "脱发",
        "rash",
        "itch",
        "eczema",
        "acne",
        "hair loss",
        "skin",
    ),
    "pediatrics": ("孩子", "小孩", "宝宝", "婴儿", "儿童", "child", "baby", "infant", "toddler"),
    "gynecology": (
        "月经",
        "痛经",
        "白带",
        "怀孕",
        "孕",
        "menstrua",
        "period pain",
        "pregnan",
        "vaginal",
    ),
    "orthopedics": (
        "腰痛",
        "颈椎",
        "关节痛",
        "膝盖",
        "骨折",
        "扭伤",
        "back pain",
        "neck pain",
        "joint pain",
        "knee",
        "sprain",
        "fracture",
    ),
    "ent": (
        "耳鸣",
        "鼻塞",
        "流鼻涕",
        "听力",
        "鼻炎",
        "tinnitus",
        "blocked nose",
        "runny nose",
        "hearing",
        "earache",
        "sinus",
    ),
    "ophthalmology": ("眼睛", "视力", "眼干", "眼红", "看不清", "eye", "vision", "blurred"),
    "psychology": (
        "焦虑",
        "抑郁",
        "情绪低落",
        "压力大",
        "anxiety",
        "anxious",
        "depress",
        "low mood",
        "stress",
        "panic",
    ),
}
FALLBACK_DEPARTMENT = "general"


@dataclass(frozen=True)
class Suggestion:
    department: Department
    matched: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class SymptomAdvice:
    suggestions: list[Suggestion]
    emergency: bool
    disclaimer: str


def suggest_departments(text: str) -> SymptomAdvice:
    lowered = text.lower()
    emergency = any(flag in lowered for flag in RED_FLAGS)
    scored: list[tuple[int, str, tuple[str, ...]]] = []
    for code, words in RULES.items():
        matched = tuple(word for word in words if word in lowered)
        if matched:
            scored.append((len(matched), code, matched))
    scored.sort(key=lambda item: (-item[0], item[1]))
    codes = [item[1] for item in scored] or [FALLBACK_DEPARTMENT]
    departments = {d.code: d for d in Department.objects.filter(code__in=codes, is_active=True)}
    suggestions: list[Suggestion] = []
    for _count, code, matched in scored:
        if code in departments:
            reason = str(_("You mentioned: %(words)s")) % {"words": "、".join(matched)}
            suggestions.append(Suggestion(departments[code], matched, reason))
    if not suggestions and FALLBACK_DEPARTMENT in departments:
        suggestions.append(
            Suggestion(
                departments[FALLBACK_DEPARTMENT],
                (),
                str(_("No specific department matched; a general practitioner can guide you.")),
            )
        )
    return SymptomAdvice(
        suggestions=suggestions[:3], emergency=emergency, disclaimer=str(DISCLAIMER)
    )

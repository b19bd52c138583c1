"""The formulary's vocabulary in the reader's language: dosage forms, routes, units, and the
decision-support severities and kinds.

The formulary stores these as English terms (`tablet`, `oral`, `mg`, the same words the
knowledge files use), which are codes as much as words; a page shows them through here. Each
term carries its Chinese beside its English, as the knowledge files carry their `*_zh` columns:
they are data of the formulary, not sentences of the interface. A term not listed is shown as
stored, so a new form in the formulary never breaks a page.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

from hospital.prescriptions.decision_support.facts import MANAGEMENT_ZH
from hospital.prescriptions.decision_support.knowledge import KnowledgeUnavailable
from hospital.prescriptions.decision_support.knowledge_files import get_knowledge

# term → (English, Chinese)
DOSAGE_FORMS: dict[str, tuple[str, str]] = {
    "tablet": ("tablet", "片剂"),
    "capsule": ("capsule", "胶囊"),
    "sustained-release tablet": ("sustained-release tablet", "缓释片"),
    "sustained-release capsule": ("sustained-release capsule", "缓释胶囊"),
    "modified-release tablet": ("modified-release tablet", "缓释片"),
    "controlled-release tablet": ("controlled-release tablet", "控释片"),
    "extended-release tablet": ("extended-release tablet", "缓释片"),
    "extended-release capsule": ("extended-release capsule", "缓释胶囊"),
    "enteric-coated tablet": ("enteric-coated tablet", "肠溶片"),
    "enteric-coated capsule": ("enteric-coated capsule", "肠溶胶囊"),
    "sublingual tablet": ("sublingual tablet", "舌下片"),
    "chewable tablet": ("chewable tablet", "咀嚼片"),
    "effervescent tablet": ("effervescent tablet", "泡腾片"),
    "vaginal tablet": ("vaginal tablet", "阴道片"),
    "tablet (co-packaged)": ("tablets (co-packaged)", "片剂（组合包装）"),
    "cream": ("cream", "乳膏"),
    "ointment": ("ointment", "软膏"),
    "gel": ("gel", "凝胶"),
    "injection": ("injection", "注射液"),
    "powder for injection": ("powder for injection", "注射用粉针剂"),
    "injection (prefilled pen)": ("injection (prefilled pen)", "注射液（预填充笔）"),
    "injection (prefilled syringe)": ("injection (prefilled syringe)", "注射液（预填充注射器）"),
    "eye drops": ("eye drops", "滴眼液"),
    "drops": ("drops", "滴剂"),
    "nasal spray": ("nasal spray", "鼻喷雾剂"),
    "dry powder inhaler": ("dry powder inhaler", "吸入粉雾剂"),
    "inhalation powder capsule": ("inhalation powder capsule", "吸入粉雾剂（胶囊）"),
    "inhaler (pMDI)": ("pressurised inhaler (pMDI)", "吸入气雾剂"),
    "nebuliser suspension": ("nebuliser suspension", "雾化吸入用混悬液"),
    "oral solution": ("oral solution", "口服溶液"),
    "oral suspension": ("oral suspension", "口服混悬液"),
    "granules": ("granules", "颗粒剂"),
    "powder": ("powder", "散剂"),
    "enema": ("enema", "灌肠剂"),
}

ROUTES: dict[str, tuple[str, str]] = {
    "oral": ("oral", "口服"),
    "topical": ("on the skin", "外用"),
    "sc": ("subcutaneous injection", "皮下注射"),
    "im": ("intramuscular injection", "肌内注射"),
    "iv": ("intravenous", "静脉给药"),
    "inhalation": ("inhaled", "吸入"),
    "ophthalmic": ("into the eye", "滴眼"),
    "nasal": ("into the nose", "鼻用"),
    "sublingual": ("under the tongue", "舌下含服"),
    "vaginal": ("vaginal", "阴道给药"),
    "rectal": ("rectal", "直肠给药"),
}

# Dose units (singular, as a dose is written: "1 tablet") and pack units (plural: "48 tablets").
# Measurement units (mg, g, mL, µg, IU, %) read the same in both languages.
UNITS: dict[str, tuple[str, str]] = {
    "tablet": ("tablet", "片"),
    "tablets": ("tablets", "片"),
    "capsule": ("capsule", "粒"),
    "capsules": ("capsules", "粒"),
    "inhalation": ("inhalation", "吸"),
    "inhalations": ("inhalations", "吸"),
    "spray": ("spray", "喷"),
    "sprays": ("sprays", "喷"),
    "drop": ("drop", "滴"),
    "drops": ("drops", "滴"),
    "application": ("application", "次"),
    "dose": ("dose", "剂"),
    "vials": ("vials", "瓶"),
    "sachets": ("sachets", "袋"),
    "ampoules": ("ampoules", "支"),
    "pens": ("pens", "支"),
    "syringes": ("syringes", "支"),
    "bottles": ("bottles", "瓶"),
    "units": ("units", "单位"),
    "mL": ("mL", "ml"),
}

SEVERITIES: dict[str, tuple[str, str]] = {
    "contraindicated": ("Contraindicated", "禁忌"),
    "major": ("Major", "严重"),
    "moderate": ("Moderate", "中度"),
    "minor": ("Minor", "轻度"),
    "info": ("Information", "提示"),
}

FINDING_KINDS: dict[str, tuple[str, str]] = {
    "interaction": ("Interaction", "药物相互作用"),
    "allergy": ("Allergy", "过敏"),
    "duplicate_therapy": ("Duplicate therapy", "重复用药"),
    "dose_over_maximum": ("Dose over the maximum", "超剂量"),
    "pregnancy": ("Pregnancy", "妊娠期用药"),
    "lactation": ("Breastfeeding", "哺乳期用药"),
    "paediatric_age": ("Children", "儿童用药"),
    "elderly": ("Older adults", "老年人用药"),
    "renal_function": ("Kidney function", "肾功能"),
    "hepatic_function": ("Liver function", "肝功能"),
    "qt_prolongation": ("QT prolongation", "QT间期延长"),
    "forbidden_control_class": ("Controlled drug", "管制药品"),
    "unknown_drug": ("Not in the formulary", "非处方集药品"),
}

# Frequency codes as written on a prescription (hospital/prescriptions/decision_support/doses.py)
# in the words a patient reads; the code stays on the doctor's and pharmacist's pages.
FREQUENCIES = {
    "QD": ("once a day", "每日一次"),
    "BID": ("twice a day", "每日两次"),
    "TID": ("three times a day", "每日三次"),
    "QID": ("four times a day", "每日四次"),
    "QN": ("every night", "每晚一次"),
    "QHS": ("at bedtime", "睡前一次"),
    "QAM": ("every morning", "每日早晨一次"),
    "QPM": ("every evening", "每日傍晚一次"),
    "QOD": ("every other day", "隔日一次"),
    "QW": ("once a week", "每周一次"),
    "BIW": ("twice a week", "每周两次"),
    "TIW": ("three times a week", "每周三次"),
    "Q4H": ("every 4 hours", "每4小时一次"),
    "Q6H": ("every 6 hours", "每6小时一次"),
    "Q8H": ("every 8 hours", "每8小时一次"),
    "Q12H": ("every 12 hours", "每12小时一次"),
    "PRN": ("when needed", "必要时"),
    "STAT": ("at once", "立即"),
    "ONCE": ("once", "一次"),
}


def _chinese(language: str | None) -> bool:
    return (language or get_language() or "").lower().startswith("zh")


def _label(table: dict[str, tuple[str, str]], term: object, language: str | None) -> str:
    text = str(term or "")
    pair = table.get(text)
    if pair is None:
        return text
    return pair[1] if _chinese(language) else pair[0]


def dosage_form_label(term: object, language: str | None = None) -> str:
    return _label(DOSAGE_FORMS, term, language)


def route_label(term: object, language: str | None = None) -> str:
    return _label(ROUTES, term, language)


def frequency_label(term: object, language: str | None = None) -> str:
    """A frequency code (any case) in words; a frequency written in words stays as written."""
    code = str(term or "").strip()
    return _label(FREQUENCIES, code.upper(), language) if code.upper() in FREQUENCIES else code


def unit_label(term: object, language: str | None = None) -> str:
    return _label(UNITS, term, language)


def severity_label(term: object, language: str | None = None) -> str:
    return _label(SEVERITIES, term, language)


def finding_kind_label(term: object, language: str | None = None) -> str:
    return _label(FINDING_KINDS, term, language)


def ingredients_label(ingredients: str, language: str | None = None) -> str:
    """The formulary's `;`-separated INN list, joined as the language writes a list."""
    names = [name.strip() for name in (ingredients or "").split(";") if name.strip()]
    return ("、" if _chinese(language) else ", ").join(names)


def finding_message(finding: Any, language: str | None = None) -> str:
    """A finding's message (an engine Finding or a stored one) in the reader's language."""
    if _chinese(language):
        return str(getattr(finding, "message_zh", "") or finding.message)
    return str(finding.message)


def finding_management(finding: Any, language: str | None = None) -> str:
    """A finding's advice in the reader's language.

    Findings stored before the advice was kept in Chinese have only the English: its Chinese is
    then looked up where it came from, the engine's table or the interaction rule of the same id.
    """
    english = str(getattr(finding, "management", "") or "")
    if not _chinese(language) or not english:
        return english
    chinese = str(getattr(finding, "management_zh", "") or "") or MANAGEMENT_ZH.get(english, "")
    if not chinese and str(getattr(finding, "rule_id", "")).startswith("ddi-"):
        try:
            rules = {rule.id: rule for rule in get_knowledge().interactions}
        except KnowledgeUnavailable:
            rules = {}
        rule = rules.get(str(finding.rule_id))
        if rule is not None and rule.management == english:
            chinese = rule.management_zh
    return chinese or english

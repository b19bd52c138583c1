"""What a customer reads about a product, in the reader's language.

A product's own texts (description, indications, dosage, leaflet) are the pharmacy's copy and are
shown as written. Where a medicine has none, the page writes them from its formulary drug when it
is read: what the medicine is for (by its therapeutic group), how to take it, and the
precautions its label data call for (pregnancy, breastfeeding, children), so the same product
reads in Chinese on a Chinese page and in English on an English one. The formulary's `notes` are
for prescribers and pharmacists and never reach a customer.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

from hospital.prescriptions.decision_support.knowledge import Drug, KnowledgeUnavailable
from hospital.prescriptions.decision_support.knowledge_files import get_knowledge
from hospital.prescriptions.labels import dosage_form_label, ingredients_label, route_label
from hospital.prescriptions.models import FormularyDrug
from pharmacy.models import Product


@cache
def _indications() -> dict[str, tuple[str, str]]:
    """ATC prefix → (English, Chinese): what a medicine of that group is for, written for
    patients (`data/indications.csv`; the longest prefix that matches wins)."""
    path = Path(__file__).resolve().parent / "data" / "indications.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["atc_prefix"]: (row["indication_en"], row["indication_zh"])
            for row in csv.DictReader(handle)
        }


_PREGNANCY = {
    "contraindicated": ("Do not use during pregnancy.", "孕妇禁用。"),
    "avoid": (
        "Avoid during pregnancy unless your doctor decides otherwise.",
        "孕妇避免使用，确需使用请遵医嘱。",
    ),
    "caution": (
        "If you are pregnant, use only on your doctor's advice.",
        "孕妇慎用，请在医生指导下使用。",
    ),
}
_LACTATION = {
    "contraindicated": ("Do not use while breastfeeding.", "哺乳期妇女禁用。"),
    "avoid": (
        "Avoid while breastfeeding unless your doctor decides otherwise.",
        "哺乳期妇女避免使用，确需使用请遵医嘱。",
    ),
    "caution": (
        "If you are breastfeeding, use only on your doctor's advice.",
        "哺乳期妇女慎用，请在医生指导下使用。",
    ),
}


@dataclass(frozen=True)
class ProductTexts:
    description: str
    indications: str
    dosage: str
    leaflet: str


def _chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if _chinese() else pair[0]


def drug_indications(drug: FormularyDrug) -> str:
    for length in (4, 3):
        pair = _indications().get(drug.atc_code[:length])
        if pair:
            return _pick(pair)
    return _pick(("Use as your doctor or pharmacist advises.", "请遵医嘱或药师指导使用。"))


def drug_precautions(drug: FormularyDrug) -> list[str]:
    is_rx = drug.rx_class == FormularyDrug.RxClass.RX
    lines = [
        _pick(
            (
                "Take exactly as prescribed; do not change the dose or stop without asking "
                "your doctor.",
                "请严格按医生处方使用，不要自行增减剂量或停药。",
            )
            if is_rx
            else (
                "Read the leaflet before use. If symptoms persist or get worse, see a doctor.",
                "使用前请阅读说明书；症状未缓解或加重时请及时就医。",
            )
        )
    ]
    try:
        label = get_knowledge().drugs_by_code.get(drug.code)
    except KnowledgeUnavailable:
        # The label data could not be read: the general precautions still stand, and the
        # leaflet of the pack in hand says the rest.
        label = None
    if label is not None:
        lines += _label_precautions(label)
    lines.append(
        _pick(
            (
                "Tell your doctor or pharmacist about any allergy and all other medicines "
                "you take.",
                "如有药物过敏史或正在使用其他药品，请告知医生或药师。",
            )
        )
    )
    lines.append(_pick(("Keep out of the reach of children.", "请将本品放在儿童不能接触的地方。")))
    return lines


def _label_precautions(label: Drug) -> list[str]:
    lines = []
    cautions = ((_PREGNANCY, label.pregnancy_caution), (_LACTATION, label.lactation_caution))
    for table, value in cautions:
        if str(value) in table:
            lines.append(_pick(table[str(value)]))
    minimum = label.paediatric_min_age_years
    if minimum is not None and minimum > 0:
        years = _years(minimum)
        if minimum >= 18:
            lines.append(_pick(("Not for children under 18.", "18岁以下儿童不宜使用。")))
        elif minimum < 1:
            months = int((minimum * 12).to_integral_value())
            lines.append(
                f"{months}月龄以下婴儿不宜使用。"
                if _chinese()
                else f"Not for babies under {months} months."
            )
        else:
            lines.append(
                f"{years}岁以下儿童不宜使用。" if _chinese() else f"Not for children under {years}."
            )
    return lines


def _years(value: Decimal) -> str:
    return f"{value.normalize():f}"


def drug_leaflet(drug: FormularyDrug) -> str:
    if _chinese():
        rows = [
            f"【通用名称】{drug.generic_name_zh}",
            f"【英文名称】{drug.generic_name_en}",
            f"【成份】{ingredients_zh(drug)}",
            f"【规格】{drug.strength}",
            f"【剂型】{dosage_form_label(drug.dosage_form)}",
            f"【给药途径】{route_label(drug.route)}",
            f"【适应症】{drug_indications(drug)}",
            "【注意事项】" + "".join(drug_precautions(drug)),
        ]
    else:
        rows = [
            f"Generic name: {drug.generic_name_en}",
            f"Ingredients: {ingredients_label(drug.ingredients)}",
            f"Strength: {drug.strength}",
            f"Dosage form: {dosage_form_label(drug.dosage_form)}",
            f"Route: {route_label(drug.route)}",
            f"Indications: {drug_indications(drug)}",
            "Precautions: " + " ".join(drug_precautions(drug)),
        ]
    return "\n".join(rows)


# The formulary's Chinese names end with the dosage form ("盐酸二甲双胍缓释片"); without it the
# name is the active ingredient as a Chinese label states it ("盐酸二甲双胍").
_FORM_SUFFIXES = sorted(
    {
        "片",
        "胶囊",
        "缓释片",
        "缓释胶囊",
        "控释片",
        "肠溶片",
        "肠溶胶囊",
        "舌下片",
        "咀嚼片",
        "泡腾片",
        "阴道片",
        "乳膏",
        "软膏",
        "凝胶",
        "注射液",
        "滴眼液",
        "滴剂",
        "鼻喷雾剂",
        "吸入粉雾剂",
        "气雾剂",
        "口服溶液",
        "口服混悬液",
        "混悬液",
        "颗粒",
        "散",
        "灌肠剂",
        "溶液",
    },
    key=len,
    reverse=True,
)


def ingredients_zh(drug: FormularyDrug) -> str:
    name = drug.generic_name_zh
    if ";" in drug.ingredients or name.startswith(("复方", "注射用")) or "/" in name:
        return f"本品为复方制剂（{name}）" if ";" in drug.ingredients else name
    for suffix in _FORM_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def drug_description(drug: FormularyDrug) -> str:
    if _chinese():
        return f"{drug.generic_name_zh}，{drug.strength}。"
    return f"{drug.generic_name_en}, {drug.strength}."


def drug_dosage(drug: FormularyDrug) -> str:
    if drug.rx_class == FormularyDrug.RxClass.RX:
        return _pick(
            (
                "As prescribed by your doctor; follow the directions on your prescription.",
                "遵医嘱，按处方上的用法用量使用。",
            )
        )
    return _pick(
        (
            "Follow the dose on the leaflet. If symptoms do not improve, ask a doctor or "
            "pharmacist.",
            "按说明书用法用量使用；症状未缓解请咨询医师或药师。",
        )
    )


# Texts the catalogue used to write into every drug product: formulary-derived, one language,
# and the leaflet carried the prescribers' notes. A product still holding them is shown the texts
# written at read time instead.
_GENERATED_INDICATIONS = {"请按说明书或遵医嘱使用。", "用于医生诊断的适应症，详见处方及说明书。"}
_GENERATED_DOSAGE = {
    "遵医嘱。",
    "按说明书用法用量服用；症状未缓解请咨询医师或药师。",
    "按说明书使用。",
}


def product_texts(product: Product) -> ProductTexts:
    drug = product.drug if product.drug_id else None
    if drug is None:
        generated_description = f"{product.brand} {product.name_zh}，{product.pack_description}。"
        description = product.description
        if not description or description == generated_description:
            description = (
                f"{product.brand} {product.name_zh}，{product.pack_description}。"
                if _chinese() or not product.name_en
                else f"{product.brand} {product.name_en}, {product.pack_description}."
            ).strip()
        dosage = product.dosage
        if not dosage or dosage in _GENERATED_DOSAGE:
            dosage = _pick(("Use as the instructions describe.", "按说明书使用。"))
        return ProductTexts(description, product.indications, dosage, product.leaflet)
    description = product.description
    old_description = f"{drug.generic_name_zh}（{drug.generic_name_en}）"
    if not description or description.startswith(old_description):
        description = drug_description(drug)
    indications = product.indications
    if not indications or indications in _GENERATED_INDICATIONS:
        indications = drug_indications(drug)
    dosage = product.dosage
    if not dosage or dosage in _GENERATED_DOSAGE:
        dosage = drug_dosage(drug)
    leaflet = product.leaflet
    if not leaflet or leaflet.startswith("【通用名称】"):
        leaflet = drug_leaflet(drug)
    return ProductTexts(description, indications, dosage, leaflet)

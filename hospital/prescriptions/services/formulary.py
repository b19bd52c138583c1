"""Loading the formulary table from the curated CSV
(hospital/prescriptions/decision_support/data/formulary.csv).

The file is parsed by `hospital.prescriptions.decision_support.knowledge_files.drug_from_row`, the
same parser decision support uses, so the table and the checks can never read a row differently.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from hospital.prescriptions.decision_support.knowledge import FORMULARY_FILE
from hospital.prescriptions.decision_support.knowledge_files import (
    FORMULARY_COLUMNS,
    drug_from_row,
    knowledge_dir,
)
from hospital.prescriptions.models import FormularyDrug

# Columns the table keeps that decision support does not need.
_EXTRA_COLUMNS = ("sale_restriction", "notes")


class FormularyFileInvalid(DomainError):
    code = "formulary_file_invalid"


@dataclass
class FormularyLoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)


def _rows(path: Path) -> list[dict[str, object]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormularyFileInvalid(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in FORMULARY_COLUMNS if c not in header]
    if missing:
        raise FormularyFileInvalid(
            _("%(file)s lacks the column(s) %(columns)s")
            % {"file": path.name, "columns": ", ".join(missing)}
        )
    reader.fieldnames = header
    values: list[dict[str, object]] = []
    for row in reader:
        if (row.get(header[0]) or "").lstrip().startswith("#"):
            continue
        try:
            drug = drug_from_row(row)
        except (ValueError, KeyError, AttributeError) as exc:
            raise FormularyFileInvalid(
                _("%(file)s line %(line)s: %(error)s")
                % {"file": path.name, "line": reader.line_num, "error": exc}
            ) from None
        values.append(
            {
                "code": drug.code,
                "generic_name_zh": drug.generic_name_zh,
                "generic_name_en": drug.generic_name_en,
                "ingredients": ";".join(drug.ingredients),
                "atc_code": drug.atc_code,
                "strength": drug.strength,
                "strength_value": drug.strength_value,
                "strength_unit": drug.strength_unit,
                "dosage_form": drug.dosage_form,
                "route": drug.route,
                "dose_unit": drug.dose_unit,
                "pack_size": drug.pack_size,
                "pack_unit": drug.pack_unit,
                "rx_class": drug.rx_class.value,
                "control_class": drug.control_class.value,
                "adult_max_daily_dose": drug.adult_max_daily_dose,
                "long_term_allowed": drug.long_term_allowed,
                "insurance_category": drug.insurance_category.value
                if drug.insurance_category
                else "",
                "national_code": drug.national_code,
                **{column: (row.get(column) or "").strip() for column in _EXTRA_COLUMNS},
            }
        )
    codes = [v["code"] for v in values]
    if len(set(codes)) != len(codes):
        raise FormularyFileInvalid(_("%(file)s repeats a drug code.") % {"file": path.name})
    return values


@transaction.atomic
def formulary_load(*, path: Path | str | None = None) -> FormularyLoadResult:
    """Upserts every drug of the file by code; drugs no longer in it are deactivated (never
    deleted: prescriptions point at them). Running it twice changes nothing the second time."""
    source = Path(path) if path else knowledge_dir() / FORMULARY_FILE
    rows = _rows(source)
    result = FormularyLoadResult()
    existing = {d.code: d for d in FormularyDrug.objects.select_for_update().order_by("pk")}
    for values in rows:
        drug = existing.get(str(values["code"]))
        if drug is None:
            FormularyDrug.objects.create(**values, is_active=True)
            result.created.append(str(values["code"]))
            continue
        changed = [
            name
            for name, value in {**values, "is_active": True}.items()
            if getattr(drug, name) != value
        ]
        if not changed:
            result.unchanged += 1
            continue
        for name in changed:
            setattr(drug, name, values.get(name, True))
        drug.save(update_fields=[*changed, "updated_at"])
        result.updated.append(drug.code)
    in_file = {str(v["code"]) for v in rows}
    for code, drug in existing.items():
        if code not in in_file and drug.is_active:
            drug.is_active = False
            drug.save(update_fields=["is_active", "updated_at"])
            result.deactivated.append(code)
    return result

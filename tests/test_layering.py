"""The import rules of DESIGN section 2, checked on the source.

Between apps, dependencies point one way: pharmacy → hospital → insurance → payments and
notifications → accounts; core and audit serve them all and import none of them. Inside
hospital each domain may use the rooms listed before it (doctors → booking → consultations →
housecalls → records → prescriptions) and never one after it. Every import counts, including
those inside functions, since a lazy import is a dependency all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each app with the project packages it may import (besides itself).
BASE = {"core", "audit", "config.celery"}
APP_MAY_IMPORT: dict[str, set[str]] = {
    "core": {"audit", "config.celery"},
    "audit": {"core"},
    "accounts": BASE,
    "payments": BASE | {"accounts"},
    "notifications": BASE | {"accounts"},
    "insurance": BASE | {"accounts", "payments", "notifications"},
    "hospital": BASE | {"accounts", "payments", "notifications", "insurance"},
    "pharmacy": BASE | {"accounts", "payments", "notifications", "insurance", "hospital"},
}

# hospital's rooms in dependency order: a room may import only rooms before it. The health
# record shows the house calls beside the consultations, so housecalls comes before records.
HOSPITAL_ROOMS = ["doctors", "booking", "consultations", "housecalls", "records", "prescriptions"]
# Modules of hospital shared by every room: the figures and the ICD-10 code list (consultations
# records diagnoses with it before there is a record, so it cannot live in records).
HOSPITAL_SHARED = {"rules", "icd10"}


def _project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every absolute import of a project package in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from hospital import icd10" names the module icd10 inside hospital.
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    top_level = set(APP_MAY_IMPORT) | {"config"}
    return [(line, name) for line, name in found if name.split(".")[0] in top_level]


def _allowed(importer: str, imported: str) -> bool:
    """importer and imported are dotted module names."""
    app, imported_app = importer.split(".")[0], imported.split(".")[0]
    if app == imported_app:
        return app != "hospital" or _room_allowed(importer, imported)
    if imported_app == "config":
        return any(imported.startswith(name) for name in APP_MAY_IMPORT[app] if "." in name)
    return imported_app in APP_MAY_IMPORT[app]


def _room_allowed(importer: str, imported: str) -> bool:
    room = importer.split(".")[1] if importer.count(".") else ""
    imported_room = imported.split(".")[1] if imported.count(".") else ""
    if room not in HOSPITAL_ROOMS:
        return True  # hospital's gatherers (models, admin, urls, tasks...) see every room
    if imported_room == room or imported_room in HOSPITAL_SHARED:
        return True
    if imported_room not in HOSPITAL_ROOMS:
        return False  # a room never reaches up into the gatherers
    return HOSPITAL_ROOMS.index(imported_room) < HOSPITAL_ROOMS.index(room)


def layering_violations(root: Path) -> list[str]:
    violations = []
    for app in APP_MAY_IMPORT:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root).with_suffix("")
            module = ".".join(relative.parts).removesuffix(".__init__")
            for line, imported in _project_imports(path):
                if not _allowed(module, imported):
                    violations.append(f"{relative}.py:{line} imports {imported}")
    return violations


def test_no_import_breaks_the_layering():
    assert layering_violations(ROOT) == []


def test_the_check_catches_a_room_importing_a_room_that_depends_on_it(tmp_path):
    records = tmp_path / "hospital" / "records"
    records.mkdir(parents=True)
    (records / "selectors.py").write_text(
        "def f():\n    from hospital.prescriptions.models import Prescription\n"
    )
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "selectors.py").write_text("from accounts.models import PatientProfile\n")
    (tmp_path / "pharmacy").mkdir()
    (tmp_path / "pharmacy" / "services.py").write_text(
        "from hospital.prescriptions import selectors\nfrom hospital import icd10\n"
    )

    assert layering_violations(tmp_path) == [
        "audit/selectors.py:1 imports accounts.models.PatientProfile",
        "hospital/records/selectors.py:2 imports hospital.prescriptions.models.Prescription",
    ]

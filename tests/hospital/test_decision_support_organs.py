"""Kidney function, hepatic impairment and QT risk on the shipped knowledge; the record facts
they come from; the new knowledge files fail closed."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from hospital.prescriptions.decision_support import knowledge_files
from hospital.prescriptions.decision_support.engine import check_prescription
from hospital.prescriptions.decision_support.facts import (
    ActiveMedication,
    FindingKind,
    LabValue,
    PatientFacts,
    ProposedItem,
)
from hospital.prescriptions.decision_support.knowledge import (
    Knowledge,
    KnowledgeUnavailable,
    Severity,
)
from hospital.prescriptions.decision_support.knowledge_files import get_knowledge
from hospital.prescriptions.decision_support.organs import cockcroft_gault, kidney_function
from hospital.prescriptions.services.findings import patient_facts
from hospital.records.services.readings import reading_record
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.test_record_api import client_for, url

SHIPPED_DIR = Path(knowledge_files.__file__).resolve().parent / "data"

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def kb(settings) -> Knowledge:
    settings.CLINICAL_KNOWLEDGE_DIR = str(SHIPPED_DIR)
    settings.CLINICAL_KNOWLEDGE_MIN_ROWS = {}
    return get_knowledge()


def lab(value, days_ago=7) -> LabValue:
    return LabValue(Decimal(str(value)), TODAY - dt.timedelta(days=days_ago))


def patient(**fields) -> PatientFacts:
    defaults = {
        "age_years": 70.0,
        "weight_kg": Decimal("72"),
        "sex": "male",
        "pregnant": None,
        "lactating": None,
        "as_of": TODAY,
    }
    return PatientFacts(**{**defaults, **fields})


def item(code, dose, frequency="QD") -> ProposedItem:
    return ProposedItem(code, Decimal(dose), "mg", frequency, 5, 1, "oral")


def check(kb, items, facts, active=()):
    return check_prescription(patient=facts, items=items, active_medications=active, knowledge=kb)


def of_kind(findings, kind):
    return [f for f in findings if f.kind == kind]


METFORMIN = item("metformin-500mg-tab", "500", "BID")


# --- kidney ------------------------------------------------------------------------------------


def test_cockcroft_gault_for_a_70_year_old_man_of_72_kg_with_creatinine_120():
    # (140 − 70) × 72 / (0.815 × 120) = 51.5 mL/min (= 72 × 1.357 mg/dL in the mg/dL form)
    value = cockcroft_gault(
        age_years=70, weight_kg=Decimal(72), female=False, creatinine_umol_l=Decimal(120)
    )
    assert value == Decimal("51.5")
    female = cockcroft_gault(
        age_years=70, weight_kg=Decimal(72), female=True, creatinine_umol_l=Decimal(120)
    )
    assert female == Decimal("43.8")


def test_recent_egfr_is_preferred_to_cockcroft_gault():
    facts = patient(creatinine_umol_l=lab(120), egfr=lab(38, days_ago=10))
    kidney = kidney_function(facts)
    assert kidney is not None
    assert (kidney.method, kidney.value) == ("egfr", Decimal(38))


def test_an_old_egfr_gives_way_to_a_recent_creatinine():
    facts = patient(creatinine_umol_l=lab(120), egfr=lab(80, days_ago=200))
    kidney = kidney_function(facts)
    assert kidney is not None
    assert (kidney.method, kidney.value) == ("cockcroft_gault", Decimal("51.5"))


def test_metformin_contraindicated_at_egfr_25(kb):
    findings = of_kind(check(kb, [METFORMIN], patient(egfr=lab(25))), FindingKind.RENAL_FUNCTION)
    assert [(f.rule_id, f.severity) for f in findings] == [
        ("renal-metformin-lt30", Severity.CONTRAINDICATED)
    ]
    finding = findings[0]
    assert "eGFR 25" in finding.message
    assert "eGFR 25" in finding.message_zh
    assert "禁用" in finding.message_zh
    assert finding.management.startswith("Metformin is contraindicated")
    assert "二甲双胍" in finding.management_zh
    assert "FDA" in finding.source


def test_metformin_at_egfr_50_is_fine(kb):
    assert of_kind(check(kb, [METFORMIN], patient(egfr=lab(50))), FindingKind.RENAL_FUNCTION) == []


def test_metformin_at_egfr_40_over_1000_mg_a_day_is_major(kb):
    high = item("metformin-500mg-tab", "1000", "BID")
    findings = of_kind(check(kb, [high], patient(egfr=lab(40))), FindingKind.RENAL_FUNCTION)
    assert [(f.rule_id, f.severity) for f in findings] == [
        ("renal-metformin-30-45", Severity.MAJOR)
    ]
    assert "2000 mg" in findings[0].message
    assert "1000 mg" in findings[0].message
    # 500 mg twice a day is within the band's ceiling
    assert of_kind(check(kb, [METFORMIN], patient(egfr=lab(40))), FindingKind.RENAL_FUNCTION) == []


def test_no_recent_kidney_value_is_a_caution(kb):
    for facts in (patient(), patient(egfr=lab(80, days_ago=120))):
        findings = of_kind(check(kb, [METFORMIN], facts), FindingKind.RENAL_FUNCTION)
        assert [(f.rule_id, f.severity) for f in findings] == [
            ("renal-metformin-recent", Severity.MODERATE)
        ]
        assert findings[0].message_zh
        assert findings[0].management_zh


def test_creatinine_without_weight_says_why(kb):
    findings = check(kb, [METFORMIN], patient(weight_kg=None, creatinine_umol_l=lab(120)))
    (finding,) = of_kind(findings, FindingKind.RENAL_FUNCTION)
    assert "no weight" in finding.message
    assert "无体重" in finding.message_zh


def test_gabapentin_ceiling_by_creatinine_clearance(kb):
    facts = patient(creatinine_umol_l=lab(120))  # 51.5 mL/min: 30–59 band, 1400 mg a day
    over = of_kind(
        check(kb, [item("gabapentin-300mg-cap", "600", "TID")], facts), FindingKind.RENAL_FUNCTION
    )
    assert [f.rule_id for f in over] == ["renal-gabapentin-30-60"]
    assert "Cockcroft–Gault" in over[0].message
    within = check(kb, [item("gabapentin-300mg-cap", "300", "TID")], facts)
    assert of_kind(within, FindingKind.RENAL_FUNCTION) == []


def test_drug_without_renal_rules_needs_no_kidney_value(kb):
    findings = check(kb, [item("amlodipine-5mg-tab", "5")], patient())
    assert of_kind(findings, FindingKind.RENAL_FUNCTION) == []


# --- liver -------------------------------------------------------------------------------------


def test_severe_hepatic_impairment_contraindicates_a_statin(kb):
    atorvastatin = item("atorvastatin-20mg-tab", "20")
    findings = of_kind(
        check(kb, [atorvastatin], patient(hepatic_impairment="severe")),
        FindingKind.HEPATIC_FUNCTION,
    )
    assert [(f.rule_id, f.severity) for f in findings] == [
        ("hep-statin-severe", Severity.CONTRAINDICATED)
    ]
    assert "Child–Pugh C" in findings[0].message
    assert "重度肝功能不全" in findings[0].message_zh
    assert findings[0].management_zh
    for grade in ("", "none", "mild"):
        findings = check(kb, [atorvastatin], patient(hepatic_impairment=grade))
        assert of_kind(findings, FindingKind.HEPATIC_FUNCTION) == []


def test_the_rule_of_the_highest_class_reached_applies(kb):
    paracetamol = item("paracetamol-500mg-tab", "500", "TID")
    mild = of_kind(
        check(kb, [paracetamol], patient(hepatic_impairment="mild")), FindingKind.HEPATIC_FUNCTION
    )
    severe = of_kind(
        check(kb, [paracetamol], patient(hepatic_impairment="severe")),
        FindingKind.HEPATIC_FUNCTION,
    )
    assert [(f.rule_id, f.severity) for f in mild] == [("hep-paracetamol-mild", Severity.MODERATE)]
    assert [(f.rule_id, f.severity) for f in severe] == [("hep-paracetamol-severe", Severity.MAJOR)]


# --- QT ----------------------------------------------------------------------------------------

AZITHROMYCIN = item("azithromycin-250mg-tab", "500")
LEVOFLOXACIN = item("levofloxacin-500mg-tab", "500")


def test_two_known_qt_drugs_are_major(kb):
    findings = of_kind(
        check(kb, [AZITHROMYCIN, LEVOFLOXACIN], patient(egfr=lab(90))),
        FindingKind.QT_PROLONGATION,
    )
    assert [(f.rule_id, f.severity) for f in findings] == [("qt.two_known_risk", Severity.MAJOR)]
    finding = findings[0]
    assert finding.drug_codes == ("azithromycin-250mg-tab", "levofloxacin-500mg-tab")
    assert "QT" in finding.message
    assert "QT间期" in finding.message_zh
    assert finding.management_zh
    assert "CredibleMeds" in finding.source


def test_a_known_qt_drug_already_taken_counts(kb):
    taking = ActiveMedication("citalopram-20mg-tab", (), "", "self_reported")
    findings = check(kb, [AZITHROMYCIN], patient(), active=[taking])
    (finding,) = of_kind(findings, FindingKind.QT_PROLONGATION)
    assert (finding.rule_id, finding.severity) == ("qt.two_known_risk", Severity.MAJOR)


def test_one_known_qt_drug_with_potassium_3_1_is_major(kb):
    findings = of_kind(
        check(kb, [AZITHROMYCIN], patient(potassium_mmol_l=lab("3.1"))),
        FindingKind.QT_PROLONGATION,
    )
    assert [(f.rule_id, f.severity) for f in findings] == [
        ("qt.known_risk_low_potassium", Severity.MAJOR)
    ]
    assert "3.1 mmol/L" in findings[0].message
    assert "血钾偏低" in findings[0].message_zh


@pytest.mark.parametrize("potassium", ["4.2", "3.5"])
def test_one_known_qt_drug_with_normal_potassium_has_no_finding(kb, potassium):
    facts = patient(potassium_mmol_l=lab(potassium))
    assert of_kind(check(kb, [AZITHROMYCIN], facts), FindingKind.QT_PROLONGATION) == []


def test_an_old_low_potassium_is_not_used(kb):
    facts = patient(potassium_mmol_l=lab("3.1", days_ago=200))
    assert of_kind(check(kb, [AZITHROMYCIN], facts), FindingKind.QT_PROLONGATION) == []


# --- the record: readings and hepatic impairment ----------------------------------------------


@pytest.mark.django_db
def test_record_readings_and_hepatic_impairment_reach_decision_support(patient_user):
    person = PatientProfileFactory(account=patient_user, sex="male", birth_date=dt.date(1956, 1, 1))
    now = timezone.now()
    for kind, value in (("weight", "72"), ("creatinine", "120"), ("potassium", "3.1")):
        reading_record(
            actor=patient_user, patient_id=person.pk, kind=kind, value=value, measured_at=now
        )
    response = client_for(patient_user).patch(
        url(person, "clinical-profile/"), {"hepatic_impairment": "moderate"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["hepatic_impairment"] == "moderate"
    assert response.json()["hepatic_impairment_as_of"] == timezone.localdate().isoformat()
    facts = patient_facts(patient=person)
    assert facts.creatinine_umol_l is not None
    assert facts.creatinine_umol_l.value == Decimal(120)
    assert facts.potassium_mmol_l is not None
    assert facts.potassium_mmol_l.value == Decimal("3.1")
    assert facts.hepatic_impairment == "moderate"
    kidney = kidney_function(facts)
    assert kidney is not None
    assert kidney.method == "cockcroft_gault"


@pytest.mark.django_db
def test_bad_hepatic_impairment_is_a_400(patient, patient_client):
    response = patient_client.patch(
        url(patient, "clinical-profile/"), {"hepatic_impairment": "terrible"}, format="json"
    )
    assert response.status_code == 400
    assert "hepatic_impairment" in str(response.json())


@pytest.mark.django_db
def test_implausible_creatinine_is_refused(patient, patient_client):
    response = patient_client.post(
        url(patient, "readings/"), {"kind": "creatinine", "value": "5"}, format="json"
    )
    assert response.status_code == 400
    assert "value" in response.json()["errors"]


# --- fail closed -------------------------------------------------------------------------------


@pytest.fixture
def copied(tmp_path, settings) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_DIR, folder)
    settings.CLINICAL_KNOWLEDGE_DIR = str(folder)
    settings.CLINICAL_KNOWLEDGE_MIN_ROWS = {}
    return folder


@pytest.mark.parametrize("name", ["renal_rules.csv", "hepatic_rules.csv", "qt_risk.csv"])
def test_a_missing_organ_file_fails_closed(copied, name):
    (copied / name).unlink()
    with pytest.raises(KnowledgeUnavailable) as raised:
        get_knowledge()
    assert raised.value.code == "decision_support_unavailable"


@pytest.mark.parametrize(
    ("name", "line", "expected"),
    [
        ("renal_rules.csv", "r-x,metformin,30,,sometimes,,major,a,b,src", "action"),
        ("renal_rules.csv", "r-y,metformin,30,,max_daily_dose,,major,a,b,src", "max_daily_dose"),
        ("renal_rules.csv", "r-z,metformin,abc,,avoid,,major,a,b,src", "below"),
        ("renal_rules.csv", "r-w,metformin,30,,avoid,,major,advice only,,src", "advice_zh"),
        ("hepatic_rules.csv", "h-x,metformin,terrible,major,a,b,src", "from_impairment"),
        ("qt_risk.csv", "metformin,maybe,src", "risk"),
        ("qt_risk.csv", "amiodarone,known,duplicate", "duplicate"),
    ],
)
def test_a_malformed_organ_file_fails_closed(copied, name, line, expected):
    with (copied / name).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    with pytest.raises(KnowledgeUnavailable, match=expected):
        get_knowledge()


def test_shipped_organ_rules_name_only_formulary_drugs(kb):
    drugs = list(kb.drugs_by_code.values())
    for rule in (*kb.renal_rules, *kb.hepatic_rules, *kb.qt_risks):
        assert any(rule.matches.matches(d.ingredients, d.atc_code) for d in drugs), rule
        assert rule.source


# --- stored with the prescription and shown to the pharmacist ----------------------------------


@pytest.mark.django_db
def test_renal_finding_is_stored_and_shown_on_the_review_page_in_both_languages():
    from django.test import Client

    from tests.accounts.factories import PharmacistUserFactory, activate_totp
    from tests.hospital.prescription_factories import (
        PrescribingConsultationFactory,
        draft,
        item,
        sign,
    )

    consultation = PrescribingConsultationFactory()
    reading_record(
        actor=consultation.patient.account,
        patient_id=consultation.patient.pk,
        kind="egfr",
        value="40",
    )
    rx = draft(
        consultation,
        item("metformin-500mg-tab", dose="1000", frequency="BID", quantity_packs=1),
        diagnosis_codes=["E11.9"],
    )
    stored = rx.findings.get(kind="renal_function")
    assert (stored.severity, stored.rule_id) == ("major", "renal-metformin-30-45")
    assert stored.management_zh
    reasons = {
        f.rule_id: "已告知患者并安排复查肾功能" for f in rx.findings.filter(severity="major")
    }
    rx = sign(rx, override_reasons=reasons)

    pharmacist = PharmacistUserFactory()
    activate_totp(pharmacist)
    web = Client()
    web.force_login(pharmacist)
    en = web.get(f"/pharmacist/review/{rx.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = web.get(f"/pharmacist/review/{rx.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'class="finding severity-major"' in en
    assert "Kidney function" in en
    assert "do not start metformin" in en
    assert "肾功能" in zh
    assert "日剂量不超过1000 mg" in zh


@pytest.mark.django_db
def test_hepatic_impairment_is_set_on_the_record_page(patient_user):
    from django.test import Client
    from django.urls import reverse

    from hospital.records.models import ClinicalProfile

    person = PatientProfileFactory(account=patient_user)
    web = Client()
    web.force_login(patient_user)
    response = web.post(
        reverse("hospital:record-add", kwargs={"patient_id": person.pk, "kind": "hepatic"}),
        {"hepatic-hepatic_impairment": "severe"},
    )
    assert response.status_code == 302
    profile = ClinicalProfile.objects.get(patient=person)
    assert profile.hepatic_impairment == "severe"
    assert profile.hepatic_impairment_as_of == timezone.localdate()
    html = web.get(
        reverse("hospital:record", kwargs={"patient_id": person.pk}),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert "肝功能" in html
    assert "重度（Child–Pugh C级）" in html

"""As-needed limits per drug, combinations checked per component, potentially inappropriate
medicines for older patients, QT pairs from one source, and alert burden: pharmacists'
interventions and the report over the demo prescriptions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hospital.prescriptions.decision_support import knowledge_files
from hospital.prescriptions.decision_support.engine import check_prescription
from hospital.prescriptions.decision_support.facts import (
    FindingKind,
    PatientFacts,
    ProposedItem,
)
from hospital.prescriptions.decision_support.knowledge import (
    Knowledge,
    KnowledgeUnavailable,
    QtRisk,
    Severity,
)
from hospital.prescriptions.decision_support.knowledge_files import get_knowledge

SHIPPED_DIR = Path(knowledge_files.__file__).resolve().parent / "data"

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def kb(settings) -> Knowledge:
    settings.CLINICAL_KNOWLEDGE_DIR = str(SHIPPED_DIR)
    settings.CLINICAL_KNOWLEDGE_MIN_ROWS = {}
    return get_knowledge()


def patient(**fields) -> PatientFacts:
    defaults = {
        "age_years": 45.0,
        "weight_kg": Decimal("70"),
        "sex": "male",
        "pregnant": None,
        "lactating": None,
        "as_of": TODAY,
    }
    return PatientFacts(**{**defaults, **fields})


def line(code, dose, unit="mg", frequency="QD") -> ProposedItem:
    return ProposedItem(code, Decimal(dose), unit, frequency, 5, 1, "oral")


def check(kb, *items, facts=None, active=()):
    return check_prescription(
        patient=facts or patient(), items=items, active_medications=active, knowledge=kb
    )


def rules(findings) -> set[str]:
    return {f.rule_id for f in findings}


def rule(findings, rule_id):
    matching = [f for f in findings if f.rule_id == rule_id]
    assert len(matching) == 1, [f.rule_id for f in findings]
    return matching[0]


# --- as-needed (PRN) administrations per day ---------------------------------------------------


def test_sildenafil_as_needed_counts_once_a_day_not_four_times(kb):
    assert "dose.daily_maximum" not in rules(
        check(kb, line("sildenafil-100mg-tab", "100", frequency="PRN"))
    )
    over = rule(
        check(kb, line("sildenafil-100mg-tab", "150", frequency="PRN")), "dose.daily_maximum"
    )
    assert over.severity is Severity.MAJOR
    assert "PRN counted as up to 1 doses a day" in over.message


def test_a_drug_without_its_own_count_keeps_four_prn_doses(kb):
    # chlorphenamine: 24 mg a day, no label count: PRN 6 mg is 24 mg (at the limit), 8 mg is 32
    assert "dose.daily_maximum" not in rules(
        check(kb, line("chlorphenamine-4mg-tab", "6", frequency="PRN"))
    )
    over = rule(
        check(kb, line("chlorphenamine-4mg-tab", "8", frequency="PRN")), "dose.daily_maximum"
    )
    assert "up to 4 doses a day" in over.message


def test_loratadine_as_needed_is_no_longer_a_false_overdose(kb):
    findings = check(kb, line("loratadine-10mg-tab", "10", frequency="PRN"))
    assert [f for f in findings if f.kind == FindingKind.DOSE_OVER_MAXIMUM] == []


def test_a_fixed_frequency_above_the_labels_count_is_flagged_even_within_the_dose(kb):
    findings = check(kb, line("sildenafil-100mg-tab", "50", frequency="BID"))
    finding = rule(findings, "dose.administrations_per_day")
    assert finding.severity is Severity.MODERATE
    assert "at most 1 a day" in finding.message
    assert "每日最多1次" in finding.message_zh
    assert finding.management_zh
    assert "dose.daily_maximum" not in rules(findings)
    assert "dose.administrations_per_day" not in rules(
        check(kb, line("sildenafil-100mg-tab", "100", frequency="QD"))
    )
    # cetirizine may be given 5 mg twice a day, but not three times
    assert "dose.administrations_per_day" not in rules(
        check(kb, line("cetirizine-10mg-tab", "5", frequency="BID"))
    )
    assert "dose.administrations_per_day" in rules(
        check(kb, line("cetirizine-10mg-tab", "2.5", frequency="TID"))
    )


# --- combinations, component by component ------------------------------------------------------

COTRIM = "sulfamethoxazole-trimethoprim-400-80mg-tab"


@pytest.mark.parametrize(
    ("dose", "unit"),
    [("800", "mg sulfamethoxazole"), ("160", "mg trimethoprim"), ("2", "tablet"), ("2", "片")],
)
def test_co_trimoxazole_at_its_usual_dose_in_any_unambiguous_unit(kb, dose, unit):
    findings = check(kb, line(COTRIM, dose, unit, "BID"))
    assert [f for f in findings if f.kind == FindingKind.DOSE_OVER_MAXIMUM] == []


def test_co_trimoxazole_over_the_dose_names_each_component_over_its_own_limit(kb):
    findings = check(kb, line(COTRIM, "1200", "mg sulfamethoxazole", "BID"))
    smx = rule(findings, "dose.component_maximum:sulfamethoxazole")
    tmp = rule(findings, "dose.component_maximum:trimethoprim")
    assert "2400 mg a day" in smx.message
    assert "1600 mg" in smx.message
    assert "480" in tmp.message
    assert "320 mg" in tmp.message
    assert "甲氧苄啶" in tmp.message_zh
    assert tmp.source.startswith("NMPA-approved package insert")
    assert "dose.daily_maximum" in rules(findings)  # 6 tablets, over the 4 a day


def test_a_plain_mg_dose_of_a_combination_says_no_component(kb):
    finding = rule(check(kb, line(COTRIM, "800", "mg", "BID")), "dose.component_unspecified")
    assert finding.severity is Severity.MAJOR
    assert "mg sulfamethoxazole" in finding.management
    assert "mg trimethoprim" in finding.management_zh


def test_co_amoxiclav_is_limited_by_its_clavulanate(kb):
    findings = check(kb, line("amoxicillin-clavulanate-625mg-tab", "1000", "mg amoxicillin", "TID"))
    assert "dose.component_maximum:clavulanic acid" in rules(findings)
    # 3000 mg of amoxicillin is exactly its own maximum: not over it
    assert "dose.component_maximum:amoxicillin" not in rules(findings)
    within = check(kb, line("amoxicillin-clavulanate-625mg-tab", "1", "tablet", "TID"))
    assert "dose.component_maximum:clavulanic acid" not in rules(within)


def test_paracetamol_is_added_across_a_cold_remedy_and_paracetamol_tablets(kb):
    cold_remedy = line("paracetamol-amantadine-compound-tab", "1", "tablet", "BID")
    assert "dose.component_maximum:paracetamol" not in rules(
        check(kb, cold_remedy, line("paracetamol-500mg-tab", "875", frequency="QID"))
    )  # 500 + 3500 = 4000 mg: at the limit
    finding = rule(
        check(kb, cold_remedy, line("paracetamol-500mg-tab", "1000", frequency="QID")),
        "dose.component_maximum:paracetamol",
    )
    assert "4500 mg a day" in finding.message
    assert finding.drug_codes == ("paracetamol-500mg-tab", "paracetamol-amantadine-compound-tab")


def test_shipped_components_belong_to_formulary_combinations(kb):
    for code, components in kb.components.items():
        drug = kb.drug(code)
        assert drug is not None
        assert len(drug.ingredients) > 1
        for component in components:
            assert component.ingredient in drug.ingredients
            assert component.source
            # the unit a prescriber writes fits the prescription item's column
            assert len(f"{component.unit} {component.ingredient}") <= 40


@pytest.fixture
def copied(tmp_path, settings) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_DIR, folder)
    settings.CLINICAL_KNOWLEDGE_DIR = str(folder)
    settings.CLINICAL_KNOWLEDGE_MIN_ROWS = {}
    return folder


@pytest.mark.parametrize(
    ("name", "line_text", "expected"),
    [
        (
            "combination_components.csv",
            "no-such-drug,paracetamol,对乙酰氨基酚,250,mg,,src",
            "not in the formulary",
        ),
        (
            "combination_components.csv",
            f"{COTRIM},paracetamol,对乙酰氨基酚,250,mg,,src",
            "not an ingredient",
        ),
        (
            "combination_components.csv",
            f"{COTRIM},trimethoprim,甲氧苄啶,80,mg,320,src",
            "duplicate component",
        ),
        ("combination_components.csv", f"{COTRIM},trimethoprim,甲氧苄啶,,mg,320,src", "amount"),
        ("elderly_pim.csv", "pim-x,warfarin,,sometimes,r,r,a,a,src", "severity"),
        ("elderly_pim.csv", "pim-y,warfarin,I-50,major,r,r,a,a,src", "only_with_conditions"),
        ("elderly_pim.csv", "pim-z,warfarin,,major,r,,a,a,src", "reason_zh"),
        ("elderly_pim.csv", "pim-digoxin,warfarin,,major,r,r,a,a,src", "duplicate"),
        ("formulary.csv", None, "max_administrations_per_day"),
    ],
)
def test_a_malformed_new_file_fails_closed(copied, name, line_text, expected):
    path = copied / name
    if line_text is None:
        text = path.read_text(encoding="utf-8").replace(
            "Not indicated for women.,1\n", "Not indicated for women.,1.5\n", 1
        )
        path.write_text(text, encoding="utf-8")
    else:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line_text + "\n")
    with pytest.raises(KnowledgeUnavailable, match=expected):
        get_knowledge()


def test_missing_elderly_file_fails_closed(copied):
    (copied / "elderly_pim.csv").unlink()
    with pytest.raises(KnowledgeUnavailable, match=r"elderly_pim\.csv"):
        get_knowledge()


# --- older patients ----------------------------------------------------------------------------


def test_first_generation_antihistamine_from_65(kb):
    at_65 = rule(
        check(
            kb, line("chlorphenamine-4mg-tab", "4", frequency="TID"), facts=patient(age_years=65.0)
        ),
        "pim-first-generation-antihistamine",
    )
    assert at_65.kind is FindingKind.ELDERLY
    assert at_65.severity is Severity.MAJOR
    assert "Beers Criteria 2023" in at_65.source
    assert "潜在不适当用药" in at_65.message_zh
    assert "第二代抗组胺药" in at_65.management_zh
    assert "second-generation" in at_65.management
    younger = check(
        kb, line("chlorphenamine-4mg-tab", "4", frequency="TID"), facts=patient(age_years=64.9)
    )
    assert [f for f in younger if f.kind == FindingKind.ELDERLY] == []


def test_the_list_covers_chlorphenamine_inside_a_cold_remedy(kb):
    findings = check(
        kb,
        line("paracetamol-amantadine-compound-tab", "1", "tablet", "BID"),
        facts=patient(age_years=78.0),
    )
    assert "pim-first-generation-antihistamine" in rules(findings)


def test_a_drug_disease_rule_applies_only_with_the_disease_on_record(kb):
    pioglitazone = line("pioglitazone-15mg-tab", "15")
    without = check(kb, pioglitazone, facts=patient(age_years=72.0, conditions=("E11.9",)))
    assert "pim-pioglitazone-heart-failure" not in rules(without)
    with_hf = check(kb, pioglitazone, facts=patient(age_years=72.0, conditions=("E11.9", "I50.9")))
    assert rule(with_hf, "pim-pioglitazone-heart-failure").severity is Severity.MAJOR
    # the formulary's own note is not repeated beside the list's finding
    assert "age.elderly" not in rules(with_hf)


def test_the_worst_applicable_rule_is_the_one_reported(kb):
    ibuprofen = line("ibuprofen-300mg-srcap", "300", frequency="BID")
    general = check(kb, ibuprofen, facts=patient(age_years=70.0))
    assert rule(general, "pim-nsaid-chronic").severity is Severity.MODERATE
    heart_failure = check(kb, ibuprofen, facts=patient(age_years=70.0, conditions=("I50.0",)))
    elderly = [f for f in heart_failure if f.kind == FindingKind.ELDERLY]
    assert [f.rule_id for f in elderly] == ["pim-nsaid-heart-failure"]


def test_a_formulary_dosing_note_for_older_adults_is_minor(kb):
    findings = check(kb, line("amlodipine-5mg-tab", "5"), facts=patient(age_years=80.0))
    assert rule(findings, "age.elderly").severity is Severity.MINOR


def test_the_chinese_criteria_add_what_beers_does_not_list(kb):
    findings = check(
        kb, line("theophylline-100mg-srtab", "100", frequency="BID"), facts=patient(age_years=70.0)
    )
    finding = rule(findings, "pim-theophylline")
    assert "中国老年人潜在不适当用药判断标准" in finding.source


def test_every_elderly_rule_names_a_formulary_drug_and_its_source(kb):
    drugs = list(kb.drugs_by_code.values())
    assert len(kb.elderly_rules) >= 30
    for elderly_rule in kb.elderly_rules:
        assert any(elderly_rule.matches.matches(d.ingredients, d.atc_code) for d in drugs), (
            elderly_rule
        )
        assert elderly_rule.source
        assert elderly_rule.reason_zh
        assert elderly_rule.advice_zh
        if elderly_rule.severity is Severity.MAJOR:
            # major only where the reference says to avoid
            assert "avoid" in elderly_rule.source.lower() or elderly_rule.only_with_conditions


# --- QT pairs from one source; severities --------------------------------------------------------


@pytest.mark.parametrize("other", ["haloperidol-2mg-tab", "moxifloxacin-400mg-tab"])
def test_two_known_qt_drugs_are_one_finding_from_the_qt_list(kb, other):
    findings = check(kb, line("amiodarone-200mg-tab", "200"), line(other, "2"))
    qt = [f for f in findings if f.kind == FindingKind.QT_PROLONGATION]
    assert [f.rule_id for f in qt] == ["qt.two_known_risk"]
    assert [f for f in findings if f.kind == FindingKind.INTERACTION] == []


def test_a_qt_pair_with_a_further_mechanism_is_reported_once_by_its_interaction_rule(kb):
    findings = check(
        kb,
        line("amiodarone-200mg-tab", "200"),
        line("clarithromycin-250mg-tab", "250", frequency="BID"),
    )
    assert "ddi-089" in rules(findings)
    assert "qt.two_known_risk" not in rules(findings)


def test_a_milder_interaction_does_not_hide_the_qt_finding(kb):
    findings = check(kb, line("ondansetron-8mg-tab", "8"), line("citalopram-20mg-tab", "20"))
    assert rule(findings, "qt.two_known_risk").severity is Severity.MAJOR
    serotonergic = rule(findings, "ddi-098")
    assert serotonergic.severity is Severity.MODERATE
    assert "serotonergic" in serotonergic.message


def test_interactions_file_holds_no_purely_additive_qt_pair_of_known_risk_drugs(kb):
    known = [e.matches for e in kb.qt_risks if e.risk is QtRisk.KNOWN]
    drugs = list(kb.drugs_by_code.values())

    def known_risk(matcher) -> bool:
        covered = [d for d in drugs if matcher.matches(d.ingredients, d.atc_code)]
        return bool(covered) and all(
            any(k.matches(d.ingredients, d.atc_code) for k in known) for d in covered
        )

    with (SHIPPED_DIR / "interactions.csv").open(encoding="utf-8") as handle:
        mechanisms = {row["id"]: row["mechanism"].strip() for row in csv.DictReader(handle)}
    for interaction in kb.interactions:
        if known_risk(interaction.side_a) and known_risk(interaction.side_b):
            assert mechanisms[interaction.id] != "Additive QT prolongation.", interaction.id


def test_a_statin_dose_cap_is_moderate_and_close_monitoring_stays_major(kb):
    capped = check(kb, line("simvastatin-20mg-tab", "20"), line("amiodarone-200mg-tab", "200"))
    assert rule(capped, "ddi-048").severity is Severity.MODERATE
    watched = check(kb, line("enalapril-10mg-tab", "10"), line("spironolactone-20mg-tab", "20"))
    assert rule(watched, "ddi-107").severity is Severity.MAJOR


# --- the prescribing service refuses an ambiguous unit -------------------------------------------


@pytest.mark.django_db
def test_the_prescribing_api_refuses_a_combination_dose_in_plain_mg():
    from tests.hospital.consultation_factories import api_client_for
    from tests.hospital.prescription_factories import (
        PrescribingConsultationFactory,
        item_payload,
        load_formulary,
    )

    load_formulary()
    consultation = PrescribingConsultationFactory(diagnoses=["N39.0"])
    client = api_client_for(consultation.doctor.user)
    url = f"/api/v1/consultations/{consultation.pk}/prescriptions/"
    payload = {
        "diagnosis_codes": ["N39.0"],
        "items": [
            item_payload(
                drug_code=COTRIM, dose="800", dose_unit="mg", frequency="BID", duration_days=3
            )
        ],
    }
    refused = client.post(url, payload, format="json")
    assert refused.status_code == 400, refused.content
    body = refused.json()
    assert body["code"] == "dose_unit_ambiguous"
    assert "items[0].dose_unit" in body["errors"]
    assert consultation.prescriptions.count() == 0
    payload["items"][0]["dose_unit"] = "mg sulfamethoxazole"
    # 2 tablets twice a day for 3 days fit in one pack of 100: five packs are refused
    payload["items"][0]["quantity_packs"] = 5
    too_many = client.post(url, payload, format="json")
    assert too_many.status_code == 400, too_many.content
    assert "items[0].quantity_packs" in too_many.json()["errors"]
    payload["items"][0]["quantity_packs"] = 1
    created = client.post(url, payload, format="json")
    assert created.status_code == 201, created.content
    stored = consultation.prescriptions.get().items.get()
    assert stored.dose_unit == "mg sulfamethoxazole"


@pytest.mark.django_db
def test_the_prescribing_form_suggests_component_units():
    from tests.accounts.factories import activate_totp
    from tests.hospital.prescription_factories import PrescribingConsultationFactory, load_formulary

    load_formulary()
    consultation = PrescribingConsultationFactory()
    activate_totp(consultation.doctor.user)
    web = Client()
    web.force_login(consultation.doctor.user)
    html = web.get(
        reverse("hospital:prescription-new", kwargs={"pk": consultation.pk}),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert '<option value="mg sulfamethoxazole">' in html
    assert "a plain “mg” does not say of which" in html


# --- pharmacists' interventions ------------------------------------------------------------------


def _pharmacist():
    from tests.accounts.factories import PharmacistUserFactory, activate_totp

    pharmacist = PharmacistUserFactory()
    activate_totp(pharmacist)  # staff without a second factor are sent to set one up
    return pharmacist


def _pending_with_finding():
    from tests.hospital.prescription_factories import draft, item, sign

    rx = draft(
        None,
        item("enalapril-10mg-tab", dose="10"),
        item("spironolactone-20mg-tab", dose="20"),
    )
    rx = sign(
        rx,
        override_reasons={
            f.rule_id: "心衰，每周查血钾" for f in rx.findings.filter(severity="major")
        },
    )
    return rx, rx.findings.get(rule_id="ddi-107")


@pytest.mark.django_db
def test_pharmacist_records_an_answer_to_a_finding_through_the_api():
    from hospital.prescriptions.models import FindingIntervention
    from tests.hospital.consultation_factories import api_client_for

    rx, finding = _pending_with_finding()
    pharmacist = _pharmacist()
    client = api_client_for(pharmacist)
    url = f"/api/v1/prescriptions/{rx.pk}/findings/{finding.pk}/intervention/"

    response = client.post(
        url, {"outcome": "changed", "note": "已与医生确认：1周后复查血钾"}, format="json"
    )
    assert response.status_code == 200, response.content
    answered = next(f for f in response.json()["findings"] if f["id"] == finding.pk)
    assert answered["intervention"]["outcome"] == "changed"
    assert answered["management_zh"]
    again = client.post(
        url, {"outcome": "changed", "note": "已与医生确认：1周后复查血钾"}, format="json"
    )
    assert again.status_code == 200
    stored = FindingIntervention.objects.get()
    assert (stored.rule_id, stored.severity, stored.pharmacist) == (
        "ddi-107",
        "major",
        pharmacist,
    )
    assert rx.events.filter(kind="intervention").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"outcome": "ignored"}, "outcome"),
        ({"outcome": "rejected"}, "note"),  # setting a warning aside needs the reason
        ({"outcome": "accepted", "note": "x" * 1001}, "note"),
    ],
)
def test_a_bad_answer_is_a_field_error_and_changes_nothing(payload, field):
    from hospital.prescriptions.models import FindingIntervention
    from tests.hospital.consultation_factories import api_client_for

    rx, finding = _pending_with_finding()
    client = api_client_for(_pharmacist())
    response = client.post(
        f"/api/v1/prescriptions/{rx.pk}/findings/{finding.pk}/intervention/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in str(response.json())
    assert not FindingIntervention.objects.exists()


@pytest.mark.django_db
def test_another_prescriptions_finding_is_not_found_and_a_doctor_may_not_answer():
    from hospital.prescriptions.models import FindingIntervention
    from tests.accounts.factories import activate_totp
    from tests.hospital.consultation_factories import api_client_for

    rx, finding = _pending_with_finding()
    _other, other_finding = _pending_with_finding()
    pharmacist_client = api_client_for(_pharmacist())
    response = pharmacist_client.post(
        f"/api/v1/prescriptions/{rx.pk}/findings/{other_finding.pk}/intervention/",
        {"outcome": "accepted"},
        format="json",
    )
    assert response.status_code == 404
    activate_totp(rx.doctor.user)
    doctor = api_client_for(rx.doctor.user).post(
        f"/api/v1/prescriptions/{rx.pk}/findings/{finding.pk}/intervention/",
        {"outcome": "accepted"},
        format="json",
    )
    assert doctor.status_code == 403
    assert not FindingIntervention.objects.exists()


@pytest.mark.django_db
def test_the_review_page_shows_elderly_advice_and_takes_the_answer_in_both_languages():
    from hospital.prescriptions.models import FindingIntervention
    from tests.hospital.prescription_factories import (
        PrescribingConsultationFactory,
        draft,
        item,
        sign,
    )

    consultation = PrescribingConsultationFactory(diagnoses=["J30.4"])
    patient_profile = consultation.patient
    today = timezone.localdate()
    patient_profile.birth_date = today.replace(year=today.year - 75)
    patient_profile.save(update_fields=["birth_date"])
    rx = draft(
        consultation,
        item("chlorphenamine-4mg-tab", dose="4", frequency="TID"),
        diagnosis_codes=["J30.4"],
    )
    finding = rx.findings.get(rule_id="pim-first-generation-antihistamine")
    rx = sign(rx, override_reasons={finding.rule_id: "患者长期使用，已告知嗜睡风险"})
    finding = rx.findings.get(rule_id="pim-first-generation-antihistamine")

    web = Client()
    web.force_login(_pharmacist())
    en = web.get(f"/pharmacist/review/{rx.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = web.get(f"/pharmacist/review/{rx.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "second-generation antihistamine" in en
    assert "Beers Criteria 2023" in en
    assert "改用第二代抗组胺药" in zh
    assert "潜在不适当用药" in zh
    assert "Rejected: the warning does not apply to this patient" in en
    assert "驳回" in zh or "不适用" in zh

    response = web.post(
        f"/pharmacist/review/{rx.pk}/findings/{finding.pk}/intervention/",
        {"outcome": "rejected", "note": "过敏性鼻炎，仅短期夜间使用"},
    )
    assert response.status_code == 302
    assert FindingIntervention.objects.get().outcome == "rejected"
    page = web.get(f"/pharmacist/review/{rx.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "过敏性鼻炎，仅短期夜间使用" in page


# --- the report ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_report_counts_major_findings_override_and_intervention_rates():
    from hospital.prescriptions.alert_burden import alert_burden_report
    from hospital.prescriptions.services.interventions import finding_intervention_record
    from tests.accounts.factories import PharmacistUserFactory
    from tests.hospital.prescription_factories import draft, item

    rx, finding = _pending_with_finding()  # ddi-107 major, kept with a reason
    draft(None, item("amlodipine-5mg-tab", dose="5"))  # nothing major
    finding_intervention_record(
        pharmacist=PharmacistUserFactory(),
        prescription_id=rx.pk,
        finding_id=finding.pk,
        outcome="accepted",
    )
    report = alert_burden_report()
    assert report.prescriptions == 2
    assert report.with_major == 1
    assert report.major_share == 0.5
    counts = {rule_id: count for rule_id, count, _severity in report.rule_counts}
    assert counts["ddi-107"] == 1
    answers = {a.rule_id: a for a in report.answers}
    assert (answers["ddi-107"].signed, answers["ddi-107"].overridden) == (1, 1)
    assert answers["ddi-107"].override_rate == 1.0
    assert answers["ddi-107"].interventions == {"accepted": 1}


@pytest.mark.django_db
def test_report_command_runs_on_the_demo_data():
    from accounts.demo import seed_demo_data as seed_accounts
    from hospital.demo import seed_demo_data as seed_hospital
    from hospital.prescriptions.models import FindingIntervention, Prescription

    seed_accounts(stdout=io.StringIO())
    seed_hospital(stdout=io.StringIO())
    assert Prescription.objects.count() >= 5
    assert FindingIntervention.objects.exists()
    out = io.StringIO()
    call_command("decision_support_report", "--top", "5", stdout=out)
    text = out.getvalue()
    assert f"Prescriptions checked: {Prescription.objects.exclude(status='void').count()}" in text
    assert "With at least one major finding:" in text
    assert "Most frequent rules (top 5)" in text
    assert "Answers per rule" in text
    assert "ddi-107" in text


@pytest.mark.django_db
def test_report_command_refuses_when_the_knowledge_is_missing(settings, tmp_path):
    from django.core.management.base import CommandError

    settings.CLINICAL_KNOWLEDGE_DIR = str(tmp_path)
    with pytest.raises(CommandError, match="Decision support cannot run"):
        call_command("decision_support_report", stdout=io.StringIO())

"""Social settlement through the medical-insurance centre's interface, with the built-in
simulator as the centre: its split in the interface's fields, unconfirmed successes, 2601, 对码
and the 7101 upload of an approved prescription."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from hospital.prescriptions.services.review import prescription_approve
from insurance import demo
from insurance.adjudication import ClaimLine, ItemCategory, adjudicate_social
from insurance.gateway import FeeLine, SettleRequest, get_gateway
from insurance.gateway.simulator import Simulator
from insurance.models import (
    CentreSettlement,
    DrugCodeMapping,
    Plan,
    Policy,
    PrescriptionUpload,
    Settlement,
)
from insurance.services import (
    settlement_confirm,
    settlement_reverse,
    settlements_refresh_pending,
)
from insurance.services.coverage import coverage_for
from tests.accounts.factories import OperatorUserFactory, PharmacistUserFactory, activate_totp
from tests.hospital.review_factories import PrescriptionFactory
from tests.insurance.factories import national_code_mapped
from tests.insurance.test_settlement import DAY, insured_patient, quote, year_of

pytestmark = pytest.mark.django_db


def test_the_default_gateway_is_the_simulator():
    assert isinstance(get_gateway(), Simulator)


def test_the_centres_split_adds_up_and_is_the_engines():
    patient, social = insured_patient(deductible_met=100_000, commercial=False)
    national_code_mapped("amlodipine", "metformin")
    lines = (
        FeeLine("1", DAY, "XAMLODIPINE", "amlodipine", ItemCategory.DRUG_JIA.value, 60_000),
        FeeLine("2", DAY, "XMETFORMIN", "metformin", ItemCategory.DRUG_YI.value, 40_000),
        FeeLine("3", DAY, "", "vitamin-c", ItemCategory.DRUG_BING.value, 5_000),
    )
    answer = Simulator().pre_settle(SettleRequest(social.member_number, "order:9", "", lines))
    assert answer.medfee_sumamt == 105_000
    assert answer.hifp_pay + answer.acct_pay + answer.psn_cash_pay == answer.medfee_sumamt
    for detail in answer.details:
        assert detail.hifp_pay + detail.acct_pay + detail.psn_cash_pay == (
            detail.det_item_fee_sumamt
        )
    coverage = coverage_for(patient_id=patient.pk, on=DAY, provider_level="")
    engine = adjudicate_social(
        coverage.social_rules,
        coverage.social_year,
        [
            ClaimLine("1", DAY, ItemCategory.DRUG_JIA, "XAMLODIPINE", 60_000),
            ClaimLine("2", DAY, ItemCategory.DRUG_YI, "XMETFORMIN", 40_000),
            ClaimLine("3", DAY, ItemCategory.DRUG_UNLISTED, "vitamin-c", 5_000),
        ],
    )
    assert answer.hifp_pay == engine.total("pool")
    assert answer.acct_pay == engine.total("account")
    assert answer.act_pay_dedc == engine.total("deductible")
    assert answer.preselfpay_amt == engine.total("preselfpay") > 0
    assert answer.fulamt_ownpay_amt == 5_000
    assert answer.balc == engine.social_year.account_balance


@pytest.mark.parametrize(
    ("chain", "undone_as"),
    [
        ("mobile", CentreSettlement.Status.REFUNDED),  # 6201 → 6202, refund 6203
        ("counter", CentreSettlement.Status.REVERSED),  # 2206 → 2207, reversal 2601
    ],
)
def test_confirmation_settles_at_the_centre_and_a_refund_undoes_it_on_the_same_chain(
    settings, chain, undone_as
):
    settings.INSURANCE_SETTLEMENT_CHAIN = chain
    patient, social = insured_patient(deductible_met=180_000)
    national_code_mapped("amlodipine")
    quoted = quote(patient)
    assert quoted.pay_ord_id.startswith("PAYORD") if chain == "mobile" else not quoted.pay_ord_id
    settings.INSURANCE_SETTLEMENT_CHAIN = "counter" if chain == "mobile" else "mobile"
    settlement = settlement_confirm(settlement_id=quoted.pk)  # on the chain it was quoted on
    assert settlement.status == Settlement.Status.CONFIRMED
    centre = CentreSettlement.objects.get(setl_id=settlement.setl_id)
    assert centre.status == CentreSettlement.Status.SETTLED
    assert centre.hifp_pay == settlement.social_pool_fen == 42_000
    # The centre reconciles by its local day (Asia/Shanghai), not by the UTC date.
    day = timezone.localdate(centre.setl_time)
    assert get_gateway().daily_reconciliation(day=day).hifp_pay == 42_000

    settlement_reverse(settlement_id=settlement.pk, reason="refund")
    centre.refresh_from_db()
    assert centre.status == undone_as
    assert year_of(social).pool_paid_fen == 0
    assert get_gateway().query(setl_id=settlement.setl_id).settled is False


def test_an_unconfirmed_success_stays_pending_until_the_query_then_moves_once(settings):
    patient, social = insured_patient(deductible_met=180_000)
    national_code_mapped("amlodipine")
    settings.INSURANCE_GATEWAY_SIMULATE_UNCONFIRMED = True
    settlement = settlement_confirm(settlement_id=quote(patient).pk)
    assert settlement.status == Settlement.Status.PENDING
    assert settlement.setl_id
    assert year_of(social).pool_paid_fen == 0
    patient_client = Client()
    patient_client.force_login(patient.account)
    page = patient_client.get(f"/insurance/settlements/{settlement.pk}/").content.decode()
    assert 'data-testid="awaiting-centre"' in page
    assert settlement.setl_id in page
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000

    assert settlements_refresh_pending() == 1
    settlement.refresh_from_db()
    assert settlement.status == Settlement.Status.CONFIRMED
    assert year_of(social).pool_paid_fen == 42_000
    assert settlements_refresh_pending() == 0
    page = patient_client.get(f"/insurance/settlements/{settlement.pk}/").content.decode()
    assert 'data-testid="awaiting-centre"' not in page
    assert settlement_confirm(settlement_id=settlement.pk).status == Settlement.Status.CONFIRMED
    assert year_of(social).pool_paid_fen == 42_000
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000 - 18_000


def test_a_drug_without_a_national_code_is_self_paid():
    patient, _social = insured_patient(deductible_met=180_000, commercial=False)
    lines = [ClaimLine("1", DAY, ItemCategory.DRUG_JIA, "losartan", 60_000)]
    settlement = quote(patient, lines=lines)
    line = settlement.lines.get(ref="1")
    assert line.pool_fen == 0
    assert line.ownpay_full_fen == line.billed_fen == 60_000
    assert ["no_drug_code", 60_000] in line.reasons

    national_code_mapped("losartan")
    covered = quote(patient, lines=lines).lines.get(ref="1")
    assert covered.pool_fen == 42_000


def test_the_mapping_admin_lists_and_searches():
    national_code_mapped("amlodipine", "metformin")
    operator = OperatorUserFactory()
    activate_totp(operator)
    client = Client()
    client.force_login(operator)
    page = client.get("/admin/insurance/drugcodemapping/?q=metformin", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "XMETFORMIN" in page.content.decode()
    assert "XAMLODIPINE" not in page.content.decode()


def test_the_demo_maps_the_demo_shops_drugs():
    import io

    demo.seed_demo_data(stdout=io.StringIO())
    assert DrugCodeMapping.objects.filter(item_code="metformin-500mg-tab").exists()


def test_approval_uploads_the_prescription_with_both_signatures(
    django_capture_on_commit_callbacks,
):
    demo.seed_demo_data(stdout=__import__("io").StringIO())
    rx = PrescriptionFactory()
    drug_codes = [item.drug.code for item in rx.items.order_by("position", "id")]
    assert drug_codes
    national_code_mapped(*drug_codes)
    Policy.objects.create(
        patient=rx.patient,
        plan=Plan.objects.get(code=demo.EMPLOYEE_PLAN),
        member_number=f"S{rx.patient.pk}",
        starts_on=dt.date(2023, 1, 1),
    )
    pharmacist = PharmacistUserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        prescription_approve(pharmacist=pharmacist, prescription_id=rx.pk)
    upload = PrescriptionUpload.objects.get(reference=f"prescription:{rx.pk}")
    assert upload.hi_rxno
    assert upload.payload["doctor_signature"] == rx.signature
    assert len(upload.payload["pharmacist_signature"]) == 64
    # Each drug goes to the centre under the national code its formulary entry is mapped to.
    assert [line["med_list_codg"] for line in upload.payload["lines"]] == [
        f"X{code.upper()[:10]}" for code in drug_codes
    ]
    assert get_gateway().prescription_results(hosp_rxno=upload.reference).hi_rxno == (
        upload.hi_rxno
    )
    # The patient's prescription page says it went to the centre, with the centre's number.
    patient_client = Client()
    patient_client.force_login(rx.patient.account)
    page = patient_client.get(f"/prescriptions/{rx.pk}/").content.decode()
    assert 'data-testid="circulation"' in page
    assert upload.hi_rxno in page


def test_a_pending_settlement_reversed_is_cancelled_at_the_centre_and_moves_nothing(settings):
    patient, social = insured_patient(deductible_met=180_000)
    national_code_mapped("amlodipine")
    settings.INSURANCE_GATEWAY_SIMULATE_UNCONFIRMED = True
    settlement = settlement_confirm(settlement_id=quote(patient).pk)
    settlement_reverse(settlement_id=settlement.pk, reason="cancelled order")
    settlement.refresh_from_db()
    assert settlement.status == Settlement.Status.REVERSED
    assert get_gateway().query(setl_id=settlement.setl_id).status == "cancelled"
    assert settlements_refresh_pending() == 0
    assert year_of(social).pool_paid_fen == 0
    social.refresh_from_db()
    assert social.account_balance_fen == 50_000

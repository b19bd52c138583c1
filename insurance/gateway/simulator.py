"""The built-in simulator of the medical-insurance centre, the default gateway.

It acts as the centre: it applies the social scheme's rules with the engine (the plan's
version in force, the year's accumulators, the personal account), keeps its own ledger of
settlements (CentreSettlement), so cancel, reversal, query and the day's totals answer from the
centre's side, and, when INSURANCE_GATEWAY_SIMULATE_UNCONFIRMED is set (tests, demo), answers
2207 with a "success" that is not confirmed until a query.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from core.exceptions import DomainError
from insurance.adjudication import (
    LISTED_DRUG_CATEGORIES,
    Adjudication,
    ClaimLine,
    ItemCategory,
    Reason,
    ReasonCode,
    adjudicate_social,
)
from insurance.gateway import (
    DailyTotals,
    InsuredPerson,
    LineDetail,
    PrescriptionResult,
    PrescriptionUploadRequest,
    QueryAnswer,
    SettleAnswer,
    SettleRequest,
)
from insurance.models import CentreSettlement, Policy, PrescriptionUpload
from insurance.services.coverage import coverage_for


def _insured(psn_no: str) -> Policy:
    policy = (
        Policy.objects.filter(member_number=psn_no, plan__scheme__in=_social_schemes())
        .select_related("plan")
        .order_by("-starts_on")
        .first()
    )
    if policy is None:
        raise DomainError("The insured person is unknown to the centre.", field="psn_no")
    return policy


def _social_schemes() -> list[str]:
    from insurance.models import Plan

    return [value for value in Plan.Scheme.values if value != "commercial"]


def _adjudicate(request: SettleRequest, *, lock: bool) -> Adjudication:
    if not request.fee_lines:
        raise DomainError("Nothing to settle.", field="fee_lines")
    policy = _insured(request.psn_no)
    on = min(line.fee_ocur_time for line in request.fee_lines)
    coverage = coverage_for(
        patient_id=policy.patient_id,
        on=on,
        provider_level=request.provider_level,
        policies=(policy, None),
        lock=lock,
    )
    unknown = {
        line.feedetl_sn
        for line in request.fee_lines
        if ItemCategory(line.category) in LISTED_DRUG_CATEGORIES and not line.med_list_codg
    }
    lines = [
        ClaimLine(
            ref=line.feedetl_sn,
            service_date=line.fee_ocur_time,
            # A drug the centre has no national code for is outside its catalogue: self-paid.
            category=(
                ItemCategory.DRUG_UNLISTED
                if line.feedetl_sn in unknown
                else ItemCategory(line.category)
            ),
            code=line.med_list_codg or line.medins_list_codg,
            billed=line.det_item_fee_sumamt,
            diagnoses=line.diagnoses,
        )
        for line in request.fee_lines
    ]
    if coverage.social_rules is None or coverage.social_year is None:
        raise DomainError("The insured person has no scheme in force.", field="psn_no")
    result = adjudicate_social(coverage.social_rules, coverage.social_year, lines)
    splits = []
    for split in result.lines:
        if split.ref in unknown:
            reasons = tuple(
                Reason(ReasonCode.NO_DRUG_CODE, r.amount) if r.code == ReasonCode.NOT_LISTED else r
                for r in split.reasons
            )
            split = replace(split, reasons=reasons)
        splits.append(split)
    return replace(result, lines=tuple(splits))


def _answer(result: Adjudication, *, setl_id: str = "", confirmed: bool = True) -> SettleAnswer:
    chronic = {
        s.ref for s in result.lines if any(r.code == ReasonCode.CHRONIC_DISEASE for r in s.reasons)
    }
    details = tuple(
        LineDetail(
            feedetl_sn=s.ref,
            det_item_fee_sumamt=s.billed,
            fulamt_ownpay_amt=s.ownpay_full,
            preselfpay_amt=s.preselfpay,
            act_pay_dedc=s.deductible,
            hifp_pay=s.pool,
            acct_pay=s.account,
            psn_cash_pay=s.cash,
            chronic=s.ref in chronic,
            reasons=tuple((r.code.value, r.amount) for r in s.reasons),
        )
        for s in result.lines
    )
    return SettleAnswer(
        medfee_sumamt=result.total("billed"),
        fulamt_ownpay_amt=result.total("ownpay_full"),
        preselfpay_amt=result.total("preselfpay"),
        act_pay_dedc=result.total("deductible"),
        hifp_pay=result.total("pool"),
        acct_pay=result.total("account"),
        psn_cash_pay=result.total("cash"),
        balc=result.social_year.account_balance if result.social_year else 0,
        details=details,
        setl_id=setl_id,
        confirmed=confirmed,
    )


def _status(setl_id: str) -> QueryAnswer:
    record = CentreSettlement.objects.filter(setl_id=setl_id).first()
    if record is None:
        return QueryAnswer(setl_id=setl_id, settled=False, status="unknown")
    return QueryAnswer(
        setl_id=setl_id,
        settled=record.status == CentreSettlement.Status.SETTLED,
        status=record.status,
    )


def _undo(setl_id: str, status: str) -> QueryAnswer:
    CentreSettlement.objects.filter(setl_id=setl_id, status=CentreSettlement.Status.SETTLED).update(
        status=status
    )
    return _status(setl_id)


class Simulator:
    """The centre, simulated in the same database (see the module's docstring)."""

    def insured_person_lookup(self, *, psn_no: str, on: dt.date) -> InsuredPerson:
        policy = _insured(psn_no)
        in_force = policy.starts_on <= on and (policy.ends_on is None or on <= policy.ends_on)
        return InsuredPerson(
            psn_no=psn_no,
            insutype=policy.plan.scheme,
            balc=policy.account_balance_fen,
            in_force=in_force and policy.status == Policy.Status.ACTIVE,
        )

    def pre_settle(self, request: SettleRequest, *, lock: bool = False) -> SettleAnswer:
        return _answer(_adjudicate(request, lock=lock))

    def settle(self, request: SettleRequest) -> SettleAnswer:
        # The caller holds the accumulators' locks (its own transaction): the split it gets is
        # the one its accumulators move by.
        result = _adjudicate(request, lock=True)
        setl_id = f"SIM{uuid.uuid4().hex[:20].upper()}"
        answer = _answer(
            result,
            setl_id=setl_id,
            confirmed=not settings.INSURANCE_GATEWAY_SIMULATE_UNCONFIRMED,
        )
        CentreSettlement.objects.create(
            setl_id=setl_id,
            mdtrt_id=request.mdtrt_id,
            psn_no=request.psn_no,
            status=CentreSettlement.Status.SETTLED,
            medfee_sumamt=answer.medfee_sumamt,
            hifp_pay=answer.hifp_pay,
            acct_pay=answer.acct_pay,
            psn_cash_pay=answer.psn_cash_pay,
            setl_time=timezone.now(),
        )
        return answer

    def cancel_settlement(self, *, setl_id: str) -> QueryAnswer:
        return _undo(setl_id, CentreSettlement.Status.CANCELLED)

    def reverse(self, *, setl_id: str) -> QueryAnswer:
        return _undo(setl_id, CentreSettlement.Status.REVERSED)

    def upload_fees(self, request: SettleRequest) -> SettleAnswer:
        # The mobile-payment chain's quote: the split, and the payment order it opens.
        answer = self.pre_settle(request)
        return replace(answer, pay_ord_id=f"PAYORD{uuid.uuid4().hex[:16].upper()}")

    def payment_order(self, request: SettleRequest) -> SettleAnswer:
        if not request.pay_ord_id:
            raise DomainError("6202 needs the payment order 6201 opened.", field="pay_ord_id")
        return replace(self.settle(request), pay_ord_id=request.pay_ord_id)

    def refund(self, *, setl_id: str) -> QueryAnswer:
        return _undo(setl_id, CentreSettlement.Status.REFUNDED)

    def query(self, *, setl_id: str) -> QueryAnswer:
        return _status(setl_id)

    def daily_reconciliation(self, *, day: dt.date) -> DailyTotals:
        totals = CentreSettlement.objects.filter(
            setl_time__date=day, status=CentreSettlement.Status.SETTLED
        ).aggregate(
            n=Count("id"),
            medfee=Sum("medfee_sumamt"),
            hifp=Sum("hifp_pay"),
            acct=Sum("acct_pay"),
            cash=Sum("psn_cash_pay"),
        )
        return DailyTotals(
            day=day,
            setl_count=totals["n"] or 0,
            medfee_sumamt=totals["medfee"] or 0,
            hifp_pay=totals["hifp"] or 0,
            acct_pay=totals["acct"] or 0,
            psn_cash_pay=totals["cash"] or 0,
        )

    def prescription_upload(self, request: PrescriptionUploadRequest) -> PrescriptionResult:
        if not request.doctor_signature or not request.pharmacist_signature:
            raise DomainError("A prescription needs both signatures.", field="signature")
        hi_rxno = f"RX{uuid.uuid4().hex[:18].upper()}"
        return PrescriptionResult(hosp_rxno=request.hosp_rxno, hi_rxno=hi_rxno, status="uploaded")

    def prescription_results(self, *, hosp_rxno: str) -> PrescriptionResult:
        upload = PrescriptionUpload.objects.filter(reference=hosp_rxno).first()
        if upload is None:
            return PrescriptionResult(hosp_rxno=hosp_rxno, hi_rxno="", status="unknown")
        return PrescriptionResult(hosp_rxno=hosp_rxno, hi_rxno=upload.hi_rxno, status=upload.status)

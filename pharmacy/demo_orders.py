"""Demo orders the demo patient has paid, settled with their insurance at the checkout: for
the demo patient's completed visit the demo doctor prescribes their chronic medicines, the demo
pharmacist approves them, and the patient buys each in the shop and pays their part in the
payment sandbox — so "my settlements" shows the split and its explanation of benefits.

Everything goes through the same services a real purchase does: prescribing, signing and
review; cart, checkout (which asks insurance for the pre-settlement quote); payment, whose
callback confirms the settlement. Idempotent: the demo orders are found by their address.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PATIENT_EMAIL, DEMO_PHARMACIST_EMAIL
from core.exceptions import DomainError
from hospital.consultations.models import Consultation
from hospital.prescriptions.models import Prescription
from hospital.prescriptions.services import prescribing, signing
from hospital.prescriptions.services.review import prescription_approve
from payments.services import payment_sandbox_complete
from pharmacy.models import Order, Product
from pharmacy.services.cart import cart_add_prescription, cart_line_add
from pharmacy.services.checkout import order_checkout
from pharmacy.services.orders import order_pay

DEMO_ADDRESS = "朝阳区建国路88号院3号楼1单元1201（演示订单）"
OVERRIDE_REASON = "长期稳定用药，已告知患者监测。"

# (drug, dose mg, frequency, days, packs, instructions, diagnosis): a 甲类 drug for a listed
# chronic disease, and a 乙类 one with its self-paid first portion.
DEMO_PURCHASES = (
    ("metformin-500mg-tab", "500", "BID", 28, 2, "随餐服用", "E11.9"),
    ("losartan-50mg-tab", "50", "QD", 28, 4, "每日早晨服用", "I10"),
)
# Bought with the first order and not covered (a device, not a prescribed drug): the patient
# pays it in the payment sandbox, whose callback then confirms the settlement.
UNCOVERED_SKU = "DEV-TS-002"


def _approved_prescription(
    consultation: Consultation, pharmacist: Any, purchase: tuple[Any, ...]
) -> Prescription:
    code, dose, frequency, days, packs, note, diagnosis = purchase
    doctor_user = consultation.doctor.user  # type: ignore[union-attr]
    draft = prescribing.prescription_create(
        doctor_user=doctor_user,
        consultation_id=consultation.pk,
        content=prescribing.PrescriptionContent(
            items=[
                prescribing.ItemInput(
                    drug_code=code,
                    dose=Decimal(dose),
                    dose_unit="mg",
                    frequency=frequency,
                    duration_days=days,
                    quantity_packs=packs,
                    route="oral",
                    instructions=note,
                )
            ],
            diagnosis_codes=[diagnosis],
            # A 28-day supply states why (处方管理办法 article 19).
            long_term_reason="慢性病病情稳定，长期规律用药，定期随访。",
        ),
    )
    reasons = {
        f.rule_id: OVERRIDE_REASON
        for f in draft.findings.all()
        if f.severity in ("major", "contraindicated")
    }
    signed = signing.prescription_sign(
        doctor_user=doctor_user,
        prescription_id=draft.pk,
        mfa_verified_at=timezone.now(),
        override_reasons=reasons,
    )
    return prescription_approve(pharmacist=pharmacist, prescription_id=signed.pk)


def _buy(account: Any, prescription: Prescription, *, uncovered_sku: str = "") -> Order:
    patient = prescription.patient
    cart_add_prescription(
        account=account, prescription_id=prescription.pk, rx_notice_confirmed=True
    )
    uncovered = Product.objects.filter(sku=uncovered_sku).first() if uncovered_sku else None
    if uncovered is not None:
        cart_line_add(account=account, patient_id=patient.pk, product_id=uncovered.pk, quantity=1)
    return demo_order_paid(
        account, patient, delivery_method=Order.DeliveryMethod.EXPRESS, address=DEMO_ADDRESS
    )


def demo_order_paid(account: Any, patient: Any, *, delivery_method: str, address: str) -> Order:
    """The cart checked out to the patient in Beijing and paid through the sandbox: the
    patient's part by the gateway's callback, insurance's settled at the checkout."""
    order = order_checkout(
        account=account,
        delivery_method=delivery_method,
        recipient_name=patient.real_name,
        recipient_phone=str(patient.phone or "+8613800138000"),
        city="北京",
        address=address,
    )
    started = order_pay(account=account, order_id=order.pk)
    if started.payment is not None:
        payment_sandbox_complete(payment=started.payment, succeed=True)
    order.refresh_from_db()
    return order


def seed_order_demo(*, stdout: Any) -> None:
    user_model = get_user_model()
    account = user_model.objects.filter(email=DEMO_PATIENT_EMAIL).first()
    pharmacist = user_model.objects.filter(email=DEMO_PHARMACIST_EMAIL).first()
    if account is None or pharmacist is None:
        stdout.write("  skipped the demo orders: no demo patient or pharmacist")
        return
    if Order.objects.filter(account=account, address=DEMO_ADDRESS).exists():
        stdout.write("  kept the demo orders")
        return
    consultation = (
        Consultation.objects.filter(
            patient__account=account,
            status=Consultation.Status.CLOSED,
            qualifies_as_follow_up=True,
        )
        .select_related("doctor", "doctor__user", "patient")
        .order_by("pk")
        .first()
    )
    if consultation is None:
        stdout.write("  skipped the demo orders: no completed demo consultation")
        return
    if account.cart_lines.exists():
        stdout.write("  skipped the demo orders: the demo patient's cart is not empty")
        return
    closed = {"status": consultation.status, "closed_at": consultation.closed_at}
    try:
        with transaction.atomic():
            # The doctor writes during the visit, open only while they write, as it was then.
            Consultation.objects.filter(pk=consultation.pk).update(status=Consultation.Status.OPEN)
            consultation.refresh_from_db()
            try:
                prescriptions = [
                    _approved_prescription(consultation, pharmacist, purchase)
                    for purchase in DEMO_PURCHASES
                ]
            finally:
                Consultation.objects.filter(pk=consultation.pk).update(**closed)
            orders = [
                _buy(account, prescription, uncovered_sku=UNCOVERED_SKU if index == 0 else "")
                for index, prescription in enumerate(prescriptions)
            ]
    except DomainError as error:
        stdout.write(f"  skipped the demo orders: {error.message}")
        return
    stdout.write(
        "  demo orders paid with insurance's share settled: "
        + ", ".join(
            f"{order.number} (¥{order.gross_total}, covered ¥{order.insurance_share})"
            for order in orders
        )
    )

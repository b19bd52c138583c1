"""The objects the access matrix asks about: the demo patient's own, treated by the demo doctor.

What the demo does not seed (a cart line, a paired device) is made here through the same
services the site uses."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from accounts.demo import DEMO_DOCTOR_EMAIL, DEMO_PATIENT_EMAIL
from accounts.models import PatientProfile, User
from hospital.booking.models import Appointment, ExpertRequest
from hospital.booking.services.expert_requests import expert_request_create
from hospital.consultations.models import (
    Consultation,
    ConsultationMessage,
    MdtConsultation,
    PartnerDepartment,
    Referral,
)
from hospital.consultations.services.mdt import mdt_invite
from hospital.consultations.services.referrals import referral_create
from hospital.consultations.services.visits import consultation_claim, consultation_request_quick
from hospital.doctors.models import Credential, DoctorProfile
from hospital.housecalls.models import HouseCall
from hospital.prescriptions.models import Prescription, PrescriptionFinding, RenewalRequest
from hospital.prescriptions.schedule.models import MedicationDose, MedicationSchedule
from hospital.records.models import (
    Allergy,
    Condition,
    Device,
    DeviceTestSchedule,
    MedicalDocument,
    Medication,
    Reading,
)
from hospital.records.services import devices
from hospital.records.services.device_tests import device_test_schedule_set
from insurance.models import Claim, Policy, Settlement
from notifications.models import Caregiver, Notification, WechatSubscription
from notifications.services import caregiver_set, wechat_subscription_grant
from payments.models import Payment
from pharmacy.models import CartLine, MedicineBox, Order, Product
from pharmacy.services import cart
from tests.accounts.factories import PatientProfileFactory
from tests.hospital.consultation_factories import MedicalDocumentFactory
from tests.hospital.factories import PNG_BYTES
from tests.security.access_matrix import ROLE_EMAILS

# The matrix's "other doctor" (doctor2) is the care-team demo's specialist, so the 会诊 asked
# about here invites someone who is none of the roles.
INVITED_SPECIALIST_EMAIL = "doctor3@xinglin.test"


def _one(queryset: Any, what: str) -> Any:
    found = queryset.order_by("pk").first()
    assert found is not None, f"the demo has no {what} to ask about"
    return found


def demo_objects() -> dict[str, Any]:
    """Object kind → the value its route parameter takes."""
    patient = User.objects.get(email=DEMO_PATIENT_EMAIL)
    doctor = DoctorProfile.objects.get(user__email=DEMO_DOCTOR_EMAIL)
    profile = PatientProfile.objects.get(account=patient, relationship="self")

    consultation = _one(
        Consultation.objects.filter(patient=profile, doctor=doctor), "consultation of theirs"
    )
    # A photo the patient sent in the chat (the demo's chat has none).
    message = ConsultationMessage.objects.create(
        consultation=consultation,
        sender=patient,
        kind=ConsultationMessage.Kind.IMAGE,
        attachment=ContentFile(PNG_BYTES, name="rash.png"),
        attachment_type="image/png",
        attachment_size=len(PNG_BYTES),
        attachment_name="rash.png",
    )

    device = Device.objects.filter(patient=profile, revoked_at__isnull=True).first()
    if device is None:
        _, code = devices.device_pairing_code_create(actor=patient, patient_id=profile.pk)
        device, _ = devices.device_pair(code=code, name="血糖仪", serial_number="GM-0001")

    product = _one(Product.objects.filter(is_prescription=False, is_active=True), "product")
    cart_line = CartLine.objects.filter(account=patient).first() or cart.cart_line_add(
        account=patient, patient_id=profile.pk, product_id=product.pk, quantity=1
    )

    prescriptions = Prescription.objects.filter(patient=profile, doctor=doctor)
    claim = _one(Claim.objects.filter(patient=profile), "claim")
    finding = _one(
        PrescriptionFinding.objects.filter(prescription__in=prescriptions),
        "decision-support finding",
    )
    return {
        "profile": profile.pk,
        "appointment": _one(
            Appointment.objects.filter(patient=profile, doctor=doctor), "appointment"
        ).pk,
        "consultation": consultation.pk,
        "message": message.pk,
        "prescription": _one(prescriptions.filter(status="approved"), "approved prescription").pk,
        "draft": _one(prescriptions.filter(status="draft"), "draft prescription").pk,
        "pending": _one(prescriptions.filter(status="pending_review"), "prescription in review").pk,
        "renewal": _one(RenewalRequest.objects.filter(patient=profile), "renewal request").pk,
        "schedule": _one(MedicationSchedule.objects.filter(patient=profile), "schedule").pk,
        "dose": _one(MedicationDose.objects.filter(schedule__patient=profile), "dose").pk,
        "taken": "taken",
        "allergy_form": "allergy",
        "allergy": _one(Allergy.objects.filter(patient=profile), "allergy").pk,
        "condition": _one(Condition.objects.filter(patient=profile), "condition").pk,
        "medication": _one(Medication.objects.filter(patient=profile), "medication").pk,
        "reading": _one(Reading.objects.filter(patient=profile), "reading").pk,
        "document": _one(MedicalDocument.objects.filter(patient=profile), "document").pk,
        # Marked entered in error by the matrix, so not the one the other routes download.
        "document_to_void": MedicalDocumentFactory(patient=profile).pk,
        "device": device.pk,
        "notification": _one(Notification.objects.filter(recipient=patient), "notice").pk,
        "payment": _one(Payment.objects.filter(payer=patient), "payment").token,
        "policy": _one(Policy.objects.filter(patient=profile), "policy").pk,
        "claim": claim.pk,
        "claim_in_review": _one(
            Claim.objects.filter(patient=profile, status=Claim.Status.IN_REVIEW), "claim in review"
        ).pk,
        "settlement": _one(Settlement.objects.filter(patient=profile), "settlement").pk,
        "doctor": doctor.pk,
        "credential": _one(Credential.objects.filter(doctor=doctor), "credential").pk,
        "product": product.pk,
        "cart_line": cart_line.pk,
        "order": _one(Order.objects.filter(account=patient), "order").pk,
        "finding_prescription": finding.prescription_id,
        "finding": finding.pk,
        **_objects_of_care(patient, profile, doctor, consultation),
    }


def _objects_of_care(
    patient: User, profile: PatientProfile, doctor: DoctorProfile, consultation: Any
) -> dict[str, Any]:
    """Care services around the consultation: 会诊, referral, house call, expert request,
    measuring schedule, caregivers and WeChat consents, medicine boxes."""
    specialist = DoctorProfile.objects.get(user__email=INVITED_SPECIALIST_EMAIL)
    open_consultation = Consultation.objects.filter(
        patient=profile, doctor=doctor, status=Consultation.Status.OPEN
    ).first() or consultation_claim(
        doctor_user=doctor.user,
        consultation_id=consultation_request_quick(
            account=patient,
            patient_id=profile.pk,
            department_id=doctor.department_id,
            chief_complaint="血压控制不好，头晕。",
        ).pk,
    )
    mdt = MdtConsultation.objects.filter(consultation=open_consultation).first() or mdt_invite(
        doctor_user=doctor.user,
        consultation_id=open_consultation.pk,
        doctor_ids=[specialist.pk],
        question="血糖控制欠佳，是否加用胰岛素？",
        access_hours=72,
    )
    referral = Referral.objects.filter(consultation=open_consultation).first() or referral_create(
        doctor_user=doctor.user,
        consultation_id=open_consultation.pk,
        partner_department_id=_one(PartnerDepartment.objects.all(), "partner department").pk,
        reason="需线下检查。",
    )
    expert = _one(
        DoctorProfile.objects.filter(tier=DoctorProfile.Tier.EXPERT).exclude(
            user__email=ROLE_EMAILS["other_doctor"]
        ),
        "expert",
    )
    expert_request = ExpertRequest.objects.filter(patient=profile).first() or (
        expert_request_create(
            account=patient,
            patient_id=profile.pk,
            expert_id=expert.pk,
            mode="video",
            visit_type="follow_up",
            chief_complaint="血糖波动，想请专家调整方案。",
        )
    )
    test_schedule = DeviceTestSchedule.objects.filter(patient=profile).first() or (
        device_test_schedule_set(
            doctor_user=doctor.user,
            patient_id=profile.pk,
            kind=Reading.Kind.GLUCOSE_FASTING,
            times=["07:00"],
        )
    )
    caregiver = Caregiver.objects.filter(account=patient).first() or caregiver_set(
        account=patient,
        family_member_id=PatientProfileFactory(
            account=patient, relationship=PatientProfile.Relationship.CHILD, phone="+8613900139000"
        ).pk,
        kinds=["hospital.appointment_reminder"],
    )
    subscription = (
        WechatSubscription.objects.filter(user=patient).first()
        or (
            wechat_subscription_grant(
                user=patient, kinds=["hospital.appointment_reminder"], mode="long_term"
            )[0]
        )
    )
    return {
        "mdt": mdt.pk,
        "referral": referral.pk,
        "house_call": _one(HouseCall.objects.filter(patient=profile), "house call").pk,
        "expert_request": expert_request.pk,
        "test_schedule": test_schedule.pk,
        "caregiver": caregiver.pk,
        "wechat_subscription": subscription.pk,
        "box": _one(MedicineBox.objects.all(), "medicine box").code,
    }

"""Formulary search and the doctor's side of e-prescriptions: one thin view per operation."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import (
    inline_serializer,
)
from rest_framework import serializers

from hospital.prescriptions.models import FindingIntervention, Prescription, RenewalRequest
from hospital.prescriptions.services import prescribing


class FormularyDrugOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    generic_name_zh = serializers.CharField()
    generic_name_en = serializers.CharField()
    ingredients = serializers.ListField(child=serializers.CharField(), source="ingredient_list")
    atc_code = serializers.CharField()
    strength = serializers.CharField()
    dosage_form = serializers.CharField()
    route = serializers.CharField()
    dose_unit = serializers.CharField()
    pack_size = serializers.IntegerField(allow_null=True)
    pack_unit = serializers.CharField()
    rx_class = serializers.CharField()
    control_class = serializers.CharField()
    long_term_allowed = serializers.BooleanField()
    insurance_category = serializers.CharField()


class FormularySearchInput(serializers.Serializer):
    q = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PrescriptionItemInput(serializers.Serializer):
    drug_code = serializers.CharField(max_length=60)
    dose = serializers.DecimalField(max_digits=10, decimal_places=3)
    dose_unit = serializers.CharField(max_length=40)
    route = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    frequency = serializers.CharField(max_length=12)
    duration_days = serializers.IntegerField(min_value=1, max_value=366)
    quantity_packs = serializers.IntegerField(min_value=1, max_value=prescribing.MAX_PACKS_PER_ITEM)
    instructions = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    is_important = serializers.BooleanField(required=False, default=False)


class PrescriptionInput(serializers.Serializer):
    items = PrescriptionItemInput(many=True, allow_empty=False)
    diagnosis_codes = serializers.ListField(
        child=serializers.CharField(max_length=10), allow_empty=False, max_length=10
    )
    long_term_reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    guardian_name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )


class PrescriptionPatchInput(serializers.Serializer):
    items = PrescriptionItemInput(many=True, allow_empty=False, required=False)
    diagnosis_codes = serializers.ListField(
        child=serializers.CharField(max_length=10), allow_empty=False, max_length=10, required=False
    )
    long_term_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    guardian_name = serializers.CharField(max_length=50, required=False, allow_blank=True)


class PrescriptionSignInput(serializers.Serializer):
    totp_code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    override_reasons = serializers.DictField(
        child=serializers.CharField(max_length=1000, allow_blank=True),
        required=False,
        default=dict,
        help_text="Reason per major finding, keyed by the finding's rule_id.",
    )


class PrescriptionExtendInput(serializers.Serializer):
    valid_until = serializers.DateField()
    totp_code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")


class PrescriptionListFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Prescription.Status.choices, required=False)


class PrescriptionItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    drug_code = serializers.CharField(source="drug.code")
    drug_name_zh = serializers.CharField(source="drug.generic_name_zh")
    drug_name_en = serializers.CharField(source="drug.generic_name_en")
    strength = serializers.CharField(source="drug.strength")
    dose = serializers.DecimalField(max_digits=10, decimal_places=3)
    dose_unit = serializers.CharField()
    route = serializers.CharField()
    frequency = serializers.CharField()
    duration_days = serializers.IntegerField()
    quantity_packs = serializers.IntegerField()
    pack_unit = serializers.CharField(source="drug.pack_unit")
    purchased_packs = serializers.IntegerField()
    instructions = serializers.CharField()
    is_important = serializers.BooleanField()


class PrescriptionFindingOutput(serializers.Serializer):
    # Stored findings have an id (what an intervention answers); a live check's have none.
    id = serializers.IntegerField(required=False)
    kind = serializers.CharField()
    severity = serializers.CharField()
    drug_codes = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()
    message_zh = serializers.CharField()
    management = serializers.CharField()
    management_zh = serializers.CharField(required=False, default="")
    # DRF pops declared fields off the class, so this does not shadow Field.source.
    source = serializers.CharField()  # type: ignore[assignment]
    rule_id = serializers.CharField()
    override_reason = serializers.CharField(required=False, default="")


class FindingInterventionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    finding = serializers.IntegerField(source="finding_id")
    rule_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=FindingIntervention.Outcome.choices)
    outcome_display = serializers.CharField(source="get_outcome_display")
    note = serializers.CharField()
    pharmacist = serializers.IntegerField(source="pharmacist_id")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ReviewFindingOutput(PrescriptionFindingOutput):
    intervention = FindingInterventionOutput(source="pharmacist_intervention", allow_null=True)


class FindingInterventionInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FindingIntervention.Outcome.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class PrescriptionPatientOutput(serializers.Serializer):
    id = serializers.IntegerField()
    real_name = serializers.CharField()


class PrescriptionDoctorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()


class PrescriptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    version = serializers.IntegerField()
    revision_of = serializers.IntegerField(source="revision_of_id", allow_null=True)
    consultation = serializers.IntegerField(source="consultation_id")
    patient = PrescriptionPatientOutput()
    doctor = PrescriptionDoctorOutput()
    diagnosis_codes = serializers.ListField(child=serializers.CharField())
    supply_days = serializers.IntegerField()
    is_long_term = serializers.BooleanField()
    long_term_reason = serializers.CharField()
    guardian_name = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    signature = serializers.CharField()
    knowledge_version = serializers.CharField()
    decision_support_checked = serializers.BooleanField(
        help_text="False when decision support could not run on the saved content (its "
        "knowledge was unavailable): no findings then means unchecked, not safe. Signing runs "
        "the check again and is refused (503) while it cannot run."
    )
    risk_rank = serializers.IntegerField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    review_decision_reason = serializers.CharField()
    review_comment = serializers.CharField()
    items = PrescriptionItemOutput(many=True)
    findings = PrescriptionFindingOutput(many=True)
    pdf_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_pdf_url(self, prescription: Prescription) -> str:
        return reverse("hospital_api:prescription-pdf", kwargs={"pk": prescription.pk})

    def get_verify_url(self, prescription: Prescription) -> str:
        return reverse("hospital_api:prescription-verify", kwargs={"pk": prescription.pk})


class PrescriptionVersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    review_decision_reason = serializers.CharField()
    review_comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class PrescriptionCheckOutput(serializers.Serializer):
    available = serializers.BooleanField()
    knowledge_version = serializers.CharField()
    risk_rank = serializers.IntegerField()
    findings = PrescriptionFindingOutput(many=True)


class PrescriptionVerifyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    signed = serializers.BooleanField()
    valid = serializers.BooleanField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    doctor = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


BlockedOutput = inline_serializer(
    "PrescriptionBlocked",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "findings": PrescriptionFindingOutput(many=True),
    },
)


class ReviewPatientBrief(serializers.Serializer):
    id = serializers.IntegerField()
    real_name = serializers.CharField()
    sex = serializers.CharField()
    age = serializers.IntegerField()


class ReviewDoctorBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title_display = serializers.CharField(source="get_title_display")


class ReviewDrugBrief(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    generic_name_zh = serializers.CharField()
    generic_name_en = serializers.CharField()
    strength = serializers.CharField()
    dosage_form = serializers.CharField()


class ReviewItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    drug = ReviewDrugBrief()
    dose = serializers.DecimalField(max_digits=10, decimal_places=3)
    dose_unit = serializers.CharField()
    route = serializers.CharField()
    frequency = serializers.CharField()
    duration_days = serializers.IntegerField()
    quantity_packs = serializers.IntegerField()
    purchased_packs = serializers.IntegerField()
    instructions = serializers.CharField()


class ReviewLeaseOutput(serializers.Serializer):
    holder = serializers.IntegerField(source="review_lease_holder_id", allow_null=True)
    expires_at = serializers.DateTimeField(source="review_lease_expires_at", allow_null=True)


class ReviewDecisionOutput(serializers.Serializer):
    reviewed_by = serializers.IntegerField(source="reviewed_by_id", allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(source="review_decision_reason")
    comment = serializers.CharField(source="review_comment")


class ReviewQueueEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    risk_rank = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    patient = ReviewPatientBrief()
    doctor = ReviewDoctorBrief()
    lease = ReviewLeaseOutput(source="*")


class PrescriptionReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Prescription.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    patient = ReviewPatientBrief()
    doctor = ReviewDoctorBrief()
    consultation = serializers.IntegerField(source="consultation_id")
    diagnosis_codes = serializers.ListField(child=serializers.CharField())
    supply_days = serializers.IntegerField()
    long_term_reason = serializers.CharField()
    guardian_name = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    knowledge_version = serializers.CharField()
    risk_rank = serializers.IntegerField()
    items = ReviewItemOutput(many=True)
    findings = ReviewFindingOutput(many=True)
    lease = ReviewLeaseOutput(source="*")
    review = ReviewDecisionOutput(source="*")


class ApproveInput(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=Prescription.ReviewReason.choices, required=False, allow_blank=True, default=""
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RejectInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Prescription.ReviewReason.choices)
    comment = serializers.CharField(max_length=2000)


class RenewalRequestInput(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RenewalDeclineInput(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class RenewalListFilters(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=RenewalRequest.Status.choices, required=False, allow_blank=True, default=""
    )


class RenewalPrescriptionBrief(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Prescription.Status.choices)
    diagnosis_codes = serializers.ListField(child=serializers.CharField())
    supply_days = serializers.IntegerField()
    valid_until = serializers.DateField(allow_null=True)
    doctor = ReviewDoctorBrief()


class RenewalRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RenewalRequest.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    prescription = RenewalPrescriptionBrief()
    patient = ReviewPatientBrief()
    note = serializers.CharField()
    decline_reason = serializers.CharField()
    follow_up_consultation = serializers.IntegerField(
        source="follow_up_consultation_id", allow_null=True
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

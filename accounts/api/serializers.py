from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from accounts.models import PatientProfile
from core.api.serializers import ModelOutputSerializer


class PatientProfileCreateInput(serializers.Serializer):
    relationship = serializers.ChoiceField(choices=PatientProfile.Relationship.choices)
    real_name = serializers.CharField(max_length=50)
    sex = serializers.ChoiceField(choices=PatientProfile.Sex.choices)
    birth_date = serializers.DateField()
    resident_id_number = serializers.CharField(
        max_length=18, help_text=_("18-character PRC resident ID number (居民身份证号码).")
    )
    phone = PhoneNumberField(region="CN", required=False, allow_blank=True, default="")


class PatientProfileUpdateInput(serializers.Serializer):
    relationship = serializers.ChoiceField(
        choices=PatientProfile.Relationship.choices, required=False
    )
    real_name = serializers.CharField(max_length=50, required=False)
    sex = serializers.ChoiceField(choices=PatientProfile.Sex.choices, required=False)
    birth_date = serializers.DateField(required=False)
    resident_id_number = serializers.CharField(max_length=18, required=False)
    phone = PhoneNumberField(region="CN", required=False, allow_blank=True)
    is_archived = serializers.BooleanField(
        required=False, help_text=_("True archives the profile; false restores it.")
    )


class PatientProfileListOutput(ModelOutputSerializer):
    """A profile as listed: the resident ID number is masked."""

    resident_id_number_masked = serializers.CharField(source="masked_resident_id")
    age = serializers.IntegerField()

    class Meta:
        model = PatientProfile
        fields = [
            "id",
            "relationship",
            "real_name",
            "sex",
            "birth_date",
            "age",
            "resident_id_number_masked",
            "phone",
            "is_archived",
            "created_at",
            "updated_at",
        ]


class PatientProfileDetailOutput(PatientProfileListOutput):
    """One profile, to its own account: the full resident ID number is included."""

    class Meta(PatientProfileListOutput.Meta):
        fields = [*PatientProfileListOutput.Meta.fields, "resident_id_number"]

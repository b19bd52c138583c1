from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from accounts.models import PatientProfile


class PatientProfileForm(forms.Form):
    relationship = forms.ChoiceField(
        label=_("Relationship"), choices=PatientProfile.Relationship.choices
    )
    real_name = forms.CharField(label=_("Real name"), max_length=50)
    sex = forms.ChoiceField(label=_("Sex"), choices=PatientProfile.Sex.choices)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    resident_id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = PhoneNumberField(label=_("Phone"), region="CN", required=False)


class PatientProfileEditForm(PatientProfileForm):
    is_archived = forms.BooleanField(
        label=_("Archived"),
        required=False,
        help_text=_("An archived person is hidden from your list and cannot be booked for."),
    )

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hospital.models import Appointment, ConsultationMode, ScheduleException
from hospital.models.schedules import Weekday


class DoctorFilterForm(forms.Form):
    department = forms.CharField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    mode = forms.ChoiceField(
        label=_("Mode"), required=False, choices=[("", _("Any mode")), *ConsultationMode.choices]
    )


class BookingForm(forms.Form):
    patient = forms.TypedChoiceField(label=_("Patient"), coerce=int)
    slot = forms.IntegerField(widget=forms.HiddenInput)
    visit_type = forms.ChoiceField(
        label=_("Visit type"),
        choices=Appointment.VisitType.choices,
        initial=Appointment.VisitType.FOLLOW_UP,
    )
    chief_complaint = forms.CharField(
        label=_("Reason for the visit"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, patients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = [(p.pk, str(p)) for p in patients]


class AvailabilityForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=ConsultationMode.choices)
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}))
    slot_minutes = forms.IntegerField(
        label=_("Minutes per slot"), min_value=5, max_value=120, initial=15
    )
    capacity = forms.IntegerField(
        label=_("Patients per slot (text only)"), min_value=1, max_value=50, initial=1
    )


class ExceptionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ScheduleException.Kind.choices)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label=_("To"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    mode = forms.ChoiceField(
        label=_("Mode (extra session)"),
        required=False,
        choices=[("", "—"), *ConsultationMode.choices],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


def form_first_error(form: forms.Form) -> str:
    """The first error of a form that did not validate, as one message for the page: the
    field's label, then the error."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return gettext("Check the form.")

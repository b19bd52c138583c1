"""Helpers for server-rendered forms shared by every app."""

from django import forms
from django.utils.translation import gettext


def form_first_error(form: forms.Form) -> str:
    """The first error of a form that did not validate, as one message for the page: the
    field's label, then the error."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return gettext("Check the form.")

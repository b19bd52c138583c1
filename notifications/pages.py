"""The inbox and the notification preferences pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from phonenumber_field.formfields import PhoneNumberField

from core.exceptions import DomainError, NotFound
from notifications.kinds import KINDS
from notifications.selectors import (
    CHANNEL_DEFAULTS,
    caregiver_list,
    notification_list,
    notification_preference_table,
    notification_settings_get,
)
from notifications.services import (
    caregiver_remove,
    caregiver_set,
    caregiver_update,
    notification_mark_read,
    notification_settings_update,
)

INBOX_PAGE_SIZE = 30


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list(user=request.user), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification = notification_mark_read(user=request.user, notification_id=notification_id)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    if notification.link and request.POST.get("open"):
        return redirect(notification.link)
    return redirect("notifications:inbox")


class NotificationSettingsForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    phone = PhoneNumberField(label=gettext_lazy("Phone for SMS"), region="CN", required=False)
    quiet_hours_enabled = forms.BooleanField(label=gettext_lazy("Quiet hours"), required=False)
    quiet_hours_start = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_hours_end = forms.TimeField(
        label=gettext_lazy("Until"), widget=forms.TimeInput(attrs={"type": "time"})
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    person = notification_settings_get(user=request.user)
    table = notification_preference_table(user=request.user)
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            chosen = [
                {
                    "kind": row["kind"],
                    "channel": channel,
                    "enabled": f"{row['kind']}:{channel}" in request.POST,
                }
                for row in table
                if row["optional"]
                for channel in CHANNEL_DEFAULTS
            ]
            try:
                notification_settings_update(
                    user=request.user, preferences=chosen, **form.cleaned_data
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your notification preferences are saved."))
                return redirect("notifications:preferences")
    else:
        form = NotificationSettingsForm(
            initial={
                "language": person.language,
                "phone": person.phone,
                "quiet_hours_enabled": person.quiet_hours_enabled,
                "quiet_hours_start": person.quiet_hours_start,
                "quiet_hours_end": person.quiet_hours_end,
            }
        )
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "table": table, "channels": list(CHANNEL_DEFAULTS)},
    )


def _family_members(account: Any) -> list[Any]:
    from accounts.models import PatientProfile

    return list(
        PatientProfile.objects.filter(account=account, is_archived=False)
        .exclude(relationship=PatientProfile.Relationship.SELF)
        .order_by("pk")
    )


def _chosen_kinds(request: HttpRequest) -> list[str]:
    return [kind for kind in request.POST.getlist("kinds") if kind in KINDS]


@login_required
def caregivers(request: HttpRequest) -> HttpResponse:
    """Family members on the account who get copies of chosen kinds of notice, by SMS."""
    if request.method == "POST":
        action = request.POST.get("action", "set")
        try:
            caregiver_id = int(request.POST.get("caregiver") or 0)
            if action == "remove":
                caregiver_remove(account=request.user, caregiver_id=caregiver_id)
                messages.success(request, _("That family member gets no more copies."))
            elif action == "update":
                caregiver_update(
                    account=request.user,
                    caregiver_id=caregiver_id,
                    kinds=_chosen_kinds(request),
                )
                messages.success(request, _("Saved."))
            else:
                caregiver_set(
                    account=request.user,
                    family_member_id=int(request.POST.get("family_member") or 0),
                    kinds=_chosen_kinds(request),
                )
                messages.success(request, _("Saved."))
        except ValueError:
            messages.error(request, _("Choose a family member."))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("notifications:caregivers")
    kinds = sorted(KINDS.values(), key=lambda kind: str(kind.label))
    return render(
        request,
        "notifications/caregivers.html",
        {
            "caregivers": list(caregiver_list(account=request.user)),
            "family_members": _family_members(request.user),
            "kinds": kinds,
        },
    )

"""Policies: a patient registers a membership of a plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.selectors import patient_profile_get
from audit.services import access_log_record
from core.exceptions import Conflict, DomainError
from insurance.models import Plan, Policy

# Social insurance settles first; commercial plans after it (coordination of benefits).
SOCIAL_PRIORITY = 1
COMMERCIAL_PRIORITY = 2


def policy_add(
    *,
    account: Any,
    patient_id: int,
    plan_code: str,
    member_number: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> Policy:
    """Registers a patient's membership of a plan. One active policy per plan and person, and a
    member number belongs to one person (409 otherwise)."""
    patient = patient_profile_get(account=account, profile_id=patient_id, include_archived=False)
    plan = Plan.objects.filter(code=plan_code, is_active=True).first()
    if plan is None:
        raise DomainError(_("No such plan open for enrolment."), field="plan")
    member_number = member_number.strip()
    if not member_number:
        raise DomainError(_("A member number is required."), field="member_number")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("A policy cannot end before it starts."), field="ends_on")
    try:
        with transaction.atomic():
            policy = Policy.objects.create(
                patient=patient,
                plan=plan,
                member_number=member_number,
                starts_on=starts_on,
                ends_on=ends_on,
                priority=SOCIAL_PRIORITY if plan.is_social else COMMERCIAL_PRIORITY,
                created_by=account,
            )
    except IntegrityError as error:
        raise Conflict(
            _("This person already has this plan, or the member number is taken."),
            code="policy_exists",
        ) from error
    access_log_record(
        actor=account,
        patient_id=patient.pk,
        object_type="insurance.policy",
        object_id=policy.pk,
        action="create",
    )
    return policy

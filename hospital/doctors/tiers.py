"""Tiers of doctors and what each promises patients: fee bands and response times (the
policies operators keep in the admin), and the experts' assistants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from core.exceptions import DomainError, NotAllowed
from hospital.doctors.models import DoctorProfile, DoctorService, ExpertAssistant, TierPolicy
from hospital.rules import figure


def tier_policy_list() -> QuerySet[TierPolicy]:
    return TierPolicy.objects.order_by("tier")


def tier_policy_for(tier: str) -> TierPolicy | None:
    return TierPolicy.objects.filter(tier=tier).first()


def tier_response_promise(tier: str) -> dt.timedelta | None:
    """How soon the tier promises to answer, or None when its policy is not set."""
    minutes = TierPolicy.objects.filter(tier=tier).values_list("response_minutes", flat=True)
    found = minutes.first()
    return dt.timedelta(minutes=found) if found else None


def quick_consult_promise() -> dt.timedelta:
    """How soon a waiting quick consult is taken by a full-time doctor on duty: the full-time
    policy's promise; without one, the operators' alert delay of the hospital's rules."""
    return tier_response_promise(DoctorProfile.Tier.FULL_TIME) or figure(
        "QUICK_CONSULT_UNCLAIMED_ALERT_AFTER"
    )


def services_with_tier_band(queryset: QuerySet[DoctorService]) -> QuerySet[DoctorService]:
    """Services annotated with their doctor's tier band, so `quoted_fee` needs no query."""
    policy = TierPolicy.objects.filter(tier=OuterRef("doctor__tier"))
    return queryset.annotate(
        tier_fee_floor=Subquery(policy.values("fee_floor")[:1]),
        tier_fee_ceiling=Subquery(policy.values("fee_ceiling")[:1]),
    )


def service_quoted_fee(*, doctor: DoctorProfile, mode: str) -> Decimal | None:
    """The fee a patient is quoted for this doctor and mode (None when it is not offered)."""
    service = (
        services_with_tier_band(DoctorService.objects.filter(doctor=doctor, mode=mode))
        .filter(is_active=True)
        .first()
    )
    return service.quoted_fee if service is not None else None


def fee_check_within_band(*, tier: str, fee: Decimal, field: str = "fee") -> None:
    """Refuses a fee outside the tier's band, so a doctor's fee reads as it is charged."""
    policy = tier_policy_for(tier)
    if policy is not None and not policy.fee_floor <= fee <= policy.fee_ceiling:
        raise DomainError(
            _("A %(tier)s's fee is between ¥%(floor)s and ¥%(ceiling)s.")
            % {
                "tier": policy.get_tier_display(),
                "floor": policy.fee_floor,
                "ceiling": policy.fee_ceiling,
            },
            field=field,
        )


def experts_assisted_by(user: Any) -> QuerySet[DoctorProfile]:
    """The experts whose requests this account handles."""
    if not getattr(user, "is_authenticated", False):
        return DoctorProfile.objects.none()
    return DoctorProfile.objects.filter(
        tier=DoctorProfile.Tier.EXPERT,
        assistants__user=user,
        assistants__is_active=True,
    ).distinct()


def expert_assistant_add(*, expert: DoctorProfile, user: Any) -> ExpertAssistant:
    if expert.tier != DoctorProfile.Tier.EXPERT:
        raise NotAllowed(_("Only an expert has an assistant."))
    if expert.user_id == getattr(user, "pk", None):
        raise DomainError(_("An expert cannot be their own assistant."), field="user")
    assistant, _created = ExpertAssistant.objects.update_or_create(
        expert=expert, user=user, defaults={"is_active": True}
    )
    return assistant

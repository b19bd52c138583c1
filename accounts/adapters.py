from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.shortcuts import resolve_url

from accounts.roles import Role, primary_role

# Where each role starts its day after logging in (a `next` the login was given still wins).
# URL names, not imports: accounts sits below the apps whose pages these are.
LOGIN_LANDING: dict[str, str] = {
    Role.DOCTOR: "hospital:doctor-consultations",
    Role.PHARMACIST: "hospital:review-queue",
    Role.OPERATOR: "admin:index",
}


class AccountAdapter(DefaultAccountAdapter):
    """Every account that signs up by itself is a patient account."""

    def save_user(self, request, user, form, commit=True):  # type: ignore[no-untyped-def]
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            from accounts.services import user_assign_role

            user_assign_role(user=user, role=Role.PATIENT)
        return user

    def get_login_redirect_url(self, request):  # type: ignore[no-untyped-def]
        landing = LOGIN_LANDING.get(primary_role(getattr(request, "user", None)))
        return resolve_url(landing or settings.LOGIN_REDIRECT_URL)

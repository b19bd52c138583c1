from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Every account that signs up by itself is a patient account."""

    def save_user(self, request, user, form, commit=True):  # type: ignore[no-untyped-def]
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            from accounts.roles import Role
            from accounts.services import user_assign_role

            user_assign_role(user=user, role=Role.PATIENT)
        return user

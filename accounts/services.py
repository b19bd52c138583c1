from __future__ import annotations

from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import Role


def user_assign_role(*, user: User, role: Role | str) -> None:
    group, _ = Group.objects.get_or_create(name=str(role))
    user.groups.add(group)
    user.__dict__.pop("_role_names", None)

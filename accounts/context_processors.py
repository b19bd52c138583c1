from django.http import HttpRequest

from accounts.roles import primary_role


def roles(request: HttpRequest) -> dict[str, object]:
    """The signed-in account's roles, and the one its navigation follows
    (templates/partials/nav_links.html keeps the links of each role in one place)."""
    user = getattr(request, "user", None)
    names = user.role_names if user is not None and user.is_authenticated else frozenset()
    return {"user_roles": names, "nav_role": primary_role(user)}

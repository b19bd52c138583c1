from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import unread_notification_count


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """The bell's count on every page: one query, only for a signed-in person, and only when
    the page shows it (lazy)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notification_count": 0}
    return {
        "unread_notification_count": SimpleLazyObject(lambda: unread_notification_count(user=user))
    }

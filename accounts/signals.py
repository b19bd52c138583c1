"""What happens to an account's sessions when it signs in, signs out, changes its password or
is disabled, wherever that is done: the pages, the app API, the admin, a service or the shell."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.middleware import LAST_ACTIVITY_SESSION_KEY, SIGNED_IN_AT_SESSION_KEY
from accounts.models import User
from accounts.services import account_session_record, account_sessions_end


@receiver(user_logged_in, dispatch_uid="accounts.session_signed_in")
def _session_signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    now = time.time()
    # Signing in is activity: the idle limit counts from it, even before the next request.
    session[SIGNED_IN_AT_SESSION_KEY] = session[LAST_ACTIVITY_SESSION_KEY] = now
    if session.session_key is None:
        session.save()
    account_session_record(user=user, session_key=session.session_key)


@receiver(user_logged_out, dispatch_uid="accounts.signed_out_everywhere")
def _signed_out_everywhere(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    # Logging out on one device logs the account out on all: a person who signs out of a shared
    # or lost device's session means to be signed out, and cannot see which one is which.
    if user is not None:
        account_sessions_end(user_id=user.pk)


@receiver(pre_save, sender=User, dispatch_uid="accounts.credentials_changing")
def _credentials_changing(
    sender: Any, instance: User, update_fields: Any = None, **kwargs: Any
) -> None:
    if instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login on every login: nothing that ends sessions
    stored = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    instance._ends_sessions = stored is not None and (  # type: ignore[attr-defined]
        stored["password"] != instance.password or (stored["is_active"] and not instance.is_active)
    )


@receiver(post_save, sender=User, dispatch_uid="accounts.credentials_changed")
def _credentials_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    # A new password or a disabled account: whoever held a session under the old state loses
    # it now, not at their next request's check.
    if getattr(instance, "_ends_sessions", False):
        instance._ends_sessions = False  # type: ignore[attr-defined]
        account_sessions_end(user_id=instance.pk)

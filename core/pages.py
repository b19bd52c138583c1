from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.mail import demo_mailbox_messages


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def demo_mailbox(request: HttpRequest) -> HttpResponse:
    """Where the demo's mail goes (DEBUG only: it shows everyone's sign-up and reset links)."""
    if not settings.DEBUG or settings.EMAIL_BACKEND != "core.mail.DemoMailboxBackend":
        raise Http404
    return render(request, "core/mailbox.html", {"messages_sent": demo_mailbox_messages()})

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control

from core.mail import demo_mailbox_messages


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def demo_mailbox(request: HttpRequest) -> HttpResponse:
    """Where the demo's mail goes (DEBUG only: it shows everyone's sign-up and reset links)."""
    if not settings.DEBUG or settings.EMAIL_BACKEND != "core.mail.DemoMailboxBackend":
        raise Http404
    return render(request, "core/mailbox.html", {"messages_sent": demo_mailbox_messages()})


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to; send them to the static one."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


def _legal_page(request: HttpRequest, *, document: str, version: str) -> HttpResponse:
    # The texts are long prose, kept whole per language (templates/legal/) rather than cut
    # into catalogue entries; any language but English reads the Chinese text, which governs.
    language = "en" if (get_language() or "").startswith("en") else "zh_hans"
    return render(
        request,
        "legal/page.html",
        {
            "document": document,
            "body_template": f"legal/{document}_{language}.html",
            "version": version,
            "privacy_email": settings.PRIVACY_CONTACT_EMAIL,
        },
    )


def legal_terms(request: HttpRequest) -> HttpResponse:
    return _legal_page(request, document="terms", version=settings.LEGAL_TERMS_VERSION)


def legal_privacy(request: HttpRequest) -> HttpResponse:
    return _legal_page(request, document="privacy", version=settings.LEGAL_PRIVACY_VERSION)

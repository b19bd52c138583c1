from django.urls import path

from core import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("dev/mail/", pages.demo_mailbox, name="demo-mailbox"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("legal/terms/", pages.legal_terms, name="legal-terms"),
    path("legal/privacy/", pages.legal_privacy, name="legal-privacy"),
]

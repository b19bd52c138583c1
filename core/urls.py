from django.urls import path

from core import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("dev/mail/", pages.demo_mailbox, name="demo-mailbox"),
]

import factory

from notifications.models import Notification
from tests.accounts.factories import PatientUserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(PatientUserFactory)
    kind = "general"
    subject = factory.Sequence(lambda n: f"通知 {n}")
    body = "您的处方已通过药师审核。"
    dedupe_key = factory.Sequence(lambda n: f"test-event-{n}")

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from core import checks  # noqa: F401 - registers the system checks
        from core.middleware import clear_request_context

        request_finished.connect(clear_request_context, dispatch_uid="core.clear_request_context")

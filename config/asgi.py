import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

from core.secret_key import secret_key_require  # noqa: E402 - needs the settings loaded

secret_key_require("serving web requests")

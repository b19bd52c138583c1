import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from core.secret_key import secret_key_require

# As in config.wsgi: refused before the apps load.
secret_key_require("serving web requests")

application = get_asgi_application()

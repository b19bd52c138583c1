import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from core.secret_key import secret_key_require

# Refused before the apps and the middleware load: a worker without its key stops at once and
# says why, whatever else in its environment is missing.
secret_key_require("serving web requests")

application = get_wsgi_application()

# The routes, and every view module with them, are loaded now rather than by the first request;
# then all that was loaded, which lives as long as the worker, is frozen: left out of the cyclic
# garbage collector's generations. Python runs a full collection only once the objects promoted
# since the last one reach a quarter of the oldest generation; counted against the whole site,
# each request's reference cycles (request, view, serializers) piled up over thousands of
# requests, several MiB in every worker. Frozen objects are also never scanned again.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - imports the URLconf
gc.collect()
gc.freeze()

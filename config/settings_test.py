"""Settings for the test suite: production settings with test-friendly transport.

DATABASE_URL and REDIS_URL are honoured as in production, so CI runs on PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault(
    "XINGLIN_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test")
)

from config.settings import *  # noqa: F403
from config.settings import CACHES, REST_FRAMEWORK, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks in-process; tests/integration starts a real worker on the real broker
# with CELERY_TASK_ALWAYS_EAGER=false in its environment.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test worker gets a cache of its own (on Redis: its own database number, away from the
# broker's), so the cache can be emptied before every test without touching another worker's.
_worker_number = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if REDIS_URL:  # noqa: F405
    _redis_base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL  # noqa: F405
    CACHES = {
        "default": {
            **CACHES["default"],
            "LOCATION": f"{_redis_base}/{1 + _worker_number % 15}",
        }
    }
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min"},
}
ACCOUNT_RATE_LIMITS = False

# whitenoise warns about a missing STATIC_ROOT on every request otherwise.
os.makedirs(STATIC_ROOT, exist_ok=True)  # noqa: F405

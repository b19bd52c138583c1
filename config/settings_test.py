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
# Each test process gets its own cache namespace so parallel workers do not share throttles.
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": f"xinglin-test-{os.getpid()}"}}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min"},
}
ACCOUNT_RATE_LIMITS = False

# whitenoise warns about a missing STATIC_ROOT on every request otherwise.
os.makedirs(STATIC_ROOT, exist_ok=True)  # noqa: F405

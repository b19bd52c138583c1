"""Settings for Xinglin, read from the environment.

With nothing set, the defaults are safe for production (DEBUG off, HTTPS-only cookies,
HSTS). `make run` sets DEBUG=true and uses the embedded default: SQLite and a filesystem
Celery broker, so it needs no server. Production sets DATABASE_URL and REDIS_URL.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("XINGLIN_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
# Without a key from the environment, commands that need no secret (makemigrations, check,
# migrate) still run; serving, workers, other commands and the deploy check refuse
# (core/secret_key.py).
SECRET_KEY_FROM_ENVIRONMENT = bool(SECRET_KEY)
if not SECRET_KEY:
    SECRET_KEY = (
        "insecure-development-key-only-for-debug-mode" if DEBUG else get_random_secret_key()
    )

# Keys for tamper-evident chains and signatures; separate from SECRET_KEY so that rotating
# sessions does not invalidate the audit trail.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default=SECRET_KEY)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "config.apps.MultiFactorConfig",  # allauth.mfa, named in the admin
    "allauth.headless",
    "config.apps.AxesConfig",  # axes, named in the admin
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "django_celery_beat",
    "django_celery_results",
    "django_htmx",
    "phonenumber_field",
    "csp",
    # ours, from the general to the specific
    "core",
    "accounts",
    "audit",
    "notifications",
    "payments",
    "insurance",
    "hospital",
    "pharmacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestContextMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMfaRequiredMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # After authentication: it records who asked, and whether they were refused.
    "audit.middleware.AccessLogMiddleware",
    # last: axes must see the outcome of authentication
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "notifications.context_processors.unread_notifications",
                "core.context_processors.site_licences",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'xinglin.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Web, worker and beat write at once on the embedded default: WAL lets readers go on
    # while one writes, IMMEDIATE takes the write lock up front instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections are worth several times the throughput on database views.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- cache and broker ---------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, reusing its redis-py client (see core/cache.py).
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "xinglin",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task whose worker died (acks_late: never acknowledged) goes back to the queue once it
    # has been out this long; it must exceed CELERY_TASK_TIME_LIMIT, or a slow task would run
    # twice at once. The sweep that puts such tasks back runs every restore interval.
    _visibility_timeout = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": _visibility_timeout,
        "unacked_restore_interval": max(1, min(60, _visibility_timeout // 2)),
        "unacked_restore_throttle": 1,
        # A Redis gone without closing the connection must not hold a request (or the
        # outbox relay after its commit) forever.
        "socket_timeout": 5,
        "socket_connect_timeout": 2,
        # A publish to a Redis that refuses connections gives up at once instead of retrying
        # for about 6 s inside the request: the outbox row waits for the next relay. (The
        # worker's own reconnect loop has its own limits, broker_connection_max_retries.)
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
# Where tasks go unless routed: a site that runs several deployments on one Redis names its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Our tasks are idempotent, so a task whose worker died is safely run again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic scans; the DatabaseScheduler copies these entries into the database at start.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "hospital-expire-unpaid-appointments": {
        "task": "hospital.tasks.expire_unpaid_appointments",
        "schedule": timedelta(minutes=1),
    },
    "hospital-expire-unpaid-house-calls": {
        "task": "hospital.tasks.expire_unpaid_house_calls",
        "schedule": timedelta(minutes=5),
    },
    "hospital-mark-no-shows": {
        "task": "hospital.tasks.mark_no_shows",
        "schedule": timedelta(minutes=5),
    },
    "hospital-generate-slots": {
        "task": "hospital.tasks.generate_slots",
        "schedule": timedelta(hours=6),
    },
    # Expert requests not confirmed within the tier's promise are refunded; unpaid ones lapse.
    "hospital-expire-expert-requests": {
        "task": "hospital.tasks.expire_expert_requests",
        "schedule": timedelta(minutes=1),
    },
    "hospital-alert-unclaimed-quick-consults": {
        "task": "hospital.tasks.alert_unclaimed_quick_consults",
        "schedule": timedelta(minutes=1),
    },
    # Access already ends at expires_at; the scan marks them and tells the doctors.
    "hospital-expire-mdt-consultations": {
        "task": "hospital.tasks.expire_mdt_consultations",
        "schedule": timedelta(minutes=5),
    },
    # Outbox rows written while the broker was down (core.outbox).
    "core-relay-outbox": {
        "task": "core.tasks.relay_outbox",
        "schedule": timedelta(minutes=1),
    },
    # Requests only ever read their own key; old keys are swept here, not on every request.
    "core-expire-idempotency-keys": {
        "task": "core.tasks.expire_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    "pharmacy-expire-unpaid-orders": {
        "task": "pharmacy.tasks.expire_unpaid_orders",
        "schedule": timedelta(minutes=1),
    },
    "pharmacy-review-batch-expiry": {
        "task": "pharmacy.tasks.review_batch_expiry",
        "schedule": timedelta(hours=6),
    },
    "pharmacy-poll-shipments": {
        "task": "pharmacy.tasks.poll_shipments",
        "schedule": timedelta(minutes=2),
    },
    "hospital-review-credential-expiry": {
        "task": "hospital.tasks.review_credential_expiry",
        "schedule": timedelta(hours=24),
    },
    "hospital-alert-overdue-prescription-reviews": {
        "task": "hospital.tasks.alert_overdue_prescription_reviews",
        "schedule": timedelta(minutes=1),
    },
    "audit-checkpoint-access-log": {
        "task": "audit.tasks.checkpoint_access_log",
        "schedule": timedelta(hours=1),
    },
    # Reminders are rows found due by this scan, never far-future Celery ETAs.
    "notifications-dispatch-due": {
        "task": "notifications.tasks.dispatch_due_notifications",
        "schedule": timedelta(minutes=1),
    },
    "notifications-fail-stuck-deliveries": {
        "task": "notifications.tasks.fail_stuck_deliveries",
        "schedule": timedelta(minutes=5),
    },
    # Hourly rather than at midnight: a missed run (a restart) is caught up within the hour.
    "hospital-expire-prescriptions": {
        "task": "hospital.tasks.expire_prescriptions",
        "schedule": timedelta(hours=1),
    },
    # 对账 of the day before, once its late callbacks (a gateway retries for minutes) are in.
    "insurance-reconcile-previous-day": {
        "task": "insurance.tasks.reconcile_previous_day",
        "schedule": crontab(hour=0, minute=30),
    },
    # Settlements the centre answered without confirming: asked again (6301) until it says.
    "insurance-refresh-pending-settlements": {
        "task": "insurance.tasks.refresh_pending_settlements",
        "schedule": timedelta(minutes=5),
    },
    # The day's payout run: approved claims are reimbursed in one batch a day, as insurers
    # pay; a payout the gateway refused is tried again the next day (or at once from the admin).
    "insurance-pay-out-approved-claims": {
        "task": "insurance.tasks.pay_out_approved_claims",
        "schedule": crontab(hour=16, minute=0),
    },
    # Medication schedule (dose reminders are scheduled notices, sent by the notifications
    # scan): doses past their window marked missed; refill and follow-up reminders hourly,
    # each sent once a supply or visit (an hourly run catches up a missed one the same day).
    "hospital-mark-missed-medication-doses": {
        "task": "hospital.tasks.mark_missed_medication_doses",
        "schedule": timedelta(minutes=5),
    },
    "hospital-send-medication-refill-reminders": {
        "task": "hospital.tasks.send_medication_refill_reminders",
        "schedule": timedelta(hours=1),
    },
    "hospital-send-follow-up-reminders": {
        "task": "hospital.tasks.send_follow_up_reminders",
        "schedule": timedelta(hours=1),
    },
    # Doctor-set device test reminders, booked ahead as scheduled notices (hourly: a missed
    # run catches up, a repeated one books nothing twice).
    "hospital-plan-device-test-reminders": {
        "task": "hospital.tasks.plan_device_test_reminders",
        "schedule": timedelta(hours=1),
    },
    # Health bonuses for the month before, once its last day's readings are in.
    "hospital-grant-health-incentives": {
        "task": "hospital.tasks.grant_health_incentives",
        "schedule": crontab(day_of_month=1, hour=2, minute=0),
    },
}
# --- notifications ------------------------------------------------------------------------
# The SMS provider's adapter (notifications.sms.SmsGateway); the console one prints messages.
SMS_PROVIDER = env.str("SMS_PROVIDER", default="notifications.sms.ConsoleSmsGateway")
# The WeChat subscription-message adapter (notifications.wechat.WechatGateway), same shape.
WECHAT_PROVIDER = env.str("WECHAT_PROVIDER", default="notifications.wechat.ConsoleWechatGateway")
# --- insurance ----------------------------------------------------------------------------
# The medical-insurance centre's adapter; the built-in simulator acts as the centre.
INSURANCE_GATEWAY = env.str("INSURANCE_GATEWAY", default="insurance.gateway.simulator.Simulator")
# The simulator answers 2207 with a "success" it does not confirm (tests, demo of 6301).
INSURANCE_GATEWAY_SIMULATE_UNCONFIRMED = env.bool(
    "INSURANCE_GATEWAY_SIMULATE_UNCONFIRMED", default=False
)
# Online sales settle through the mobile-payment chain (6201 upload fees → 6202 payment order →
# 6203 refund); "counter" settles them with 2206 / 2207 / 2601 where the region's centre has not
# opened mobile payment.
INSURANCE_SETTLEMENT_CHAIN = env.str("INSURANCE_SETTLEMENT_CHAIN", default="mobile")
if INSURANCE_SETTLEMENT_CHAIN not in ("mobile", "counter"):
    raise ImproperlyConfigured("INSURANCE_SETTLEMENT_CHAIN is mobile or counter.")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True

# --- auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# Adds the consent to the user agreement and privacy policy to every signup form: allauth's
# web form and the headless app/browser API both derive from this class.
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.signup.SignupConsentForm"
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_ONLY = False
# allauth's session tokens, looked up in one query (see accounts.authentication).
HEADLESS_TOKEN_STRATEGY = "accounts.authentication.SessionTokenStrategy"  # noqa: S105 - a class path
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Xinglin"

# Session limits, in seconds. Staff (doctors, pharmacists, claims officers, operators) read and
# change many patients' records, often on shared ward and pharmacy workstations: a screen left
# signed in is the likeliest way someone else acts in their name, so their sessions end after 15
# idle minutes and, however active, 12 hours after signing in (a shift; a longer session is one
# nobody is watching). Patients keep the normal session: 30 idle minutes, renewed while used.
SESSION_IDLE_TIMEOUT_STAFF = env.int("SESSION_IDLE_TIMEOUT_STAFF", default=15 * 60)
SESSION_ABSOLUTE_LIMIT_STAFF = env.int("SESSION_ABSOLUTE_LIMIT_STAFF", default=12 * 60 * 60)
SESSION_IDLE_TIMEOUT_PATIENT = env.int("SESSION_IDLE_TIMEOUT_PATIENT", default=30 * 60)
SESSION_COOKIE_AGE = 12 * 60 * 60
# Sessions are read on every signed-in request (browser cookie or app session token): from the
# shared cache, falling back to the database, which stays the record (logins survive a cache
# flush). Logging out, changing the password or disabling the account deletes every session of
# the account from both (accounts.services.account_sessions_end).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Login lockout (accounts.services.login_attempt_begin), on the web login, the app API login and
# password confirmations: five attempts for one email address from one client address, then
# that pair is locked for 30 minutes. Five is enough for a person who mistypes; counted in a
# locked database row, so concurrent attempts cannot get past it, and keyed by the address the
# trusted proxies saw (TRUSTED_PROXY_COUNT), so a forged X-Forwarded-For neither dodges nor
# resets it. allauth's own rate limits (ACCOUNT_RATE_LIMITS, in the cache) stay as a softer
# limit per address and per account across addresses.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_DURATION = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))

AXES_HANDLER = "accounts.admin_login.AdminLoginLockoutHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = LOGIN_LOCKOUT_DURATION
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
# Axes guards the admin login; the login lockout above guards the account pages and app API.
AXES_ONLY_ADMIN_SITE = True
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Number of reverse proxies in front of the web processes whose X-Forwarded-For we trust.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # `anon` per client address, `user` per account: one cache round trip a request.
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.RequestRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
    },
    "EXCEPTION_HANDLER": "core.api.exception_handler.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xinglin API",
    "DESCRIPTION": "Internet hospital and online pharmacy: care, prescriptions, shop, insurance.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs work offline and under our content security policy: Swagger UI and Redoc come
    # from our static files (drf-spectacular-sidecar), Swagger UI's init script from its own
    # URL (SpectacularSwaggerSplitView, config/urls.py), and no badge from swagger.io.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.error_responses_document",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RecordSourceEnum": "hospital.records.models.RecordSource",
        "AllergyStatusEnum": "hospital.records.models.Allergy.Status",
        "MedicationStatusEnum": "hospital.records.models.Medication.Status",
        "MedicationSourceEnum": "hospital.records.models.Medication.Source",
        "ReadingKindEnum": "hospital.records.models.Reading.Kind",
        "ReadingStatusEnum": "hospital.records.models.Reading.Status",
        "MedicalDocumentKindEnum": "hospital.records.models.MedicalDocument.Kind",
        "MedicalDocumentStatusEnum": "hospital.records.models.MedicalDocument.Status",
        "ProductKindEnum": "pharmacy.models.catalog.Product.Kind",
        "OrderStatusEnum": "pharmacy.models.orders.Order.Status",
        "ShipmentStatusEnum": "pharmacy.models.orders.Shipment.Status",
        "CredentialKindEnum": "hospital.doctors.models.Credential.Kind",
        "CredentialStatusEnum": "hospital.doctors.models.Credential.Status",
        "PrescriptionStatusEnum": "hospital.prescriptions.models.Prescription.Status",
        "PrescriptionReviewReasonEnum": "hospital.prescriptions.models.Prescription.ReviewReason",
        "RenewalRequestStatusEnum": "hospital.prescriptions.models.RenewalRequest.Status",
        "CategoryEnum": "hospital.records.models.Allergy.Category",
        "InsuranceItemCategoryEnum": "insurance.models.Category",
        "PolicyStatusEnum": "insurance.models.Policy.Status",
        "ClaimStatusEnum": "insurance.models.Claim.Status",
        "SettlementStatusEnum": "insurance.models.Settlement.Status",
        "ClaimReviewReasonEnum": "insurance.models.Claim.ReviewReason",
        "ClaimLineDecisionEnum": "insurance.models.ClaimLine.Decision",
        "MdtStatusEnum": "hospital.consultations.models.MdtConsultation.Status",
        "MdtInvitationStatusEnum": "hospital.consultations.models.MdtInvitation.Status",
        "ReferralStatusEnum": "hospital.consultations.models.Referral.Status",
        "ReferralOutcomeEnum": "hospital.consultations.models.Referral.Outcome",
        "FindingInterventionOutcomeEnum": (
            "hospital.prescriptions.models.FindingIntervention.Outcome"
        ),
        "HouseCallStatusEnum": "hospital.housecalls.models.HouseCall.Status",
        "HouseCallCancelledByEnum": "hospital.housecalls.models.HouseCall.CancelledBy",
        "HouseCallTriageOutcomeEnum": "hospital.housecalls.models.HouseCall.TriageOutcome",
        "WechatSubscriptionModeEnum": "notifications.models.WechatSubscription.Mode",
        "ModeEnum": "hospital.doctors.models.ConsultationMode",
    },
}

# Largest request body accepted, in bytes; larger gets a 413 JSON answer.
REQUEST_BODY_LIMIT = env.int("REQUEST_BODY_LIMIT", default=3 * 1024 * 1024)
# Uploads (certificates, attachments) have their own per-file limits; this caps the body.
UPLOAD_BODY_LIMIT = env.int("UPLOAD_BODY_LIMIT", default=12 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_BODY_LIMIT
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {
        "BACKEND": env.str(
            "DEFAULT_FILE_STORAGE_BACKEND",
            default="django.core.files.storage.FileSystemStorage",
        ),
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# --- email --------------------------------------------------------------------------------
# The public address of the site: links in emails and notifications are built on it (core.links),
# never on a request's Host header. Production sets its https address (deploy check xinglin.W001).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
SITE_NAME = "杏林"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
DEMO_MAILBOX_DIR = VAR_DIR / "mail"
if env.str("EMAIL_URL", default="") or not DEBUG:
    EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
    vars().update(EMAIL_CONFIG)
else:
    # The demo: printed on the console and kept under var/mail/ for the page /dev/mail/.
    EMAIL_BACKEND = "core.mail.DemoMailboxBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Xinglin <noreply@xinglin.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security -----------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        # Redoc builds its search worker from a blob: URL; nothing else makes workers.
        "worker-src": ["'self'", "blob:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "core.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}

# --- retention ----------------------------------------------------------------------------
# How long each kind of record is kept at least, in years. Nothing here deletes them: the API and
# the admin offer no delete for these (void, cancel or archive instead; tests/security/
# test_retention.py), and a deployment archives them once the period has passed.
#   consultation: 医疗机构病历管理规定 (2013) art. 29, outpatient records 15 years after the
#     last visit
#   prescription: kept with the outpatient record (the 处方管理办法 art. 50 minimum is 1–3 years)
#   order: 药品经营质量管理规范 (GSP) and 药品网络销售监督管理办法, sales records 5 years
#   settlement, claim, payment: 会计档案管理办法 (2015) art. 14, accounting vouchers 30 years
#   access_log: kept as long as the longest-kept records it is about
RETENTION_YEARS = {
    "consultation": 15,
    "prescription": 15,
    "order": 5,
    "settlement": 30,
    "claim": 30,
    "payment": 30,
    "access_log": 30,
}

# --- domain -------------------------------------------------------------------------------
# Payment gateways by name. Each signs its callbacks with its own secret; real Alipay/WeChat Pay
# adapters are added here next to the sandbox (payments.providers).
PAYMENT_DEFAULT_PROVIDER = env.str("PAYMENT_DEFAULT_PROVIDER", default="sandbox")
PAYMENT_PROVIDERS = {
    "sandbox": {
        "class": "payments.providers.sandbox.SandboxProvider",
        "webhook_secret": env.str("PAYMENT_SANDBOX_SECRET", default=f"sandbox:{SECRET_KEY}"),
    },
}
# The sandbox refuses every payout when set: how a failed payout looks, and its retry.
PAYMENT_SANDBOX_PAYOUTS_FAIL = env.bool("PAYMENT_SANDBOX_PAYOUTS_FAIL", default=False)

# --- licences and legal texts -------------------------------------------------------------
# What a Chinese internet hospital and online pharmacy must show on every page (templates/
# base.html footer). The defaults are demo values; a deployment sets the numbers it was issued.
LICENCE_INTERNET_HOSPITAL = env.str(
    "LICENCE_INTERNET_HOSPITAL", default="PDY00000X11000000000（演示）"
)
LICENCE_DRUG_ONLINE_SALES = env.str(
    "LICENCE_DRUG_ONLINE_SALES", default="（京）网药销备字〔2026〕第000000号（演示）"
)
LICENCE_DRUG_INFORMATION = env.str(
    "LICENCE_DRUG_INFORMATION", default="（京）-经营性-2026-0000（演示）"
)
ICP_RECORD_NUMBER = env.str("ICP_RECORD_NUMBER", default="京ICP备00000000号-1（演示）")
ICP_RECORD_URL = env.str("ICP_RECORD_URL", default="https://beian.miit.gov.cn/")
CUSTOMER_SERVICE_PHONE = env.str("CUSTOMER_SERVICE_PHONE", default="400-000-0000")
CUSTOMER_SERVICE_EMAIL = env.str("CUSTOMER_SERVICE_EMAIL", default="service@xinglin.test")
PRIVACY_CONTACT_EMAIL = env.str("PRIVACY_CONTACT_EMAIL", default="privacy@xinglin.test")
# The versions of the user agreement and privacy policy (templates/legal/). A new text gets a
# new version; each consent record keeps the versions the person accepted.
LEGAL_TERMS_VERSION = env.str("LEGAL_TERMS_VERSION", default="2026-12-01")
LEGAL_PRIVACY_VERSION = env.str("LEGAL_PRIVACY_VERSION", default="2026-12-01")

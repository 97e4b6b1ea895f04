"""Settings, all read from the environment, with no side effects.

Safe production defaults (DEBUG off, SECRET_KEY required) unless DEBUG is set.
With DATABASE_URL / REDIS_URL unset, they point at the embedded PostgreSQL and
Redis under var/ (config.embedded); importing them starts nothing, the entry
points do (`make run`, `make test`, `manage.py` in development).
"""

import datetime as dt
import os
from pathlib import Path

import csp.constants as csp
import dj_database_url

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


_EMBEDDED = not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL")
DATABASE_URL = os.environ.get("DATABASE_URL") or embedded.postgres_url()
REDIS_URL = os.environ.get("REDIS_URL") or embedded.redis_url()

DEBUG = envbool("DEBUG", False)
# Embedded services mean a laptop, a demo or a test run: development. Configured services
# mean production unless RPM_ENV says otherwise; seed_demo refuses to run there.
RPM_ENV = os.environ.get("RPM_ENV") or ("development" if _EMBEDDED else "production")
if RPM_ENV == "development":
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-not-secret")
else:
    SECRET_KEY = os.environ["SECRET_KEY"]
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if RPM_ENV == "development" else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")


INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "channels",
    "rpm",
    "patients",
    "devices",
    "alerts",
    "clinic",
    "staff",
]
if RPM_ENV == "development":
    INSTALLED_APPS.append("demo")  # seed_demo and the simulator; production leaves them out

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "rpm.sessions.SessionLimitsMiddleware",
    "rpm.two_factor.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "rpm.headers.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a locked-out sign-in into the lockout answer
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# A connection pool per process, not persistent connections: under ASGI (daphne) every request runs its sync code
# in a new thread, so CONN_MAX_AGE would open, and leak, one PostgreSQL connection per request ("too many clients").
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": 2, "max_size": envint("DB_POOL_MAX_SIZE", 16), "timeout": 10,
}
if os.environ.get("TEST_DATABASE_NAME"):  # lets several test runs share one server
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG and RPM_ENV != "development")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
WHITENOISE_USE_FINDERS = True  # serve straight from static/ without a collectstatic step

CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",  # first: its WWW-Authenticate makes a refused token 401, not 403
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "rpm.api_errors.AutoSchema",
    "EXCEPTION_HANDLER": "rpm.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {"TITLE": "RPM dashboard API", "VERSION": "1", "SERVE_INCLUDE_SCHEMA": False}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("CHANNEL_PREFIX", "rpm")},
    }
}

# The live push's Redis (clinic.live_bus): REDIS_URL unless set; LIVE_REDIS_CLUSTER=1 when it names a node of a Redis
# Cluster (sharded pub/sub on Redis 7+). Celery and the cache stay on REDIS_URL.
LIVE_REDIS_URL = os.environ.get("LIVE_REDIS_URL") or REDIS_URL
LIVE_REDIS_CLUSTER = envbool("LIVE_REDIS_CLUSTER", False)

# Live dashboard: one frame per socket at most every LIVE_COALESCE_MS (bursts are batched), and how often a
# socket re-reads the user's care teams (a removal takes effect within this time, without a reload).
LIVE_COALESCE_MS = envint("LIVE_COALESCE_MS", 50)
LIVE_RECHECK_SECONDS = float(os.environ.get("LIVE_RECHECK_SECONDS", 30))

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A device must get its answer even when the broker is down: fail fast, the sweep catches up.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 0.5, "socket_timeout": 1}
CELERY_TASK_PUBLISH_RETRY = False

# Who hears about an alert change (alerts.notifiers): the dashboards, and e-mail for high alerts.
ALERT_NOTIFIERS = [
    "clinic.notifiers.InAppNotifier", "alerts.notifiers.EmailNotifier", "alerts.notifiers.AppriseNotifier",
]

# The console backend writes whole messages (MRNs, vitals) to the process's output, so only development gets it by
# default; elsewhere EMAIL_HOST (SMTP) or EMAIL_BACKEND must be set, else the e-mail notifier refuses to start and
# says so (alerts.notifiers).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend" if RPM_ENV == "development" else "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "rpm-alerts@localhost")

# Device ingestion limits (DESIGN.md contract)
INGEST_MAX_BATCH = 5000
INGEST_MAX_BODY_BYTES = envint("INGEST_MAX_BODY_BYTES", 2 * 1024 * 1024)
INGEST_BACKFILL_DAYS = envint("INGEST_BACKFILL_DAYS", 30)
INGEST_FUTURE_TOLERANCE_SECONDS = 300
DEVICE_RATE_LIMIT_PER_MINUTE = envint("DEVICE_RATE_LIMIT_PER_MINUTE", 600)
DATA_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_BODY_BYTES

# The readings table is partitioned by month (devices.partitions): beat keeps this many months made ahead, and,
# when RPM_READINGS_RETENTION_MONTHS is set, drops whole months older than that (unset: keep everything).
RPM_READINGS_PARTITIONS_AHEAD = envint("RPM_READINGS_PARTITIONS_AHEAD", 3)
RPM_READINGS_RETENTION_MONTHS = (int(os.environ["RPM_READINGS_RETENTION_MONTHS"])
                                 if os.environ.get("RPM_READINGS_RETENTION_MONTHS", "").strip() else None)

# Interoperability (devices/fhir, devices/hl7, devices/mqtt): the MRN's identifier system in FHIR resources; the
# HL7 v2 listener's port and the devices known by sending facility; the MQTT broker and topic prefix.
FHIR_MRN_SYSTEM = os.environ.get("FHIR_MRN_SYSTEM", "urn:rpm:mrn")
MLLP_BIND = os.environ.get("MLLP_BIND", "127.0.0.1")
MLLP_PORT = envint("MLLP_PORT", 2575)
# a gateway that sends no OBX-18: "SENDING_FACILITY=DEVICE_SERIAL,..." (MSH-4 -> the device it speaks for)
MLLP_FACILITY_DEVICES = dict(item.split("=", 1) for item in envlist("MLLP_FACILITY_DEVICES") if "=" in item)
MQTT_URL = os.environ.get("MQTT_URL") or embedded.mqtt_url()
MQTT_TOPIC_PREFIX = os.environ.get("MQTT_TOPIC_PREFIX", "rpm")
MQTT_CLIENT_ID = os.environ.get("MQTT_CLIENT_ID", "rpm-mqtt-bridge")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Security: roles, audit, readiness, mail (issue 11, sec-a) ----------------------------------------------------
# Every audit row carries the address and user agent of the request it was written for (rpm.audit).
MIDDLEWARE += ["rpm.middleware.AuditOriginMiddleware"]
# Readiness (/readyz/, alerts.readiness): how long a worker may take to answer a ping, and how old beat's heartbeat
# (every 30 s) may be before alerting counts as stalled and the dashboard says "alerts are delayed".
READY_WORKER_TIMEOUT_SECONDS = float(os.environ.get("READY_WORKER_TIMEOUT_SECONDS", 1.0))
READY_BEAT_MAX_AGE_SECONDS = envint("READY_BEAT_MAX_AGE_SECONDS", 120)
# Break-glass access to a patient outside one's care teams lasts this long (clinic.break_glass).
BREAK_GLASS_MINUTES = envint("BREAK_GLASS_MINUTES", 60)
# Access logs (uvicorn's when WEB_ACCESS_LOG=1, runserver's) keep paths without their query strings
# (rpm.log_filters). uvicorn's is off by default: the proxy in front keeps one (docs/deploy.md), and a line per
# device post cost the web process a tenth of its CPU at 1,000 posts/s.
WEB_ACCESS_LOG = os.environ.get("WEB_ACCESS_LOG", "0") == "1"
LOGGING["filters"] = {"redact_query": {"()": "rpm.log_filters.RedactQueryStrings"}}
for _access_log, _on in (("uvicorn.access", WEB_ACCESS_LOG), ("django.server", True)):
    LOGGING["loggers"][_access_log] = {"handlers": ["console"], "filters": ["redact_query"],
                                       "level": "INFO" if _on else "WARNING", "propagate": False}

# --- Sign-in, sessions, API tokens and response headers (issue 11, items 3-5) ------------------------------------
PRODUCTION = RPM_ENV != "development"
INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static", "csp",
                   "drf_spectacular_sidecar"]
TEMPLATES[0]["OPTIONS"]["context_processors"] += ["rpm.sessions.session_timer"]
# django-axes checks for a lockout first; ModelBackend then checks the password
AUTHENTICATION_BACKENDS = ["rpm.sign_in.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]

# Sessions end after RPM_SESSION_IDLE_MINUTES without a request, and RPM_SESSION_ABSOLUTE_HOURS after sign-in
# (rpm.sessions); the page warns RPM_SESSION_WARNING_SECONDS before the idle end.
RPM_SESSION_IDLE_MINUTES = envint("RPM_SESSION_IDLE_MINUTES", 30)
RPM_SESSION_ABSOLUTE_HOURS = envint("RPM_SESSION_ABSOLUTE_HOURS", 12)
RPM_SESSION_WARNING_SECONDS = envint("RPM_SESSION_WARNING_SECONDS", 120)
SESSION_COOKIE_AGE = RPM_SESSION_IDLE_MINUTES * 60

# API tokens (django-rest-knox): stored as SHA-512 digests, ending RPM_API_TOKEN_HOURS after issue.
REST_KNOX = {"TOKEN_TTL": dt.timedelta(hours=envint("RPM_API_TOKEN_HOURS", 12)), "AUTH_HEADER_PREFIX": "Token",
             "AUTO_REFRESH": False}

# Lockout (django-axes): the RPM_SIGN_IN_FAILURE_LIMIT-th failure for a username, or from an address, locks
# signing in there for RPM_LOCKOUT_MINUTES, on the login page, the token endpoint and Django admin.
AXES_FAILURE_LIMIT = envint("RPM_SIGN_IN_FAILURE_LIMIT", 5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("RPM_LOCKOUT_MINUTES", 30))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "rpm.sign_in.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no start-up banner in every command's output (it broke the simulator's first line)
AXES_IPWARE_PROXY_COUNT = envint("RPM_PROXY_COUNT", 1 if PRODUCTION else 0)  # proxies in front that add an address
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PRODUCTION else ["REMOTE_ADDR"]

# Two-factor sign-in (django-otp, TOTP with recovery codes) for admins and physicians; on in production.
RPM_REQUIRE_2FA = envbool("RPM_REQUIRE_2FA", PRODUCTION)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "RPM dashboard")

# Content-Security-Policy (django-csp): scripts only from our static files or with the response's nonce.
# Styles allow inline: plotly.js and Swagger UI insert <style> elements (no script can run from a style).
# Swagger UI comes from drf-spectacular-sidecar (static files), its start-up script from a URL, not inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "font-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}
SPECTACULAR_SETTINGS.update({
    # Swagger UI only: Redoc's bundle loads its logo from a CDN
    "SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"ReadingStoredStatusEnum": ["created", "duplicate"],
                            "ReadingOutcomeStatusEnum": ["created", "duplicate", "rejected"],
                            "PatientStatusEnum": "patients.models.Patient.Status"},
    "APPEND_COMPONENTS": {"securitySchemes": {"deviceToken": {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "a device's credential: `Device <token>`"}}},
})

# Production: HTTPS only, behind a proxy that terminates TLS and says so in X-Forwarded-Proto.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]  # the load balancer's probes speak plain HTTP
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)

"""Runway settings: one module, driven by the environment.

RUNWAY_ENV (development | staging | production) picks safe defaults; every
variable read here is documented in .env.example.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file is a convenience for development; real environments set
# variables directly, and those always win over the file.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ENVIRONMENT
RUNWAY_ENV = env.str("RUNWAY_ENV", default="development")
if RUNWAY_ENV not in {"development", "staging", "production"}:
    raise ImproperlyConfigured(
        f"RUNWAY_ENV must be development, staging or production, not {RUNWAY_ENV!r}."
    )
IS_DEVELOPMENT = RUNWAY_ENV == "development"

DEBUG = env.bool("DEBUG", default=IS_DEVELOPMENT)

# The development key only ever signs local demo sessions; anywhere else the
# key must come from the environment and be long enough to resist guessing.
_DEV_SECRET_KEY = "development-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if IS_DEVELOPMENT else "")
if not IS_DEVELOPMENT and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or shorter than 50 characters; it is required when "
        f"RUNWAY_ENV={RUNWAY_ENV}. Generate one with: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if IS_DEVELOPMENT else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# APPS
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "django_htmx",
    "template_partials",
    "simple_history",
    "django_celery_beat",
    "csp",
    "portal",
    "projects",
    "assessments",
    "metrics",
    "risks",
    "controls",
    "inventory",
    "telemetry",
    "integrations",
    "evaluations",
]

MIDDLEWARE = [
    # First: times and counts every request with the status the client gets.
    "telemetry.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.NulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.UserSessionsMiddleware",
    "portal.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "portal.User"

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
                "csp.context_processors.nonce",
                "portal.context_processors.shell",
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "portal.templatetags.money",
            ],
        },
    }
]

# DATABASE
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's psycopg pool; pooling and persistent connections are exclusive.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=1),
        "max_size": env.int("DATABASE_POOL_MAX", default=8),
        "timeout": 10,
    }
    # Prepared on the server: the few written-out statements of the hottest
    # requests (core.rows.statement_cursor). Django's own queries never are.
    # Off for a pooler in transaction mode that cannot keep prepared statements.
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
        0 if env.bool("DATABASE_PREPARED_STATEMENTS", default=True) else None
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat write to one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Covering indexes are a PostgreSQL speed-up; SQLite builds them without the extra
    # columns, which is all the development database needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# CACHE
CACHE_URL = env.str("CACHE_URL", default="")
if not CACHE_URL and not IS_DEVELOPMENT:
    raise ImproperlyConfigured(
        "CACHE_URL is required when RUNWAY_ENV is staging or production (e.g. "
        "redis://127.0.0.1:6379/1): login rate limits must be shared by every process."
    )
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "portal.cache.SharedClientRedisCache",
            "LOCATION": CACHE_URL,
        }
    }
elif CACHE_URL:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def code_fingerprint(base: Path) -> str:
    """A digest of the code, templates and static files: the same on every host and
    process running one release, different after any change to them."""
    digest = hashlib.sha256()
    # Every app (a folder with an apps.py), the shared core, templates and static files.
    apps = sorted(p.name for p in base.iterdir() if (p / "apps.py").is_file())
    for folder in ("core", *apps, "templates", "static"):
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in {".py", ".html", ".css", ".js"} and path.is_file():
                digest.update(path.relative_to(base).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# Cached renderings and values outlive a process but not a release: an older release's
# HTML or pickled objects must never be served by a newer one (or the other way round,
# during a rolling deploy). RUNWAY_RELEASE (e.g. the git SHA) names the release; without
# it, a digest of the code does.
RUNWAY_RELEASE = env.str("RUNWAY_RELEASE", default="") or code_fingerprint(BASE_DIR)
CACHES["default"]["KEY_PREFIX"] = f"runway-{RUNWAY_RELEASE}"

# AUTHENTICATION
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "account_login"
# Invitation links are one-time tokens with the lifetime of a password reset.
PASSWORD_RESET_TIMEOUT = env.int("INVITATION_TIMEOUT_SECONDS", default=3 * 24 * 3600)

# Sessions end after this much inactivity; every request slides the window. The
# store writes an unchanged session back at most every SESSION_REFRESH_SECONDS, so
# a session may end up to that much before the timeout, never after it.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ENGINE = "portal.sessions"
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# ALLAUTH
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "portal.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Runway"
USERSESSIONS_TRACK_ACTIVITY = True
# portal.middleware.UserSessionsMiddleware records the activity allauth's own would,
# at most this often per session unless the IP address or the browser changes.
USERSESSIONS_ACTIVITY_INTERVAL_SECONDS = 60
# Admins must have TOTP before they may use Runway; off in development so the
# demo accounts work at once.
RUNWAY_MFA_REQUIRED_FOR_ADMINS = env.bool(
    "RUNWAY_MFA_REQUIRED_FOR_ADMINS", default=not IS_DEVELOPMENT
)

# Single sign-on through OpenID Connect (Okta, Entra ID, Google Workspace...),
# switched on by OIDC_SERVER_URL. Only users invited beforehand may sign in,
# unless OIDC_AUTO_PROVISION lets the identity provider create accounts.
OIDC_SERVER_URL = env.str("OIDC_SERVER_URL", default="")
OIDC_AUTO_PROVISION = env.bool("OIDC_AUTO_PROVISION", default=False)
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_PROVIDERS: dict[str, Any] = {}
if OIDC_SERVER_URL:
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": env.str("OIDC_PROVIDER_ID", default="sso"),
                "name": env.str("OIDC_PROVIDER_NAME", default="Single sign-on"),
                "client_id": env.str("OIDC_CLIENT_ID"),
                "secret": env.str("OIDC_CLIENT_SECRET"),
                "settings": {"server_url": OIDC_SERVER_URL},
            }
        ],
    }

# SECURITY HEADERS
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Browsers' preload lists require a max-age of at least a year: asking for preload
    # with less would pin the site to a list it does not qualify for.
    SECURE_HSTS_PRELOAD = (
        env.bool("SECURE_HSTS_PRELOAD", default=True)
        and SECURE_HSTS_SECONDS >= 60 * 60 * 24 * 365
    )

# Scripts only from our own origin and with the request's nonce; plotly.js
# injects one <style> element, hence the inline allowance for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}

# STATIC FILES
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# EMAIL
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Runway <runway@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# INTERNATIONALISATION
LANGUAGE_CODE = "en-gb"
# Dates are written one way (ISO 8601) in pages and in date inputs: portal/formats.
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# CELERY
# With no broker URL, kombu's filesystem transport in var/ lets a real worker
# and beat run without any server. Its folders are made by the app (portal.celery)
# whenever a worker, beat or any command that sends a task starts using them.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env.str("RUNWAY_BROKER_DIR", default=str(VAR_DIR)))
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(_broker_dir / "broker"),
        "data_folder_out": str(_broker_dir / "broker"),
        "data_folder_processed": str(_broker_dir / "broker-processed"),
        "control_folder": str(_broker_dir / "broker-control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
else:
    # Unacknowledged tasks come back after this; it must exceed the longest task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# ENCRYPTION OF STORED CREDENTIALS
# Comma-separated Fernet keys, newest first; older keys still decrypt.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS and not IS_DEVELOPMENT:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS is required when RUNWAY_ENV is staging or production. "
        "Generate a key with: python3 -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    )

# DEMO
RUNWAY_DEMO_PASSWORD = env.str("RUNWAY_DEMO_PASSWORD", default="")

# LOGGING: structured JSON on stdout, one object per line.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "portal.logging.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "runway.security": {"level": "INFO"},
    },
}

# The Django admin (catalogs and support) lives away from the obvious address.
DJANGO_ADMIN_URL = env.str("DJANGO_ADMIN_URL", default="django-admin/")

# PROJECTS
# A project is flagged as stalled after this many days without activity in its current step.
RUNWAY_STALLED_AFTER_DAYS = env.int("RUNWAY_STALLED_AFTER_DAYS", default=14)
# Accepting a risk whose residual score (likelihood × impact, 1–25) reaches this needs an
# executive's sign-off with a reason and an expiry.
RUNWAY_RISK_ACCEPTANCE_THRESHOLD = env.int(
    "RUNWAY_RISK_ACCEPTANCE_THRESHOLD", default=15
)
# Evidence uploads: the largest file accepted, and the kinds of file.
RUNWAY_EVIDENCE_MAX_BYTES = env.int(
    "RUNWAY_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024
)
RUNWAY_EVIDENCE_EXTENSIONS = env.list(
    "RUNWAY_EVIDENCE_EXTENSIONS",
    default=[
        "pdf",
        "png",
        "jpg",
        "jpeg",
        "txt",
        "md",
        "csv",
        "json",
        "docx",
        "xlsx",
        "pptx",
    ],
)

# The address people use to reach Runway, for links in emails.
RUNWAY_BASE_URL = env.str("RUNWAY_BASE_URL", default="http://127.0.0.1:8000")

# METRICS CONNECTORS
# Hosts a connected service may reach although they are internal (plain http or a
# private address), e.g. a Prometheus inside the company network. Comma-separated.
RUNWAY_CONNECTOR_ALLOWED_HOSTS = env.list("RUNWAY_CONNECTOR_ALLOWED_HOSTS", default=[])
# Hourly samples older than this are deleted by a daily job; the daily rollups stay.
RUNWAY_HOURLY_RETENTION_DAYS = env.int("RUNWAY_HOURLY_RETENTION_DAYS", default=90)

# NOTIFICATION CHANNELS
# Channel deliveries (and their attempts) finished more than this many days ago are
# deleted by a daily job.
INTEGRATIONS_DELIVERY_RETENTION_DAYS = env.int(
    "INTEGRATIONS_DELIVERY_RETENTION_DAYS", default=90
)

# TELEMETRY
# /metrics (Prometheus format) answers a bearer of this token, or a client whose
# REMOTE_ADDR is in the comma-separated addresses or CIDR networks; with neither
# set, nobody. Anyone else gets a 404.
RUNWAY_METRICS_TOKEN = env.str("RUNWAY_METRICS_TOKEN", default="")
RUNWAY_METRICS_ALLOWED_IPS = env.list("RUNWAY_METRICS_ALLOWED_IPS", default=[])

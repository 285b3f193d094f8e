"""Clientela settings, driven by environment variables (see .env.example)."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("CLIENTELA_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use CLIENTELA_SECRET_KEY, else a key generated once and kept in the data directory."""
    configured = os.environ.get("CLIENTELA_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # O_EXCL so two processes starting together cannot write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("CLIENTELA_DEBUG")
ALLOWED_HOSTS = env_list("CLIENTELA_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CLIENTELA_CSRF_TRUSTED_ORIGINS")
# The test runner sets this; pytest being loaded is the fallback for IDE runs.
TESTING = env_bool("CLIENTELA_TESTING", default="pytest" in sys.modules)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "ninja",
    "clientela.core",
    "clientela.accounts",
    "clientela.timeline",
    "clientela.contacts",
    "clientela.orders",
    "clientela.activities",
    "clientela.webforms",
    "clientela.catalog",
    "clientela.deals",
    "clientela.billing",
    "clientela.delivery",
    "clientela.tracking",
    "clientela.segments",
    "clientela.sales",
    "clientela.campaigns",
    "clientela.analytics",
    "clientela.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clientela.core.middleware.ContentSecurityPolicyMiddleware",
    "clientela.core.middleware.NullCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clientela.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "clientela.accounts.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clientela.urls"
WSGI_APPLICATION = "clientela.wsgi.application"

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
                "clientela.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("CLIENTELA_DATABASE_URL", f"sqlite:///{DATA_DIR / 'clientela.sqlite3'}"),
        conn_max_age=int(os.environ.get("CLIENTELA_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write transactions.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
_test_url = os.environ.get("CLIENTELA_TEST_DATABASE_URL")
if _test_url and TESTING:
    DATABASES["default"] = dj_database_url.parse(_test_url)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "CLIENTELA_DB_PREPARED_STATEMENTS", default=True
):
    # The hottest queries (clientela.core.compiled) ask to run as prepared statements; psycopg
    # prepares nothing unless a threshold is set, and this one is never reached by the rest.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1

if TESTING:
    # Fast hashing keeps the suite quick; production keeps Django's default PBKDF2/Argon2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
OTP_TOTP_ISSUER = "Clientela"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("CLIENTELA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("CLIENTELA_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = env_bool("CLIENTELA_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HSTS: once the site is served over HTTPS only, tell browsers never to use plain HTTP for it.
# Off by default (a laptop install answers on http://localhost); see docs/operations.md.
SECURE_HSTS_SECONDS = int(os.environ.get("CLIENTELA_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CLIENTELA_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("CLIENTELA_HSTS_PRELOAD")
# Scripts from this site only, no inline script (styles may be inline: templates set widths and
# colours in style attributes); nothing may frame the pages, post forms elsewhere or load
# plugins. Overridable whole with CLIENTELA_CSP.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CLIENTELA_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CLIENTELA_CACHE_URL"],
        }
        if os.environ.get("CLIENTELA_CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("CLIENTELA_TIME_ZONE", "America/Bogota")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["clientela.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at start-up when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Background tasks: the database backend by default (no broker to run); "rq" sends them through
# Redis (CLIENTELA_RQ_URL) to `clientela worker` processes on any number of machines (pip
# install "clientela[rq]"); "immediate" runs them in the caller (some tests).
TASKS_BACKEND_NAME = os.environ.get(
    "CLIENTELA_TASKS_BACKEND", "immediate" if env_bool("CLIENTELA_TASKS_IMMEDIATE") else "database"
)
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "rq": "django_tasks_rq.RQBackend",
        }.get(TASKS_BACKEND_NAME, "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
if TASKS_BACKEND_NAME == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {
        "default": {
            "URL": os.environ.get("CLIENTELA_RQ_URL", "redis://127.0.0.1:6379/0"),
            # Seconds a task may run before RQ stops it (imports and sends work in small steps).
            "DEFAULT_TIMEOUT": int(os.environ.get("CLIENTELA_RQ_TIMEOUT", "3600")),
        }
    }

EMAIL_BACKEND = os.environ.get(
    "CLIENTELA_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("CLIENTELA_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CLIENTELA_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("CLIENTELA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CLIENTELA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CLIENTELA_EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("CLIENTELA_EMAIL_USE_SSL")
# Seconds before a silent SMTP server counts as a temporary failure (well inside the lease).
EMAIL_TIMEOUT = int(os.environ.get("CLIENTELA_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get(
    "CLIENTELA_DEFAULT_FROM_EMAIL", "Clientela <no-reply@localhost>"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CLIENTELA_LOG_LEVEL", "WARNING")},
}

# Product settings.
CLIENTELA = {
    "DEFAULT_PHONE_REGION": os.environ.get("CLIENTELA_PHONE_REGION", "CO"),
    "COMPANY_CURRENCY": os.environ.get("CLIENTELA_CURRENCY", "COP"),
    # The tax rate (percent) a new product gets unless it says otherwise (Colombia's IVA).
    "DEFAULT_TAX_RATE": os.environ.get("CLIENTELA_DEFAULT_TAX_RATE", "19"),
    "API_RATE": os.environ.get("CLIENTELA_API_RATE", "6000/m"),
    # Tracking batches (POST /t/events) one IP address may send (django-ratelimit, over the
    # default cache: per process with the local-memory cache, shared with Redis).
    "TRACK_RATE": os.environ.get("CLIENTELA_TRACK_RATE", "600/m"),
    # The header a reverse proxy sets to the client's address ("X-Real-IP"); empty: the
    # connection's address (public endpoints' rate limits count per client address).
    "CLIENT_IP_HEADER": os.environ.get("CLIENTELA_CLIENT_IP_HEADER", ""),
    # Days page views and clicks are kept (0: for ever); the nightly purge deletes older ones.
    "TRACK_RETENTION_DAYS": int(os.environ.get("CLIENTELA_TRACK_RETENTION_DAYS", "395")),
    "IMPORT_BATCH_SIZE": int(os.environ.get("CLIENTELA_IMPORT_BATCH_SIZE", "10000")),
    # Processes cleaning import rows beside the writer (unset: one per CPU core; 0 or 1: none).
    "IMPORT_WORKERS": int(os.environ["CLIENTELA_IMPORT_WORKERS"])
    if os.environ.get("CLIENTELA_IMPORT_WORKERS")
    else None,
    # Public web forms (clientela.webforms). The address links in e-mails point at (the
    # double opt-in confirmation), the hosts a form may redirect to after a submission, the
    # time trap, the rate limits (per visitor IP and per form) and the proof of work.
    "PUBLIC_URL": os.environ.get("CLIENTELA_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
    "FORM_REDIRECT_HOSTS": env_list("CLIENTELA_FORM_REDIRECT_HOSTS"),
    "FORM_MIN_FILL_SECONDS": float(os.environ.get("CLIENTELA_FORM_MIN_FILL_SECONDS", "3")),
    "FORM_TOKEN_MAX_AGE": int(os.environ.get("CLIENTELA_FORM_TOKEN_MAX_AGE", "86400")),
    "FORM_RATE_IP": os.environ.get("CLIENTELA_FORM_RATE_IP", "20/m"),
    "FORM_RATE_FORM": os.environ.get("CLIENTELA_FORM_RATE_FORM", "1200/m"),
    "ALTCHA_MAX_NUMBER": int(os.environ.get("CLIENTELA_ALTCHA_MAX_NUMBER", "50000")),
    # Inbound leads: Meta's Graph API (a local fake in tests) and the per-IP rate of the hooks.
    "META_GRAPH_URL": os.environ.get("CLIENTELA_META_GRAPH_URL", "https://graph.facebook.com"),
    "HOOK_RATE_IP": os.environ.get("CLIENTELA_HOOK_RATE_IP", "600/m"),
    "CONFIRM_MAX_AGE_DAYS": int(os.environ.get("CLIENTELA_CONFIRM_MAX_AGE_DAYS", "30")),
    # The outbound worker (clientela.delivery): messages claimed per batch, attempts before a
    # temporarily failing message is given up, how long a claim lasts (a killed worker's batch
    # is sent by another after it), and the first retry's wait (doubled on each attempt).
    "DELIVERY_BATCH": int(os.environ.get("CLIENTELA_DELIVERY_BATCH", "100")),
    "DELIVERY_MAX_ATTEMPTS": int(os.environ.get("CLIENTELA_DELIVERY_MAX_ATTEMPTS", "8")),
    "DELIVERY_LEASE_SECONDS": int(os.environ.get("CLIENTELA_DELIVERY_LEASE_SECONDS", "300")),
    "DELIVERY_RETRY_SECONDS": int(os.environ.get("CLIENTELA_DELIVERY_RETRY_SECONDS", "60")),
    "DELIVERY_THREADS": int(os.environ.get("CLIENTELA_DELIVERY_THREADS", "4")),
    # E-mail campaigns (clientela.campaigns): the postal address every marketing footer shows
    # (anti-spam laws ask for one), and how many recipients the snapshot queues per batch.
    "COMPANY_ADDRESS": os.environ.get("CLIENTELA_COMPANY_ADDRESS", ""),
    "CAMPAIGN_BATCH": int(os.environ.get("CLIENTELA_CAMPAIGN_BATCH", "2000")),
    # The sender addresses and "@domains" campaigns may send from (empty: any address).
    "CAMPAIGN_SENDERS": env_list("CLIENTELA_CAMPAIGN_SENDERS"),
    # Mail operations (clientela.delivery): the domain of per-message bounce addresses
    # (bounce+<token>@ and unsubscribe+<token>@; empty: no VERP, no mailto unsubscribe), the
    # sender id of Feedback-ID, open/click tracking of marketing mail, soft bounces before an
    # address is suppressed, the windows that flag machine opens and scanner clicks, the SMTP
    # receiver of bounces and the mailbox the worker reads them from (imaps://user:pass@host).
    "MAIL_BOUNCE_DOMAIN": os.environ.get("CLIENTELA_MAIL_BOUNCE_DOMAIN", ""),
    "MAIL_FEEDBACK_SENDER": os.environ.get("CLIENTELA_MAIL_FEEDBACK_SENDER", "clientela"),
    "MAIL_TRACKING": env_bool("CLIENTELA_MAIL_TRACKING", default=True),
    "MAIL_SOFT_BOUNCE_LIMIT": int(os.environ.get("CLIENTELA_MAIL_SOFT_BOUNCE_LIMIT", "3")),
    "MAIL_MACHINE_OPEN_SECONDS": float(os.environ.get("CLIENTELA_MAIL_MACHINE_OPEN_SECONDS", "2")),
    "MAIL_SCANNER_CLICK_SECONDS": float(
        os.environ.get("CLIENTELA_MAIL_SCANNER_CLICK_SECONDS", "10")
    ),
    "MAIL_BOUNCE_LISTEN": os.environ.get("CLIENTELA_MAIL_BOUNCE_LISTEN", "127.0.0.1:2525"),
    "MAIL_BOUNCE_MAILBOX": os.environ.get("CLIENTELA_MAIL_BOUNCE_MAILBOX", ""),
}

# Provider webhooks (django-anymail): HTTP basic auth "user:password" the provider is given;
# unset, a random secret nobody knows makes every webhook call answer 400 (nothing trusted).
ANYMAIL = {
    "WEBHOOK_SECRET": os.environ.get("CLIENTELA_ANYMAIL_WEBHOOK_SECRET")
    or f"disabled:{secrets.token_urlsafe(24)}",
}
# django-ratelimit counts in the default cache (LocMem per process; Redis when
# CLIENTELA_CACHE_URL is set, so every worker shares the counts).
RATELIMIT_USE_CACHE = "default"

"""chorusweb settings: one module, every value read through django-environ.

Every variable is documented in `.env.example`. Debug is off unless `DJANGO_DEBUG=true`
is set (`make run` and the tests set it): only then do the development keys, the built-in
sandbox and the relaxed security defaults apply. Without it, a secret key, an encryption
key and the hosts must be provided.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.management.utils import get_random_secret_key
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from chorusweb.devkeys import DEV_FIELD_KEY, DEV_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = BASE_DIR / ".env"
if _env_file.is_file():
    env.read_env(str(_env_file))

DEBUG = env.bool("DJANGO_DEBUG", default=False)


# Without DJANGO_DEBUG=true there are no development keys: a missing key is an error of the
# system checks (chorusweb.E001, E004: runserver, migrate, workers, `check`) and of the WSGI/ASGI
# start-up (chorusweb.checks.require_keys), while commands that need no key (makemigrations) run.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else "")
#: Keys that production must set and did not (reported by chorusweb.checks; never served).
CHORUSWEB_MISSING_KEYS = [] if SECRET_KEY else ["DJANGO_SECRET_KEY"]
SECRET_KEY = SECRET_KEY or get_random_secret_key()  # a throw-away key of this process only

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Fernet keys (urlsafe base64, 32 bytes) used to encrypt secrets at rest. Several keys,
# comma-separated, allow rotation: the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[DEV_FIELD_KEY] if DEBUG else [])
if not FIELD_ENCRYPTION_KEY:
    CHORUSWEB_MISSING_KEYS.append("FIELD_ENCRYPTION_KEY")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "crontask",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "chorusweb.apps.ChoruswebConfig",
    "invoices.apps.InvoicesConfig",
    "validators.apps.ValidatorsConfig",
    "dashboard.apps.DashboardConfig",
    "alerts.apps.AlertsConfig",
    "issuers.apps.IssuersConfig",
    "sandbox.apps.SandboxConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chorusweb.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "chorusweb.middleware.HtmxVaryMiddleware",
    "chorusweb.middleware.HtmxMessagesMiddleware",
    "chorusweb.middleware.HtmxRedirectMiddleware",
    # After HtmxRedirectMiddleware, so that their redirects also navigate htmx requests.
    "chorusweb.security.SessionHygieneMiddleware",
    "chorusweb.security.SecondFactorMiddleware",
    "chorusweb.middleware.UpstreamErrorMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chorusweb.urls"
WSGI_APPLICATION = "chorusweb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chorusweb.context_processors.navigation",
            ],
        },
    }
]
# Forms and widgets render through Django's Jinja2 copies of its templates (chorusweb/forms.py).
FORM_RENDERER = "chorusweb.forms.FormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections in production (opening one costs ~10 ms a request on PostgreSQL),
# checked before reuse so that a restarted database never serves an error; per request in
# development (runserver's threads) unless set.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0 if DEBUG else 60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dashboard and the sandbox share the file safely.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file too (not the shared in-memory database), so that threads (live server,
    # concurrency tests) wait on locks like production does instead of failing at once.
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3"))

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://chorusweb")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login protection (django-axes): failed logins are counted per account and, separately, per
# address; past the limit, that account or address is locked for the cool-off time (an
# administrator can unlock it earlier: admin, "Tentatives de connexion" or the users' action).
AUTHENTICATION_BACKENDS = [
    "chorusweb.security.LoginProtectionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("CHORUSWEB_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CHORUSWEB_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "chorusweb.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "chorusweb.security.client_ip"
AXES_VERBOSE = False

# Two-factor authentication (django-otp, TOTP and recovery codes): required for staff and for
# anyone who can act on a connection when on (the default in production), optional otherwise.
CHORUSWEB_REQUIRE_2FA = env.bool("CHORUSWEB_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("CHORUSWEB_OTP_ISSUER", default="chorusweb")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Sessions: ended after CHORUSWEB_IDLE_TIMEOUT_MINUTES without activity (0: never; the page
# warns two minutes before), at the latest after DJANGO_SESSION_COOKIE_AGE seconds; ended
# too when the password changes or a role (membership) of the user is removed.
CHORUSWEB_IDLE_TIMEOUT_MINUTES = env.int("CHORUSWEB_IDLE_TIMEOUT_MINUTES", default=0 if DEBUG else 30)
# Django's database sessions, each request's row read in one statement (chorusweb/sessions.py).
SESSION_ENGINE = "chorusweb.sessions"
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=14 * 24 * 3600 if DEBUG else 12 * 3600)

# Internationalisation: French first, English second.
LANGUAGE_CODE = "fr"
# Translators: each language keeps its own name (Français, English) in every language.
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# Numbers in pages are not grouped (ids and counts go into attributes and URLs); amounts are
# grouped by the `money` filter, which asks for grouping explicitly.
USE_THOUSAND_SEPARATOR = False

# Static files, served by whitenoise with hashed, compressed names.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# A file missing from the manifest is served under its plain name instead of raising.
WHITENOISE_MANIFEST_STRICT = False
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Security. Production (DEBUG off) is hardened by default; each value can be overridden.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
#: Behind a reverse proxy, the client's address is the last one it appends to X-Forwarded-For.
CHORUSWEB_BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if CHORUSWEB_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# FactPulse. The default API URL is the built-in sandbox served by this same process.
FACTPULSE_API_URL = env.str("FACTPULSE_API_URL", default="http://127.0.0.1:8000/sandbox")
FACTPULSE_CONNECT_TIMEOUT = env.float("FACTPULSE_CONNECT_TIMEOUT", default=5.0)
FACTPULSE_READ_TIMEOUT = env.float("FACTPULSE_READ_TIMEOUT", default=30.0)
FACTPULSE_DOWNLOAD_TIMEOUT = env.float("FACTPULSE_DOWNLOAD_TIMEOUT", default=300.0)
FACTPULSE_MAX_RETRIES = env.int("FACTPULSE_MAX_RETRIES", default=3)
FACTPULSE_RETRY_BACKOFF = env.float("FACTPULSE_RETRY_BACKOFF", default=0.5)
FACTPULSE_USER_AGENT = env.str("FACTPULSE_USER_AGENT", default="chorusweb/0.1 (+https://github.com/chorusweb)")

# The sandbox: on in the embedded configuration, off in production unless set explicitly.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=DEBUG)
SANDBOX_TOKEN_LIFETIME = env.int("SANDBOX_TOKEN_LIFETIME", default=1800)
SANDBOX_SEED = env.int("SANDBOX_SEED", default=2026)
SANDBOX_CLOCK_OFFSET_DAYS = env.float("SANDBOX_CLOCK_OFFSET_DAYS", default=0.0)
SANDBOX_LARGE_DOCUMENTS = env.bool("SANDBOX_LARGE_DOCUMENTS", default=False)
SANDBOX_REFRESH_LIFETIME = env.int("SANDBOX_REFRESH_LIFETIME", default=7 * 24 * 3600)
SANDBOX_DOWNLOAD_LIMIT_MB = env.float("SANDBOX_DOWNLOAD_LIMIT_MB", default=120.0)
SANDBOX_DOWNLOAD_MAX_INVOICES = env.int("SANDBOX_DOWNLOAD_MAX_INVOICES", default=10)
# Faults on from start-up (the control API /sandbox/_control/faults overrides them).
SANDBOX_LATENCY_MS = env.int("SANDBOX_LATENCY_MS", default=0)
SANDBOX_ERROR_RATE = env.float("SANDBOX_ERROR_RATE", default=0.0)
SANDBOX_ERROR_STATUS = env.int("SANDBOX_ERROR_STATUS", default=503)

# Background work (synchronisations, bulk actions, scheduled jobs): Django's tasks framework
# with a durable, database-backed queue (django-tasks-db). Workers are separate processes
# (`manage.py db_worker`), as many as wanted on any machine sharing the database; the
# schedule is `manage.py crontask` (django-crontask). See chorusweb/tasks.py.
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# The scheduler's lock: with Redis, only one scheduler process holds it (the others wait as
# stand-ins), so each tick fires once however many machines run a scheduler.
CRONTASK = {"REDIS_URL": env.str("CRONTASK_REDIS_URL", default="") or None}
# Minutes between two synchronisations of every active connection (decimals allowed).
CHORUSWEB_SYNC_EVERY = env.float("CHORUSWEB_SYNC_EVERY", default=10.0)
# Minutes between two reconciliations of interrupted actions and of lost tasks.
CHORUSWEB_RECOVER_EVERY = env.float("CHORUSWEB_RECOVER_EVERY", default=1.0)
# A worker writes its heartbeat every N seconds; silent for STALE seconds, it is gone.
CHORUSWEB_WORKER_HEARTBEAT = env.float("CHORUSWEB_WORKER_HEARTBEAT", default=5.0)
CHORUSWEB_WORKER_STALE_SECONDS = env.float("CHORUSWEB_WORKER_STALE_SECONDS", default=30.0)
# Workers lower their CPU priority by this much (os.nice) when they start their first task: a
# sync or a bulk run yields the processor to the pages people wait for. 19, the lowest: a
# background task runs on the processor time the pages leave (on a busy 2-core server, a
# continuous sync took 30 % of the pages' throughput at 10). 0 keeps the priority.
CHORUSWEB_WORKER_NICENESS = env.int("CHORUSWEB_WORKER_NICENESS", default=19)
# An interrupted action whose target status is still not reached after this many minutes is
# shown "non confirmée" for a person to decide (never resent automatically).
CHORUSWEB_UNCONFIRMED_AFTER_MINUTES = env.float("CHORUSWEB_UNCONFIRMED_AFTER_MINUTES", default=10.0)
# Finished task rows are purged after this many days.
CHORUSWEB_TASK_RETENTION_DAYS = env.int("CHORUSWEB_TASK_RETENTION_DAYS", default=30)

# Received invoices and validation workspaces.
CHORUSWEB_PAGE_SIZE = 50
CHORUSWEB_SYNC_PAGE_SIZE = env.int("CHORUSWEB_SYNC_PAGE_SIZE", default=1000)
CHORUSWEB_SYNC_OVERLAP_MINUTES = env.int("CHORUSWEB_SYNC_OVERLAP_MINUTES", default=10)
CHORUSWEB_BULK_MAX = 200
CHORUSWEB_DOWNLOAD_BATCH = 10

# Alerts and digests by e-mail (alerts/). Mails go out through EMAIL_URL (django-environ:
# smtp://user:password@host:25, smtp+tls://...:587, smtp+ssl://...:465, consolemail://,
# filemail://); in the embedded default (debug) they are written as files under var/mail/
# (EMAIL_FILE_PATH), listed for staff at /notifications/courriels/; production defaults to
# an SMTP server on this machine.
_email = env.email_url("EMAIL_URL", default="filemail://" if DEBUG else "smtp://127.0.0.1:25")
_mail_dir = env.path("EMAIL_FILE_PATH", default=BASE_DIR / "var" / "mail")
_mail_options: dict = {}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": _email.get("EMAIL_HOST") or "127.0.0.1",
        "port": _email.get("EMAIL_PORT") or 25,
        "username": _email.get("EMAIL_HOST_USER") or "",
        "password": _email.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        "timeout": env.int("EMAIL_TIMEOUT", default=20),
    }
elif _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    _mail_options = {"file_path": str(_mail_dir)}
# Django 6.1's mailers (the EMAIL_HOST... settings are deprecated).
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="chorusweb <chorusweb@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address of the dashboard as users reach it: the links of the mails start with it.
CHORUSWEB_BASE_URL = env.str("CHORUSWEB_BASE_URL", default="http://127.0.0.1:8000")
# A payment due within this many days is told ("échéance proche").
CHORUSWEB_ALERTS_DUE_SOON_DAYS = env.int("CHORUSWEB_ALERTS_DUE_SOON_DAYS", default=5)
# Minutes between two runs of the mail sender (immediate notices, digests, retries).
CHORUSWEB_ALERTS_SEND_EVERY = env.float("CHORUSWEB_ALERTS_SEND_EVERY", default=5.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    # A refused page (403, 404, ...) is a WARNING line, never a traceback.
    "filters": {"refusals": {"()": "chorusweb.logs.RefusalWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        # The scheduler logs every job it runs (the lock refresh every 5 s): warnings only.
        "apscheduler": {"level": "WARNING"},
        # Task starts and ends, once (not also through Django's debug console handler).
        "django.tasks": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

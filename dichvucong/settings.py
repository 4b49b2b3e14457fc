"""Settings, read once from the environment.

Development defaults are safe to run on a laptop; with DJANGO_ENV=production the process refuses to start on
a default secret key or with DEBUG on (see `check_production`).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from dichvucong.accounts.pkce import pkce_required

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DVC_VAR_DIR", BASE_DIR / "var"))

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # refused in production by check_production()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
PORT = int(os.environ.get("PORT", "8000"))


def check_production() -> None:
    """Refuse to run in production with development secrets or debugging on."""
    if not PRODUCTION:
        return
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs SECRET_KEY set to a random value of 32+ characters"
        )
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_ENV=production refuses DEBUG=true")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS")


check_production()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "oauth2_provider",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "dichvucong.core",
    "dichvucong.accounts",
    "dichvucong.organisations",
    "dichvucong.catalogue",
    "dichvucong.dossiers",
    "dichvucong.payments",
    "dichvucong.feedback",
    "dichvucong.support",
    "dichvucong.stats",
    "dichvucong.monitoring",
    "dichvucong.api",
    "dichvucong.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dichvucong.core.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dichvucong.accounts.middleware.PortalSessionMiddleware",
    "dichvucong.accounts.middleware.AgencyScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dichvucong.core.middleware.NotFoundMiddleware",
    "dichvucong.stats.middleware.VisitCounterMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dichvucong.urls"
WSGI_APPLICATION = "dichvucong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dichvucong.web.context_processors.portal",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or ""
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'dichvucong.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # throttling and lockout first
    "dichvucong.accounts.backends.RolePermissionBackend",
]
LOGIN_URL = "/dang-nhap/"
LOGIN_REDIRECT_URL = "/tai-khoan/"

# argon2id; see dichvucong/accounts/hashers.py. OWASP's first configuration by default (m=19 MiB, t=2, p=1).
PASSWORD_HASHERS = [
    "dichvucong.accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "dichvucong.accounts.hashers.ClientSecretHasher",
]
ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
ARGON2_MEMORY_KIB = int(os.environ.get("ARGON2_MEMORY_KIB", "19456"))
ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "1"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "dichvucong" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Identification numbers are never written to logs (dichvucong/core/logging.py).
    "filters": {"redact": {"()": "dichvucong.core.logging.RedactIdentifiers"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Fragment cache (rendered procedure bodies keyed by version and language). In-process by default; set
# CACHE_URL=redis://… in production so that every worker shares it.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL.startswith("redis")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dichvucong"}
}

# --- Catalogue and search -------------------------------------------------------------------------------------
# Search results per page on the site and the API's maximum `limit`.
SEARCH_PAGE_SIZE = int(os.environ.get("SEARCH_PAGE_SIZE", "20"))
API_MAX_LIMIT = int(os.environ.get("API_MAX_LIMIT", "100"))
# Below this rapidfuzz score (0-100) a vocabulary word is not taken as the correction of a typo.
SEARCH_TYPO_MIN_SCORE = int(os.environ.get("SEARCH_TYPO_MIN_SCORE", "70"))
# Procedure code prefixes the catalogue accepts. DOMAIN.md: 1, 2, 3 are confirmed; 5 and 6 (internal procedures)
# are unconfirmed (?), so they are configurable.
PROCEDURE_CODE_PREFIXES = env_list("PROCEDURE_CODE_PREFIXES", "1,2,3,5,6")
# Four-eyes review of procedure versions (docs/back-office.md): the officer who sent a version for review may not
# publish it. Off only where an agency has a single catalogue officer.
CATALOGUE_REVIEW_FOUR_EYES = env_bool("CATALOGUE_REVIEW_FOUR_EYES", True)

# --- Accounts, identity provider, single sign-on ---------------------------------------------------------------
# The national identity provider (VNeID) the portal is a client of. In development it is `sandbox-idp`
# (sandboxes/idp), started by `make run`; a real provider is configuration only.
IDP_ISSUER = os.environ.get("IDP_ISSUER", "http://127.0.0.1:8101")
IDP_CLIENT_ID = os.environ.get("IDP_CLIENT_ID", "dichvucong-portal")
IDP_CLIENT_SECRET = os.environ.get("IDP_CLIENT_SECRET", "sandbox-idp-secret")
IDP_SCOPES = os.environ.get("IDP_SCOPES", "openid profile citizen_id phone email address")
# acr values of the provider → assurance level. Unconfirmed (?) for the real VNeID: configurable.
IDP_ACR_LEVELS = {
    item.split("=")[0]: int(item.split("=")[1])
    for item in env_list("IDP_ACR_LEVELS", "urn:vneid:loa:1=1,urn:vneid:loa:2=2")
}
IDP_TIMEOUT_SECONDS = float(os.environ.get("IDP_TIMEOUT_SECONDS", "10"))
# Where `make run` serves sandbox-rp ("Cổng DVC tỉnh mẫu"); `loaddemo` registers it as a relying party.
SANDBOX_RP_URL = os.environ.get("SANDBOX_RP_URL", "http://127.0.0.1:8102")

# SMS and e-mail go through provider interfaces (dichvucong/core/messaging.py, Django's EMAIL_BACKEND).
SMS_BACKEND = os.environ.get(
    "SMS_BACKEND",
    "dichvucong.core.messaging.FileSmsBackend"
    if not PRODUCTION
    else "dichvucong.core.messaging.HttpSmsBackend",
)
SMS_FILE_PATH = Path(os.environ.get("SMS_FILE_PATH", VAR_DIR / "messages" / "sms.jsonl"))
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
# E-mail (Django 6.1 MAILERS): a file per message under var/ in development, SMTP in production.
EMAIL_BACKEND_NAME = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_NAME,
        "OPTIONS": {"file_path": str(VAR_DIR / "messages" / "email")}
        if EMAIL_BACKEND_NAME.endswith("filebased.EmailBackend")
        else {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
        }
        if EMAIL_BACKEND_NAME.endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "no-reply@dichvucong.example")

# One-time codes by SMS (local accounts, as the portal allowed in 2020).
OTP_TTL_SECONDS = int(os.environ.get("OTP_TTL_SECONDS", "300"))
OTP_RESEND_SECONDS = int(os.environ.get("OTP_RESEND_SECONDS", "60"))
OTP_MAX_PER_HOUR = int(os.environ.get("OTP_MAX_PER_HOUR", "5"))
OTP_MAX_ATTEMPTS = int(os.environ.get("OTP_MAX_ATTEMPTS", "5"))
LOCAL_SIGN_IN_SMS_CODE = env_bool("LOCAL_SIGN_IN_SMS_CODE", True)

# Identifiers (dichvucong/accounts/identifiers.py). DOMAIN.md marks the tax-code check digit unconfirmed (?).
TAX_CODE_VERIFY_CHECK_DIGIT = env_bool("TAX_CODE_VERIFY_CHECK_DIGIT", True)
CITIZEN_ID_EXTRA_PROVINCE_CODES = env_list("CITIZEN_ID_EXTRA_PROVINCE_CODES", "")

# Sign-in throttling and lockout (django-axes): after AXES_FAILURE_LIMIT failures for one account from one
# address, that pair is locked for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dichvucong.web.account_views.locked_out"
AXES_VERBOSE = False

# The portal as OpenID Connect provider (django-oauth-toolkit). OIDC_ISSUER must be set in production (the
# public https address + /oidc); in development it is built from the request.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
OIDC_ISSUER_FALLBACK = f"http://127.0.0.1:{PORT}/oidc"
OIDC_RSA_KEY_BITS = int(os.environ.get("OIDC_RSA_KEY_BITS", "2048"))
OIDC_PKCE_REQUIRED_FOR_ALL = env_bool("OIDC_PKCE_REQUIRED_FOR_ALL", False)
OIDC_LOGOUT_TOKEN_SECONDS = 120
OIDC_BACKCHANNEL_TIMEOUT_SECONDS = float(os.environ.get("OIDC_BACKCHANNEL_TIMEOUT_SECONDS", "3"))
OIDC_BACKCHANNEL_MAX_ATTEMPTS = int(os.environ.get("OIDC_BACKCHANNEL_MAX_ATTEMPTS", "8"))
OIDC_ID_TOKEN_SECONDS = int(os.environ.get("OIDC_ID_TOKEN_SECONDS", "600"))
# Retired signing keys stay in the JWKS this long (longer than any token they signed lives).
OIDC_RETIRED_KEY_PUBLISH_SECONDS = int(os.environ.get("OIDC_RETIRED_KEY_PUBLISH_SECONDS", str(7 * 24 * 3600)))
OAUTH2_PROVIDER_APPLICATION_MODEL = "accounts.RelyingParty"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # The signing keys live in the database (accounts.SigningKey, rotated without a restart); the toolkit only
    # checks that this is set before offering RS256, and every place that would read it is overridden.
    "OIDC_RSA_PRIVATE_KEY": "see accounts.SigningKey",
    "OIDC_ISS_ENDPOINT": OIDC_ISSUER,
    "OAUTH2_VALIDATOR_CLASS": "dichvucong.accounts.oidc.PortalOIDCValidator",
    "SCOPES": {
        "openid": _("Đăng nhập bằng tài khoản Cổng Dịch vụ công"),
        "profile": _("Họ tên, ngày sinh, giới tính"),
        "email": _("Địa chỉ thư điện tử"),
        "phone": _("Số điện thoại"),
        "citizen_id": _("Số định danh cá nhân và mức định danh"),
        "address": _("Địa chỉ theo đơn vị hành chính hiện hành"),
        "business": _("Doanh nghiệp mà bạn đại diện"),
        "dossiers.sync": _("Đồng bộ trạng thái hồ sơ của cơ quan (API cho hệ thống một cửa)"),
    },
    "DEFAULT_SCOPES": ["openid"],
    "PKCE_REQUIRED": pkce_required,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": int(os.environ.get("OIDC_CODE_SECONDS", "60")),
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("OIDC_ACCESS_TOKEN_SECONDS", "600")),
    "ID_TOKEN_EXPIRE_SECONDS": OIDC_ID_TOKEN_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": int(os.environ.get("OIDC_REFRESH_TOKEN_SECONDS", str(8 * 3600))),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RP_INITIATED_LOGOUT_ACCEPT_EXPIRED_TOKENS": True,
    "CLIENT_SECRET_HASHER": "hmac_sha256_secret",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if PRODUCTION else ["http", "https"],
    "ALLOWED_SCHEMES": ["https"] if PRODUCTION else ["http", "https"],
}

# --- Dossiers ----------------------------------------------------------------------------------------------------
# The portal's own public address, for links that leave it (QR codes on receipts, download links given to agency
# systems, e-mails). Required in production.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", f"http://127.0.0.1:{os.environ.get('DVC_PORT', PORT)}")
# Whether the day of receipt is day 1 of a time limit (so "1 working day" is the same day) (?): see
# dichvucong.dossiers.deadlines.due_at.
DOSSIER_RECEIPT_DAY_COUNTS = env_bool("DOSSIER_RECEIPT_DAY_COUNTS", True)
# Largest bulk of status events one request may carry, and the clock skew tolerated on event times.
DOSSIER_SYNC_MAX_EVENTS = int(os.environ.get("DOSSIER_SYNC_MAX_EVENTS", "1000"))
DOSSIER_EVENT_FUTURE_TOLERANCE_SECONDS = int(os.environ.get("DOSSIER_EVENT_FUTURE_TOLERANCE_SECONDS", "300"))
# Attachments: size limit per file and per dossier, and the types accepted (checked on the content).
DOSSIER_MAX_FILE_BYTES = int(os.environ.get("DOSSIER_MAX_FILE_BYTES", str(10 * 1024 * 1024)))
DOSSIER_MAX_DOSSIER_BYTES = int(os.environ.get("DOSSIER_MAX_DOSSIER_BYTES", str(50 * 1024 * 1024)))
DOSSIER_ACCEPTED_TYPES = env_list("DOSSIER_ACCEPTED_TYPES", "application/pdf,image/jpeg,image/png,image/tiff")
# Sessions of the national sync interface (DongBoHoSoMC …) last this long.
LEGACY_SYNC_SESSION_SECONDS = int(os.environ.get("LEGACY_SYNC_SESSION_SECONDS", "3600"))
# Where that interface is served (its real path on the national portal is not public (?): one-stop systems
# configure it as their adapter URL).
LEGACY_SYNC_PATH = os.environ.get("LEGACY_SYNC_PATH", "dvcqg/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    # An S3-compatible object store (django-storages); credentials and endpoint come from the AWS_* variables
    # that django-storages reads.
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}

# --- Celery and outbox ------------------------------------------------------------------------------------------
# Background work runs in Celery (dichvucong/celery.py). The broker is CELERY_BROKER_URL (amqp://… or redis://…
# in production); by default kombu's filesystem transport under var/broker, so that `make run` needs no broker
# server (one worker consumes it; a worker killed with kill -9 loses what it had fetched, which the outbox sweep
# delivers again).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": float(os.environ.get("CELERY_POLLING_SECONDS", "0.5")),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task is acknowledged once done, and given back to the broker if its worker process dies: tasks are small and
# idempotent, so running one twice does no harm, and losing one is not allowed.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Publishing happens after a commit, in the request: give up quickly when the broker is down (the sweep sends
# what was not published).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = TIME_ZONE  # crontab schedules, when there are some, read in Vietnamese time
OUTBOX_SWEEP_SECONDS = float(os.environ.get("OUTBOX_SWEEP_SECONDS", "15"))
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {
        "task": "dichvucong.core.tasks.sweep_outbox",
        "schedule": OUTBOX_SWEEP_SECONDS,
        "options": {"expires": OUTBOX_SWEEP_SECONDS},  # a sweep left in the queue is replaced by the next one
    },
    "deliver-pending-logouts": {
        "task": "dichvucong.accounts.tasks.deliver_pending_logouts",
        "schedule": 30.0,
        "options": {"expires": 30.0},
    },
    "detect-overdue-dossiers": {
        "task": "dichvucong.dossiers.tasks.detect_overdue",
        "schedule": float(os.environ.get("OVERDUE_SCAN_SECONDS", "300")),
        "options": {"expires": 300.0},
    },
    "settle-payment-orders": {
        "task": "dichvucong.payments.tasks.settle_open_orders",
        "schedule": float(os.environ.get("PAYMENT_SETTLE_SECONDS", "60")),
        "options": {"expires": 60.0},
    },
    "feedback-reminders": {
        "task": "dichvucong.feedback.tasks.send_reminders",
        "schedule": float(os.environ.get("FEEDBACK_REMINDER_SECONDS", "900")),
        "options": {"expires": 900.0},
    },
    "stats-roll-up": {
        "task": "dichvucong.stats.tasks.roll_up",
        "schedule": float(os.environ.get("STATS_ROLLUP_SECONDS", "30")),
        "options": {"expires": 30.0},
    },
    "integration-health": {
        "task": "dichvucong.monitoring.tasks.evaluate_integrations",
        "schedule": float(os.environ.get("MONITORING_EVALUATE_SECONDS", "60")),
        "options": {"expires": 60.0},
    },
    "integration-calls-prune": {
        "task": "dichvucong.monitoring.tasks.prune_calls",
        "schedule": 24 * 3600.0,
        "options": {"expires": 3600.0},
    },
}

# The outbox (dichvucong/core/outbox.py). "celery": each message is sent to a worker when its transaction
# commits; "none": nothing is sent (tests call outbox.deliver or deliver_due themselves).
OUTBOX_DISPATCH = os.environ.get("OUTBOX_DISPATCH", "celery")
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "12"))
# Back-off after a failed attempt n: about BASE × 2^(n-1) seconds (half of it random), at most MAX.
OUTBOX_BACKOFF_BASE_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_BASE_SECONDS", "10"))
OUTBOX_BACKOFF_MAX_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_MAX_SECONDS", "3600"))
# How long a worker holds a message it is delivering; longer than any delivery can take (see the timeouts
# below), since another worker takes the message over when it ends.
OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "120"))
OUTBOX_SWEEP_LIMIT = int(os.environ.get("OUTBOX_SWEEP_LIMIT", "200"))

# Agency one-stop systems (hệ thống một cửa điện tử) receive dossiers through a connector chosen per agency
# integration (dichvucong/dossiers/connectors.py): name → class.
ONESTOP_CONNECTORS = {
    "signed_http": "dichvucong.dossiers.connectors.SignedHttpConnector",
}
ONESTOP_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("ONESTOP_CONNECT_TIMEOUT_SECONDS", "5"))
ONESTOP_READ_TIMEOUT_SECONDS = float(os.environ.get("ONESTOP_READ_TIMEOUT_SECONDS", "30"))
# Where `make run` serves sandbox-onestop (Hà Nội's one-stop system); `loaddemo` registers it for UBND-01.
SANDBOX_ONESTOP_URL = os.environ.get("SANDBOX_ONESTOP_URL", "http://127.0.0.1:8103")
# Download addresses of submitted documents given to one-stop systems (DuongDanTaiTep) are signed and expire.
ONESTOP_DOCUMENT_URL_SECONDS = int(os.environ.get("ONESTOP_DOCUMENT_URL_SECONDS", str(7 * 24 * 3600)))

# The online payment platform (dichvucong/payments). Money is an integer number of đồng.
# Provider plugins: a provider's `protocol` → the class that speaks it (dichvucong/payments/providers/).
PAYMENT_PROVIDERS = {
    "vnpay": "dichvucong.payments.providers.vnpay.VnpayProvider",
    "momo": "dichvucong.payments.providers.momo.MomoProvider",
}
# Bill look-up adapters: a biller's `adapter` → the class that looks its bills up (dichvucong/payments/billers.py).
PAYMENT_BILL_ADAPTERS = {
    "signed_json": "dichvucong.payments.billers.SignedJsonAdapter",
}
# How long the payer has to pay an order (the provider's page is given the same deadline).
PAYMENT_ORDER_TTL_SECONDS = int(os.environ.get("PAYMENT_ORDER_TTL_SECONDS", str(15 * 60)))
# A payment the provider made within this long after the deadline still pays the order (its notification may
# be slow); later, the money is kept for refund.
PAYMENT_LATE_GRACE_SECONDS = int(os.environ.get("PAYMENT_LATE_GRACE_SECONDS", "300"))
# A report whose payment time is before the order was made, or after now, by more than this, is refused.
PAYMENT_CLOCK_SKEW_SECONDS = int(os.environ.get("PAYMENT_CLOCK_SKEW_SECONDS", "300"))
# Open orders older than this are settled by asking the provider (the notification may never come).
PAYMENT_QUERY_AFTER_SECONDS = int(os.environ.get("PAYMENT_QUERY_AFTER_SECONDS", "300"))
# Look-ups of bills and checks of receipts that find nothing, allowed per address in a window.
PAYMENT_LOOKUP_ATTEMPTS = int(os.environ.get("PAYMENT_LOOKUP_ATTEMPTS", "10"))
PAYMENT_LOOKUP_WINDOW_SECONDS = int(os.environ.get("PAYMENT_LOOKUP_WINDOW_SECONDS", str(15 * 60)))
# The order page asks the provider itself once an order has waited this long, at most once per EVERY seconds.
PAYMENT_PAGE_SETTLE_AFTER_SECONDS = int(os.environ.get("PAYMENT_PAGE_SETTLE_AFTER_SECONDS", "10"))
PAYMENT_PAGE_SETTLE_EVERY_SECONDS = int(os.environ.get("PAYMENT_PAGE_SETTLE_EVERY_SECONDS", "15"))
PAYMENT_SETTLE_LIMIT = int(os.environ.get("PAYMENT_SETTLE_LIMIT", "500"))
PAYMENT_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("PAYMENT_CONNECT_TIMEOUT_SECONDS", "5"))
PAYMENT_READ_TIMEOUT_SECONDS = float(os.environ.get("PAYMENT_READ_TIMEOUT_SECONDS", "20"))
# Where `make run` serves sandbox-bank (both provider protocols) and sandbox-billers (the agencies' bill
# systems); `loaddemo` registers them.
SANDBOX_BANK_URL = os.environ.get("SANDBOX_BANK_URL", "http://127.0.0.1:8104")
SANDBOX_BILLERS_URL = os.environ.get("SANDBOX_BILLERS_URL", "http://127.0.0.1:8105")
# The national payment platform's interface for one-stop systems (INIT, QUERY, GET_BILL), under this path.
PAYGOV_PATH = os.environ.get("PAYGOV_PATH", "paygov/")
PAYGOV_VERSION = "1.0.6"

# --- Feedback and petitions (phản ánh, kiến nghị) and support ------------------------------------------------------
# Time limits in working days (DOMAIN.md: forwarding within 5 working days of receipt (Decree 20/2008); the
# handling time of 15 working days is unconfirmed (?), hence a setting).
FEEDBACK_FORWARD_WORKING_DAYS = int(os.environ.get("FEEDBACK_FORWARD_WORKING_DAYS", "5"))
FEEDBACK_HANDLING_WORKING_DAYS = int(os.environ.get("FEEDBACK_HANDLING_WORKING_DAYS", "15"))
# Whether an agency that receives feedback transferred from another gets the full handling time again (?);
# when False the first agency's deadline stands.
FEEDBACK_TRANSFER_RESTARTS_CLOCK = env_bool("FEEDBACK_TRANSFER_RESTARTS_CLOCK", True)
# Handlers are reminded this many working days before the answer is due; when it is overdue their heads are
# told, and after this many more working days the heads of the agency above.
FEEDBACK_REMIND_BEFORE_WORKING_DAYS = int(os.environ.get("FEEDBACK_REMIND_BEFORE_WORKING_DAYS", "2"))
FEEDBACK_ESCALATE_AFTER_WORKING_DAYS = int(os.environ.get("FEEDBACK_ESCALATE_AFTER_WORKING_DAYS", "3"))
FEEDBACK_MAX_ATTACHMENTS = int(os.environ.get("FEEDBACK_MAX_ATTACHMENTS", "5"))
# Look-ups of feedback by code and phone that find nothing, allowed per address in a window.
FEEDBACK_LOOKUP_ATTEMPTS = int(os.environ.get("FEEDBACK_LOOKUP_ATTEMPTS", "10"))
FEEDBACK_LOOKUP_WINDOW_SECONDS = int(os.environ.get("FEEDBACK_LOOKUP_WINDOW_SECONDS", str(15 * 60)))
# The Open311 GeoReport v2 interface: where it is served and the jurisdiction it answers for.
OPEN311_PATH = os.environ.get("OPEN311_PATH", "open311/v2/")
OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "dichvucong.gov.vn")
# The agency whose officers run the call centre and the site's help desk (tickets start with it).
SUPPORT_DESK_AGENCY_CODE = os.environ.get("SUPPORT_DESK_AGENCY_CODE", "VPCP")
# The call centre's number, shown on the help centre and in the footer.
SUPPORT_HOTLINE = os.environ.get("SUPPORT_HOTLINE", "18001096")
# Questions a visitor may send from the site per hour (per address), and ticket look-ups that find nothing.
SUPPORT_QUESTIONS_PER_HOUR = int(os.environ.get("SUPPORT_QUESTIONS_PER_HOUR", "20"))
SUPPORT_LOOKUP_ATTEMPTS = int(os.environ.get("SUPPORT_LOOKUP_ATTEMPTS", "10"))
SUPPORT_LOOKUP_WINDOW_SECONDS = int(os.environ.get("SUPPORT_LOOKUP_WINDOW_SECONDS", str(15 * 60)))

# --- Public statistics and the service-quality index (docs/statistics.md) -------------------------------------
# Points of the index's groups (DOMAIN.md, total 100); online service 12 and online payment 10 are unconfirmed (?).
STATS_INDEX_POINTS = {
    "publicity": 18,
    "progress": 20,
    "online_service": int(os.environ.get("STATS_POINTS_ONLINE_SERVICE", "12")),
    "online_payment": int(os.environ.get("STATS_POINTS_ONLINE_PAYMENT", "10")),
    "satisfaction": 18,
    "digitisation": 22,
}
# DOMAIN.md's unit classification (?) of the average rating out of 18: (lower bound, bound included, label).
STATS_SATISFACTION_CLASSES = [
    (15.0, False, _("Xuất sắc")),
    (12.0, True, _("Tốt")),
    (9.0, True, _("Khá")),
    (6.0, True, _("Trung bình")),
    (float("-inf"), True, _("Yếu")),
]
# The same bands scaled to the index's 100 points (no published classification of the index was found).
STATS_INDEX_CLASSES = [
    (15 / 18 * 100, False, _("Xuất sắc")),
    (12 / 18 * 100, True, _("Tốt")),
    (9 / 18 * 100, True, _("Khá")),
    (6 / 18 * 100, True, _("Trung bình")),
    (float("-inf"), True, _("Yếu")),
]
# The social cost saved, estimated per online dossier and per online payment, in đồng (method on the page).
# The press reports give totals (e.g. 4,222 billion đồng a year at 2018's volumes) but no per-unit figure: these
# defaults are assumptions for operators to set.
STATS_SAVING_PER_ONLINE_DOSSIER = int(os.environ.get("STATS_SAVING_PER_ONLINE_DOSSIER", "150000"))
STATS_SAVING_PER_ONLINE_PAYMENT = int(os.environ.get("STATS_SAVING_PER_ONLINE_PAYMENT", "20000"))
# How long the public statistics pages and API answers are cached (seconds); the roll-up runs every
# STATS_ROLLUP_SECONDS.
STATS_CACHE_SECONDS = int(os.environ.get("STATS_CACHE_SECONDS", "60"))
# Cookie that marks a browser already counted as a visit today.
STATS_VISIT_COOKIE = "dvc_visit"

# --- Integration monitoring (issue 7) ---
# The health of agencies' integrations (docs/monitoring.md): the error rate is taken over the last
# MONITORING_WINDOW_MINUTES, and judged only when the window holds at least MONITORING_MIN_CALLS exchanges (a
# handful of calls says little; consecutive failures cover quiet integrations). Rates are fractions (0.25 = 25 %).
MONITORING_WINDOW_MINUTES = int(os.environ.get("MONITORING_WINDOW_MINUTES", "60"))
MONITORING_MIN_CALLS = int(os.environ.get("MONITORING_MIN_CALLS", "10"))
MONITORING_ERROR_RATE_AMBER = float(os.environ.get("MONITORING_ERROR_RATE_AMBER", "0.05"))
MONITORING_ERROR_RATE_RED = float(os.environ.get("MONITORING_ERROR_RATE_RED", "0.25"))
# Failed exchanges in a row (in one direction, within the window): one is amber, this many red.
MONITORING_FAILURES_RED = int(os.environ.get("MONITORING_FAILURES_RED", "3"))
# The age of the oldest undelivered outbox item of the integration (the lag), in minutes.
MONITORING_LAG_MINUTES_AMBER = int(os.environ.get("MONITORING_LAG_MINUTES_AMBER", "15"))
MONITORING_LAG_MINUTES_RED = int(os.environ.get("MONITORING_LAG_MINUTES_RED", "60"))
# How far back the last successful exchange is looked for (the board shows "none in N days" beyond).
MONITORING_LOOKBACK_DAYS = int(os.environ.get("MONITORING_LOOKBACK_DAYS", "7"))
# A one-stop system that has sent no status event for this many hours (having sent some before) is amber: its
# sync may have stopped without any failure to see. 0 turns the rule off.
MONITORING_QUIET_HOURS_AMBER = int(os.environ.get("MONITORING_QUIET_HOURS_AMBER", "24"))
# How long each recorded exchange with an integration is kept (the board looks back MONITORING_LOOKBACK_DAYS).
MONITORING_KEEP_DAYS = int(os.environ.get("MONITORING_KEEP_DAYS", "30"))
# At most this many undelivered outbox items per topic are attributed to integrations on each evaluation.
MONITORING_OUTBOX_SCAN_LIMIT = int(os.environ.get("MONITORING_OUTBOX_SCAN_LIMIT", "5000"))
# Recent calls listed on an integration's page.
MONITORING_RECENT_CALLS = int(os.environ.get("MONITORING_RECENT_CALLS", "50"))

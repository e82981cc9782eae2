"""Kontor settings, read from the environment (django-environ).

Development defaults exist so that `make run` works on a fresh machine;
production secrets have none and fail fast when DEBUG is off.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file in the project root is read if present; real environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
else:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: production must set it

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The company Kontor runs: its name heads quotes and e-mails to customers.
COMPANY_NAME = env.str("COMPANY_NAME", default="Kontor AB")
# The seller's details a Swedish invoice must show (the PDF prints those that are set).
COMPANY_ADDRESS = env.str("COMPANY_ADDRESS", default="")
COMPANY_ORG_NUMBER = env.str("COMPANY_ORG_NUMBER", default="")
COMPANY_VAT_NUMBER = env.str("COMPANY_VAT_NUMBER", default="")
COMPANY_BANKGIRO = env.str("COMPANY_BANKGIRO", default="")
COMPANY_IBAN = env.str("COMPANY_IBAN", default="")
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
# How long the link a customer answers a quote with keeps working (it also stops when the quote expires).
QUOTE_LINK_MAX_AGE = env.int("QUOTE_LINK_MAX_AGE_DAYS", default=60) * 24 * 3600

# --- Applications ------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",  # its widget templates, found through TEMPLATES (FORM_RENDERER below)
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    # Kontor: the shared kernel first, then integration and the two offices.
    "core",
    "core.accounts",
    "core.parties",
    "core.catalog",
    "core.audit",
    "core.notifications",
    "integration.bus",
    "integration.customer360",
    "frontoffice.crm",
    "frontoffice.sales",
    "frontoffice.service",
    "frontoffice.helpcenter",
    "backoffice.finance",
    "backoffice.logistics",
]
# Extra apps by configuration: the tests' probe app in the worker that tests start, and in benchmarks.
INSTALLED_APPS += env.list("KONTOR_EXTRA_APPS", default=[])
if env.str("PYTEST_VERSION", default="") and "tests.bus_probe" not in INSTALLED_APPS:
    INSTALLED_APPS.append("tests.bus_probe")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.accounts.middleware.MFARequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.shell",
            ],
            # Replaces Django's {% url %} with one that remembers reverse() answers (core/templatetags/fast_url.py).
            "builtins": ["core.templatetags.fast_url"],
        },
    },
]

# Widgets render with the project's templates too (templates/includes/autocomplete.html); the plain widgets are
# written in Python with the same markup (core/renderers.py), a quarter of a form page's time otherwise.
FORM_RENDERER = "core.renderers.FastTemplatesSetting"

# --- Data stores -------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/kontor"),
}
DATABASES["default"].setdefault("OPTIONS", {})
# psycopg 3 with Django's built-in connection pool (persistent connections must be off with it).
DATABASES["default"]["OPTIONS"]["pool"] = {
    "min_size": env.int("DATABASE_POOL_MIN", default=1),
    "max_size": env.int("DATABASE_POOL_MAX", default=10),
    "timeout": 10,
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_kontor")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
if env.str("PYTEST_VERSION", default=""):
    # Under pytest, each test process (pytest-xdist gw0, gw1, ...) gets its own Redis
    # database, never the one a running `make run` uses: tests flush theirs freely.
    _test_worker = int(env.str("PYTEST_XDIST_WORKER", default="gw0").removeprefix("gw"))
    REDIS_URL = f"{REDIS_URL.rsplit('/', 1)[0]}/{1 + _test_worker}"

CACHES = {
    "default": {
        # Django's Redis cache, reusing one redis-py client per pool (core/cache.py).
        "BACKEND": "core.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kontor"),
    },
}

# --- Authentication (django-allauth) -----------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Permission checks only, from a copy in the cache (two queries less on every staff page); signs no one in.
    "core.accounts.backends.CachedPermissionsBackend",
    # Django's and allauth's sign-in, loading the session's user in one plain statement.
    "core.accounts.auth_backends.SignInBackend",
    "core.accounts.auth_backends.AllauthSignInBackend",
    # Named by sessions signed in before the two above existed: kept so those stay signed in.
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/portal/"  # customers; core.accounts.adapter sends staff to /app/
ACCOUNT_ADAPTER = "core.accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "core.accounts.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kontor] "
ACCOUNT_SESSION_REMEMBER = None
# Rate limits live in the cache above (Redis), so they hold across processes.
# https://docs.allauth.org/en/latest/account/rate_limits.html
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",  # five wrong passwords lock the address for five minutes
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kontor"

SESSION_COOKIE_AGE = 60 * 60 * 12
# Sessions are read from the cache (Redis) and written through to the database, so a page
# costs no session query and a flushed cache signs no one out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# --- Internationalisation ----------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = "SEK"

# --- Static and media files --------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Vendored front-end assets come from npm packages installed by `make install`.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules/bootstrap/dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules/bootstrap-icons/font"),
    ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
    ("vendor/chart.js", BASE_DIR / "node_modules/chart.js/dist"),
]
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
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# --- E-mail ------------------------------------------------------------------

# EMAIL_URL: consolemail:// (dev default), filemail:///path, smtp://user:password@host:587,
# smtp+tls://..., smtp+ssl://... Django 6.1 configures mail as MAILERS (the EMAIL_* settings are deprecated).
# In production EMAIL_URL has no default: mail that silently goes nowhere is a defect.
_email = env.email_url("EMAIL_URL", default="consolemail://") if DEBUG else env.email_url("EMAIL_URL")
_email_options = {
    "django.core.mail.backends.smtp.EmailBackend": {
        "host": _email.get("EMAIL_HOST", "localhost"),
        "port": _email.get("EMAIL_PORT", 25),
        "username": _email.get("EMAIL_HOST_USER", ""),
        "password": _email.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": _email.get("EMAIL_USE_TLS", False),
        "use_ssl": _email.get("EMAIL_USE_SSL", False),
        "timeout": 30,
    },
    "django.core.mail.backends.filebased.EmailBackend": {
        # django-environ drops the leading "/" of filemail:///abs/path; put it back.
        "file_path": "/" + _email["EMAIL_FILE_PATH"].lstrip("/")
        if _email.get("EMAIL_FILE_PATH")
        else str(BASE_DIR / "tmp" / "mail"),
    },
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": _email_options.get(_email["EMAIL_BACKEND"], {}),
    },
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kontor <no-reply@kontor.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Customer service: the address customers write to (replies thread back into tickets), the domain of the
# Message-IDs Kontor gives its mail, how big an attachment may be, and how long a guest's ticket link works.
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@kontor.local")
SERVICE_MAIL_DOMAIN = env.str("SERVICE_MAIL_DOMAIN", default=SUPPORT_EMAIL.rpartition("@")[2] or "kontor.local")
SERVICE_ATTACHMENT_MAX_BYTES = env.int("SERVICE_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
SERVICE_GUEST_LINK_MAX_AGE = 60 * 60 * 24 * env.int("SERVICE_GUEST_LINK_MAX_AGE_DAYS", default=90)

# --- REST API ----------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.StaffModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth_token": "10/min"},
    # Proxies in front of Kontor; without it X-Forwarded-For could fake the client address for throttling.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kontor API",
    "DESCRIPTION": "Front office and back office of one company, as a REST API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models share a choice field's name (`source`, `status`, ...); name each enum
    # instead of letting the order of the components decide.
    "ENUM_NAME_OVERRIDES": {
        "SourceEnum": "frontoffice.crm.models.ContactProfile.Source",
        "LeadSourceEnum": "frontoffice.sales.models.Lead.Source",
        "QuoteStatusEnum": "frontoffice.sales.models.Quote.Status",
        "SalesOrderStatusEnum": "frontoffice.sales.models.SalesOrder.Status",
        "SalesOrderInvoiceStatusEnum": "frontoffice.sales.models.SalesOrder.InvoiceStatus",
        "SalesOrderDeliveryStatusEnum": "frontoffice.sales.models.SalesOrder.DeliveryStatus",
        "TaxRoundingEnum": "frontoffice.sales.models.PricedDocument.TaxRounding",
        "TicketStatusEnum": "frontoffice.service.models.Ticket.Status",
        "TicketReplyStatusEnum": "frontoffice.service.api.REPLY_STATUSES",
        "TicketSourceEnum": "frontoffice.service.models.Ticket.Source",
        "TicketStaffSourceEnum": "frontoffice.service.api.STAFF_SOURCES",
        "TicketPriorityEnum": "frontoffice.service.api.PRIORITY_CHOICES",
        "KindEnum": "frontoffice.crm.models.Activity.Kind",  # its name before finance's accounts had a kind too
        "AccountKindEnum": "backoffice.finance.models.Account.Kind",
        "InvoiceKindEnum": "backoffice.finance.models.Invoice.Kind",
        "InvoiceStateEnum": "backoffice.finance.models.Invoice.State",
        "BankLineStateEnum": "backoffice.finance.models.BankStatementLine.State",
        "BankStatementMatchStateEnum": "backoffice.finance.models.BankStatement.MatchState",
        "SupplierBillStateEnum": "backoffice.finance.models.SupplierBill.State",
        "SupplierBillMatchEnum": "backoffice.finance.models.SupplierBill.Match",
        "PaymentRunStateEnum": "backoffice.finance.models.PaymentRun.State",
        "StateEnum": "backoffice.finance.models.JournalEntry.State",  # its name before invoices had a state too
        "LocationKindEnum": "backoffice.logistics.models.Location.Kind",
        "StockMoveKindEnum": "backoffice.logistics.models.StockMove.Kind",
        "AdjustmentKindEnum": "backoffice.logistics.api.ADJUSTMENT_KINDS",
        "DeliveryOrderStateEnum": "backoffice.logistics.models.DeliveryOrder.State",
        "PurchaseOrderStateEnum": "backoffice.logistics.models.PurchaseOrder.State",
        "ProductionOrderStateEnum": "backoffice.logistics.models.ProductionOrder.State",
        "ReturnOrderStateEnum": "backoffice.logistics.models.ReturnOrder.State",
    },
}

# --- Celery ------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # a task is acknowledged only after it ran
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed worker's task goes back to the queue
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# Longest countdown any task may ask for; longer waits are kept in the database.
CELERY_MAX_COUNTDOWN = 600
# Unacknowledged messages are redelivered after this; it must exceed every time
# limit and every countdown, or a running task would be handed out twice.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "core.tasks.beat_heartbeat", "schedule": 15.0},
    "bus-sweep": {"task": "integration.bus.tasks.sweep", "schedule": env.float("BUS_SWEEP_SECONDS", default=5.0)},
    "bus-purge": {"task": "integration.bus.tasks.purge", "schedule": 3600.0},
    "crm-activity-reminders": {"task": "frontoffice.crm.tasks.send_activity_reminders", "schedule": 60.0},
    "service-sla-breaches": {"task": "frontoffice.service.tasks.check_sla_breaches", "schedule": 60.0},
    "idempotency-purge": {"task": "core.tasks.purge_idempotency_keys", "schedule": 24 * 3600.0},
    # Planner statistics for small tables that autovacuum's thresholds never reach (core/database.py).
    "analyze-small-tables": {"task": "core.tasks.analyze_stale_small_tables", "schedule": 3600.0},
    "logistics-reorder": {"task": "backoffice.logistics.tasks.check_reorder_rules", "schedule": 3600.0},
    # Reminder letters and credit-hold reviews; a run is idempotent, so hourly only catches up after downtime.
    "finance-dunning": {"task": "backoffice.finance.tasks.run_dunning", "schedule": 3600.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = env.str("CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".celerybeat-schedule"))

# --- Integration bus (integration/bus) -----------------------------------------

BUS_MAX_ATTEMPTS = env.int("BUS_MAX_ATTEMPTS", default=8)  # then the delivery is dead-lettered
BUS_RETRY_BASE_SECONDS = env.float("BUS_RETRY_BASE_SECONDS", default=2.0)  # first retry after about this long
BUS_RETRY_MAX_SECONDS = env.float("BUS_RETRY_MAX_SECONDS", default=6 * 3600)  # longest wait between tries
# An open delivery not finished this long after it was sent is sent again (lost broker message).
# Must exceed CELERY_TASK_TIME_LIMIT plus the longest queue wait you expect.
BUS_RESEND_AFTER_SECONDS = env.int("BUS_RESEND_AFTER_SECONDS", default=600)
BUS_LAG_THRESHOLD_SECONDS = env.int("BUS_LAG_THRESHOLD_SECONDS", default=120)  # /health/ goes 503 past it
BUS_RETENTION_DAYS = env.int("BUS_RETENTION_DAYS", default=30)  # finished events older than this are deleted

# --- Health ------------------------------------------------------------------

HEALTH_WORKER_MAX_AGE = 60  # seconds since a worker's last heartbeat
HEALTH_BEAT_MAX_AGE = 90  # seconds since beat last scheduled the heartbeat task

# --- Security ----------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

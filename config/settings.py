"""Jingxi settings: everything that differs between environments comes from the environment.

Defaults give an embedded first run (SQLite under ``var/``, Celery tasks run eagerly, e-mail
written to files under ``var/mail/``); production and tests set ``DATABASE_URL``,
``REDIS_URL``, ``CELERY_BROKER_URL`` and ``EMAIL_URL``.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The default key is for development only: with DEBUG off, serving refuses it (config/checks.py).
DEVELOPMENT_SECRET_KEY = "jingxi-insecure-development-key-change-me"
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "mptt",
    "import_export",
    "simple_history",
    "django_celery_beat",
    "csp",
    "catalog",
    "inventory",
    "purchasing",
    "orders",
    "finance",
    "staff",
    "config.apps.LoginProtectionConfig",  # django-axes
    "config.apps.JingxiConfig",  # project-wide system checks
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files are answered here, before the session: no CSP and no Cache-Control no-store.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # What a logged-in user is shown (costs, margins, exports) stays out of every cache.
    "config.middleware.NoStoreForUsersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Parameters no view can use (NUL characters, admin ids and dates Django passes on
    # unchecked) are refused here rather than failing in the database (config/request_guards.py).
    "config.request_guards.RequestGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Read-only foreign keys in the admin link only for users who may open them (staff/links.py).
    "staff.links.RequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'jingxi.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://jingxi"),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Throttle failed logins (django-axes): lock a username at an address after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# E-mail: files under var/mail/ unless EMAIL_URL says otherwise (smtp://host:port, ...; a
# folder of files as filemail:////absolute/path: the URL's path loses its first slash).
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="jingxi@localhost")
# A mail server that accepts the connection and then hangs must not hold a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# staff.send_mail retries a message the server did not take: after 60 s, 120 s, 240 s …
# (doubling up to the maximum), then the delivery is marked failed in the admin.
STAFF_MAIL_MAX_RETRIES = env.int("STAFF_MAIL_MAX_RETRIES", default=6)
STAFF_MAIL_RETRY_BACKOFF = env.int("STAFF_MAIL_RETRY_BACKOFF", default=60)
STAFF_MAIL_RETRY_BACKOFF_MAX = env.int("STAFF_MAIL_RETRY_BACKOFF_MAX", default=3600)
# Stored report runs (staff.reports): a failed build is retried a few times, minutes apart.
STAFF_REPORT_MAX_RETRIES = env.int("STAFF_REPORT_MAX_RETRIES", default=3)
STAFF_REPORT_RETRY_BACKOFF = env.int("STAFF_REPORT_RETRY_BACKOFF", default=300)
# The product flow (staff.product_page): after-sales is done while the units returned of
# the last 90 days stay under this share of the units sold (0.05: 5 %).
STAFF_FLOW_RETURN_RATE = env.float("STAFF_FLOW_RETURN_RATE", default=0.05)
# The catalogue search's stored facts (units sold, prices, stock) are rebuilt this often.
STAFF_SEARCH_FACTS_EVERY_SECONDS = env.int("STAFF_SEARCH_FACTS_EVERY_SECONDS", default=900)
# Report e-mails (staff.subscriptions): a workbook larger than this is linked, not attached;
# the link starts with SITE_URL, the address staff open the back office at.
STAFF_REPORT_ATTACH_MAX_BYTES = env.int("STAFF_REPORT_ATTACH_MAX_BYTES", default=5 * 1024 * 1024)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Celery: with no broker configured, tasks run eagerly in the calling process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# The queue tasks go to and workers read unless told otherwise (one per site sharing a broker).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent: a redelivery after a crash is safe
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker that goes away (Redis restarted) is waited for: workers and beat reconnect
# forever instead of giving up after 100 tries.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
# Redis redelivers unacknowledged tasks after the visibility timeout (a task whose worker
# died is run again by another); keep it above the longest task so a running task is never
# handed to a second worker.
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 30 * 60
)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Entries here are copied into django-celery-beat's tables when beat starts (editable in
# the admin afterwards). Backorders wait for stock that inventory receives without calling
# orders: a periodic run serves them in paid-time order.
ORDERS_BACKORDER_EVERY_SECONDS = env.int("ORDERS_BACKORDER_EVERY_SECONDS", default=300)
# How often the stored product flow states and completeness are recomputed (staff.flow).
STAFF_FLOW_REFRESH_MINUTES = env.int("STAFF_FLOW_REFRESH_MINUTES", default=30)
# An inquiry (咨询) counts as converted when its customer orders one of the SKUs asked about
# within this many days; a periodic run links inquiries to orders that came in late.
ORDERS_INQUIRY_CONVERSION_DAYS = env.int("ORDERS_INQUIRY_CONVERSION_DAYS", default=3)
ORDERS_INQUIRY_LINK_EVERY_MINUTES = env.int("ORDERS_INQUIRY_LINK_EVERY_MINUTES", default=60)
CELERY_BEAT_SCHEDULE = {
    "orders.inquiries_link_orders": {
        "task": "orders.inquiries_link_orders",
        "schedule": float(ORDERS_INQUIRY_LINK_EVERY_MINUTES * 60),
    },
    "orders.backorders_allocate": {
        "task": "orders.backorders_allocate",
        "schedule": float(ORDERS_BACKORDER_EVERY_SECONDS),
    },
    # Workbook uploads never confirmed are deleted after IMPORT_UPLOAD_TTL_HOURS.
    "catalog.import_uploads_expire": {
        "task": "catalog.import_uploads_expire",
        "schedule": 3600.0,
    },
    # The flow board and the structure table read stored flow states and completeness.
    "staff.product_flow_refresh": {
        "task": "staff.product_flow_refresh",
        "schedule": float(STAFF_FLOW_REFRESH_MINUTES * 60),
    },
    # The catalogue search's facts (staff.search_facts): sales, prices and stock.
    "staff.search_facts_refresh": {
        "task": "staff.search_facts_refresh",
        "schedule": float(STAFF_SEARCH_FACTS_EVERY_SECONDS),
    },
    # Stock locked for promotions (库存锁定) goes back to sale the day after they end.
    "orders.promotion_locks_release": {
        "task": "orders.promotion_locks_release",
        "schedule": crontab(minute=5, hour=0),
    },
    # Receivables: invoice yesterday's shipped credit orders and credit their refunds.
    "finance.invoices_issue": {
        "task": "finance.invoices_issue",
        "schedule": crontab(minute=10, hour=0),
    },
}

# Production profile (README "Production"): the site is served over HTTPS, usually behind a
# proxy that ends TLS. With DEBUG off the cookies and HSTS are secure by default; `make run`
# (DEBUG on, plain HTTP on 127.0.0.1) keeps them off. Session cookies are HttpOnly (Django's
# default) and, secure, never travel over plain HTTP.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HSTS is only sent on HTTPS responses, so it costs nothing on a plain-HTTP run.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preloading is a promise to browsers' built-in lists; the production profile makes it.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Off by default: the test suite and the loopback load run talk plain HTTP with DEBUG off;
# `check --deploy` warns (security.W008) until the production profile turns it on.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# A load balancer probes the health page over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a proxy that ends TLS, the request is secure when the proxy says so. Only true when
# the proxy sets X-Forwarded-Proto itself, overwriting what a client sent.
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site only
# (vendored under static/), no inline script or style, no plugin, no framing, forms post here
# only. The project's pages keep their behaviour in static/js and their styles in static/css;
# the admin pages the project serves need no inline style either (proven in a browser by
# tests/security/test_csp_browser.py, which fails on any violation).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Change history views need the view permission of the historical model (role matrix).
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True

# Catalog
CATALOG_MAX_DEPTH = env.int("CATALOG_MAX_DEPTH", default=3)
CATALOG_IMAGE_MAX_BYTES = env.int("CATALOG_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
CATALOG_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
CATALOG_THUMBNAIL_SIZE = (160, 160)
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="CNY")
# Catalogue workbooks: the most rows one import may hold, and the file size above which the
# admin runs an import as a Celery job with a progress bar instead of within the request.
CATALOG_IMPORT_MAX_ROWS = env.int("CATALOG_IMPORT_MAX_ROWS", default=50_000)
CATALOG_IMPORT_ASYNC_BYTES = env.int("CATALOG_IMPORT_ASYNC_BYTES", default=512 * 1024)
# An import that adds at least this many rows to a table (and a quarter of what it holds)
# checks that table's foreign keys once at the end instead of once per row (workbooks.bulkload);
# it waits at most the timeout, in seconds, for the table locks that needs.
CATALOG_IMPORT_BULK_CHECK_ROWS = env.int("CATALOG_IMPORT_BULK_CHECK_ROWS", default=10_000)
CATALOG_IMPORT_BULK_LOCK_TIMEOUT = env.float("CATALOG_IMPORT_BULK_LOCK_TIMEOUT", default=2.0)
# That, and building indexes once at the end, holds the table exclusively until commit: done
# for tables that hold no row yet (a first load), and for the others only when this is true.
CATALOG_IMPORT_BULK_LOCK = env.bool("CATALOG_IMPORT_BULK_LOCK", default=False)

# Workbook uploads and imports (workbooks/guards.py): what one file may cost before it is
# read, so that any workbook is refused or imported within a bounded memory (docs/workbooks.md).
# The largest file an import takes, in bytes; larger uploads are refused before reading.
WORKBOOK_UPLOAD_MAX_BYTES = env.int("WORKBOOK_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
# The most its parts may hold once unpacked, and how many times a part may inflate.
WORKBOOK_MAX_UNCOMPRESSED_BYTES = env.int(
    "WORKBOOK_MAX_UNCOMPRESSED_BYTES", default=100 * 1024 * 1024
)
WORKBOOK_MAX_COMPRESSION_RATIO = env.int("WORKBOOK_MAX_COMPRESSION_RATIO", default=100)
# The most cells a sheet may span from A1 (last row × last column holding a value).
WORKBOOK_MAX_CELLS = env.int("WORKBOOK_MAX_CELLS", default=3_000_000)
# Uploads above this many bytes are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
# Import previews never confirmed are deleted after this many hours (catalog.jobs).
IMPORT_UPLOAD_TTL_HOURS = env.int("IMPORT_UPLOAD_TTL_HOURS", default=24)

# Inventory
# Off by default: a reservation or lock that was confirmed survives a crash. On, one that is
# its own transaction commits without waiting for the WAL flush, which it would otherwise
# wait for while holding the hot stock row's lock (bench/RESULTS.md has both figures). The
# risk: a crash can forget the last fraction of a second of such reservations — each whole,
# never half of one and never an oversell — after their callers were told they succeeded.
# Inside a caller's transaction (an order being saved) the caller's durability applies.
INVENTORY_RESERVE_ASYNC_COMMIT = env.bool("INVENTORY_RESERVE_ASYNC_COMMIT", default=False)

# Slow-mover report (inventory/reports.py, `slow_movers` command).
# A SKU with stock is slow (滞销) after this many days without a sale (since its last sale,
# or since it was created if it never sold) ...
INVENTORY_SLOW_NO_SALE_DAYS = env.int("INVENTORY_SLOW_NO_SALE_DAYS", default=60)
# ... or when its stock covers more than this many days of its 90-day average demand.
INVENTORY_SLOW_COVER_DAYS = env.int("INVENTORY_SLOW_COVER_DAYS", default=120)
# Dead stock: no sale for this many days and the SKU created more than this many days ago.
INVENTORY_SLOW_DEAD_DAYS = env.int("INVENTORY_SLOW_DEAD_DAYS", default=180)
# ABC by 90-day consumption value: A until the SKUs ranked above make this share of the
# total, B until they make the second share, C for the rest.
INVENTORY_SLOW_ABC_A = env.float("INVENTORY_SLOW_ABC_A", default=0.80)
INVENTORY_SLOW_ABC_B = env.float("INVENTORY_SLOW_ABC_B", default=0.95)
# PostgreSQL work_mem for the report's one query, so that sorting 100k SKUs' aggregates does
# not spill to disk (transaction-local; the server default stays for everything else).
INVENTORY_SLOW_WORK_MEM = env.str("INVENTORY_SLOW_WORK_MEM", default="64MB")

# Purchasing (purchasing/selectors.py, purchasing/reports.py; checked in purchasing/checks.py)
# Supplier types in the order the supplier choice prefers them.
PURCHASING_SUPPLIER_TYPE_ORDER = env.list(
    "PURCHASING_SUPPLIER_TYPE_ORDER",
    default=["manufacturer", "agent", "wholesaler", "trading_company"],
)
# Suppliers whose scorecard score (0-100) is below this are left out of the choice.
PURCHASING_MIN_SUPPLIER_SCORE = env.float("PURCHASING_MIN_SUPPLIER_SCORE", default=60.0)
# Weights of the scorecard rates in the score; they add up to 100.
PURCHASING_SCORE_WEIGHTS = env.dict(
    "PURCHASING_SCORE_WEIGHTS",
    cast={"value": float},
    default={"on_time": 40.0, "fill": 30.0, "quality": 20.0, "price": 10.0},
)
# Days of receipts and due order lines the scorecard covers, up to today.
PURCHASING_SCORE_DAYS = env.int("PURCHASING_SCORE_DAYS", default=180)
# Service level per product role: the chance of not running out during a lead time.
PURCHASING_SERVICE_LEVELS = env.dict(
    "PURCHASING_SERVICE_LEVELS",
    cast={"value": float},
    default={"traffic": 0.98, "regular": 0.95, "image": 0.90},
)
# Restock report: days of demand history, and days between two orders (review period).
PURCHASING_DEMAND_DAYS = env.int("PURCHASING_DEMAND_DAYS", default=90)
PURCHASING_REVIEW_DAYS = env.int("PURCHASING_REVIEW_DAYS", default=14)

DEMO_PASSWORD = env.str("JINGXI_DEMO_PASSWORD", default="jingxi-demo")
# Orders
# Off by default: an order whose placement was confirmed survives a crash. On, placing an
# order commits without waiting for the WAL flush (PostgreSQL synchronous_commit off for that
# transaction only). The risk: a crash can lose the last fraction of a second of placed
# orders — each whole, never half-applied — after the user (a staff order, confirmed on the
# page) was told it was saved. Imports reach their throughput durably instead: a file's
# orders share one transaction (orders.services.channel_orders_place).
ORDERS_PLACE_ASYNC_COMMIT = env.bool("ORDERS_PLACE_ASYNC_COMMIT", default=False)
# Reviews (点评): a product whose average score is below ORDERS_REVIEW_FLAG_SCORE over at
# least ORDERS_REVIEW_FLAG_MIN_COUNT reviews is flagged to merchandising and purchasing.
ORDERS_REVIEW_FLAG_SCORE = env.float("ORDERS_REVIEW_FLAG_SCORE", default=3.5)
ORDERS_REVIEW_FLAG_MIN_COUNT = env.int("ORDERS_REVIEW_FLAG_MIN_COUNT", default=3)

# Customer segments (orders.segments): the RFM window, the activity levels' recency
# thresholds in days and the hours after which an unpaid order is followed up.
ORDERS_RFM_WINDOW_DAYS = env.int("ORDERS_RFM_WINDOW_DAYS", default=365)
ORDERS_ACTIVE_DAYS = env.int("ORDERS_ACTIVE_DAYS", default=30)
ORDERS_ACTIVE_MIN_ORDERS = env.int("ORDERS_ACTIVE_MIN_ORDERS", default=2)
ORDERS_CHURN_DAYS = env.int("ORDERS_CHURN_DAYS", default=180)
ORDERS_UNPAID_FOLLOW_UP_HOURS = env.int("ORDERS_UNPAID_FOLLOW_UP_HOURS", default=24)

# The demo and reference data the project ships (data/README.md); JINGXI_DATA_DIR overrides it.
DATA_DIR = env.path("JINGXI_DATA_DIR", default=BASE_DIR / "data")

# Product-line report (finance/productline.py, 产品线优化): a product sells fast when its
# units per day reach this quantile of the products that sold in the period (0.5: the
# median); its margin is high when its gross margin reaches the period's overall gross
# margin plus this many points (0: at or above the business's own margin).
FINANCE_PRODUCTLINE_VELOCITY_QUANTILE = env.float(
    "FINANCE_PRODUCTLINE_VELOCITY_QUANTILE", default=0.5
)
FINANCE_PRODUCTLINE_MARGIN_POINTS = env.float("FINANCE_PRODUCTLINE_MARGIN_POINTS", default=0.0)

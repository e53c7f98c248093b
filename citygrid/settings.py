"""Settings, read from the environment (see .env.example).

With nothing set: an embedded SQLite file and Celery tasks run in-process, for a first look.
DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://… switch to the production stack.
"""
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def load_env_file(path: Path) -> None:
    """Read KEY=VALUE lines of a .env file into the environment, never overriding what is set."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


load_env_file(BASE_DIR / ".env")


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The embedded default (no DATABASE_URL) is for a first look on a laptop, so it debugs by default;
# any real deployment sets DATABASE_URL and with it DEBUG defaults to off.
DEBUG = env_bool("DEBUG", not os.environ.get("DATABASE_URL"))
DEFAULT_SECRET_KEY = "insecure-dev-only-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY and not env_bool("CITYGRID_ALLOW_DEFAULT_SECRET"):
    raise ImproperlyConfigured(
        "SECRET_KEY is the built-in default while DEBUG is off. Set SECRET_KEY in the environment "
        "(or DEBUG=1 for local development)."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # staff API tokens, hashed (issue 17; replaces rest_framework.authtoken)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_prometheus",  # /metrics (citygrid.metrics)
    "citygrid",
    "grids",
    "cases",
    "patrol",
    "field",
    "hotline",
    "assessment",
    "video",
    "supervision",
    "rewards",
    "surveys",
]

MIDDLEWARE = [
    # First: /healthz and /readyz answer before the host check, the HTTPS redirect and the session.
    "citygrid.health.HealthCheckMiddleware",
    "core.request_id.RequestIdMiddleware",  # X-Request-ID in, on every log line and task, and out
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from the application itself, compressed and with hashed names (see STORAGES).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.RequestLimitsMiddleware",  # NUL characters, bodies over the size cap
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.db_router.StickyPrimaryMiddleware",  # a person's reads to the primary just after a write
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "citygrid.urls"
WSGI_APPLICATION = "citygrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "citygrid" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Transition services lock rows; SQLite serialises writers instead, so wait for the lock.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if USING_POSTGRES:
    # No parallel plans by default (DB_PARALLEL_WORKERS raises PostgreSQL's max_parallel_workers_
    # per_gather): the screens' queries are short, and on a server of a few cores a parallel plan's
    # workers cost more to start than they save and take cores from the other requests. The text
    # search of a rarer word read its first page in 18 ms with two workers and 5 ms alone at a
    # million cases. The assessment's counting sets its own (assessment.counting).
    parallel = int(os.environ.get("DB_PARALLEL_WORKERS", "0"))
    # DB_WORK_MEM: memory a sort, hash or bitmap of one query may use before it spills or turns
    # lossy (PostgreSQL's stock 4MB). At ten million cases the text search's count of the first
    # thousand matches of a common two-character word builds a bitmap of 229,000 rows: in 4MB its
    # pages turn lossy and every row on them is rechecked (329 ms), in 16MB it stays exact (80-90 ms).
    # Taken only by the queries that need it, per node: 16 connections x a few nodes x 16MB at worst.
    work_mem = os.environ.get("DB_WORK_MEM", "16MB")
    # No JIT compilation (DB_JIT=1 allows it): PostgreSQL compiles a query whose estimated cost passes
    # jit_above_cost, and a query over the partitioned tables sums every partition's estimate. The
    # operator home's count of the day's task answers at ten million cases: 15 ms to run, 264 ms to
    # compile 425 functions first.
    jit = "on" if env_bool("DB_JIT", False) else "off"
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c max_parallel_workers_per_gather={parallel} -c work_mem={work_mem} -c jit={jit}")
if USING_POSTGRES and env_bool("DB_SERVER_SIDE_BINDING", False):
    # Server-side parameters + psycopg's prepared statements (issue 7): a query run a second time on
    # a connection reuses its plan. Off by default: since the lists join at most six tables their
    # planning is cheap, and a reused generic plan cannot use a partial index (the work queues',
    # cases.models.QUEUE_STATES), whose condition PostgreSQL proves only against literal values:
    # at a million cases the operator's queue took 17–34 ms with it and 1 ms without. Prepared
    # statements live in the connection and do not survive a transaction-pooling PgBouncer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=1)
# Read replicas (core.db_router, docs/topology.md): DATABASE_REPLICA_URLS, comma-separated streaming
# replicas of DATABASE_URL, become aliases replica_1, replica_2, … The views that tolerate a few
# seconds' lag opt in (core.db_router.replica_reads); a person reads from the primary for
# REPLICA_STICKY_SECONDS after a write; a replica that cannot be reached gets no read for
# REPLICA_RETRY_SECONDS. In tests each replica mirrors the default's test database (TEST MIRROR:
# Django creates nothing there and connects to the replica's copy of that database).
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    _replica = dj_database_url.parse(_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
                                     conn_health_checks=True)
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 2}
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number}"] = _replica
DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
REPLICA_STICKY_SECONDS = float(os.environ.get("REPLICA_STICKY_SECONDS", "10"))
REPLICA_RETRY_SECONDS = float(os.environ.get("REPLICA_RETRY_SECONDS", "30"))
# A replica whose replay lags more than this gets no read (0: no limit); each process looks its lag
# up at most every REPLICA_LAG_CHECK_SECONDS.
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "30"))
REPLICA_LAG_CHECK_SECONDS = float(os.environ.get("REPLICA_LAG_CHECK_SECONDS", "5"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "grids.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "citygrid.auth.LoginRateLimitBackend",
    "citygrid.auth.PasswordBackend",
]
# Login lock-out (django-axes): 5 failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# A refused CSRF check is a page of its own in the site's layout (citygrid.error_pages).
CSRF_FAILURE_VIEW = "citygrid.error_pages.csrf_failure"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "citygrid" / "static"]
# Static files: `manage.py collectstatic` writes them to STATIC_ROOT with a content hash in each name
# and gzip/brotli copies; WhiteNoise serves them from the application with a year's cache (the hash
# changes with the content), so no front server is needed. A reverse proxy stays optional.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Photos live in MEDIA_ROOT and are never served as files: cases.media checks the case's scope
# first. MEDIA_URL is not routed (a /media/ URL is a 404).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Optional hand-off of the photo's bytes to the front server once the scope is checked:
# PHOTO_SENDFILE_HEADER=X-Accel-Redirect (nginx, with an `internal` location PHOTO_SENDFILE_PREFIX
# aliased to MEDIA_ROOT) or X-Sendfile (Apache mod_xsendfile, lighttpd). Unset: gunicorn sends them.
PHOTO_SENDFILE_HEADER = os.environ.get("PHOTO_SENDFILE_HEADER", "").strip()
PHOTO_SENDFILE_PREFIX = os.environ.get("PHOTO_SENDFILE_PREFIX", "/protected-media/")
# Photos: anything bigger is refused with a clear message (see cases.photos.photo_validate), and so
# is an image of more pixels (a decompression bomb: a small file that decodes to gigabytes).
MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", str(8 * 1024 * 1024)))
MAX_IMAGE_PIXELS = int(os.environ.get("MAX_IMAGE_PIXELS", str(50_000_000)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "citygrid.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",  # nullable `default=None` outputs
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "citygrid API",
    "DESCRIPTION": "数字城管 command center: registry, case loop, hotline and assessment.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field names repeat across apps ("level", "kind"): one stable enum name each.
    "ENUM_NAME_OVERRIDES": {
        "RegionLevelEnum": "grids.models.RegionLevel",
        "DepartmentLevelEnum": "grids.models.DepartmentLevel",
        "ClassKindEnum": "grids.models.ClassKind",
        "EditionEnum": "grids.models.Edition",
        "ComponentStatusEnum": "grids.models.ComponentStatus",
        "PatrolClassEnum": "grids.models.PatrolClass",
        "LimitUnitEnum": "grids.models.LimitUnit",
        "RoleEnum": "grids.models.Role",
        "CaseStateEnum": "cases.models.State",
        "CaseSourceEnum": "cases.models.Source",
        "UrgencyEnum": "cases.models.Urgency",
        "StepKindEnum": "cases.models.StepKind",
        "TaskKindEnum": "cases.models.TaskKind",
        "RequestKindEnum": "cases.models.RequestKind",
        "RequestStatusEnum": "cases.models.RequestStatus",
        "AttachmentKindEnum": "cases.models.AttachmentKind",
    },
}

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Several installations (or a test's own worker) can share one Redis with a queue name each.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# A publisher gives up on a down broker within a second instead of kombu's ~6 s reconnect loop: the
# message stays in the outbox (cases.outbox) and the drain sends it when the broker is back. The
# worker's own reconnection (broker_connection_max_retries) is not affected.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BEAT_SCHEDULE: dict = {}
# Worker hosts by queue (docs/topology.md): with CELERY_ROUTE_BY_QUEUE=1 the tasks go to the queues
# below and each worker host consumes some of them (make worker WORKER_QUEUES=intake,celery). Off by
# default: one worker consumes everything from the default queue (and each test worker its own).
CELERY_QUEUES_BY_KIND = {
    # A report's and a move's side effects: announcements, citizens' replies, rewards. Latency matters.
    "intake": ["cases.report_received", "cases.suspension_ending", "hotline.feedback_deliver",
               "rewards.case_moved"],
    # The assessment's counting: minutes of one core each at a million cases a month.
    "assessment": ["assessment.*"],
    # The nightly backup and its restore check: long, disk-bound.
    "exports": ["citygrid.backup_scheduled", "citygrid.backup_restore_check"],
    "patrol": ["patrol.*"],
}
CELERY_TASK_ROUTES = (
    {task: {"queue": queue} for queue, tasks in CELERY_QUEUES_BY_KIND.items() for task in tasks}
    if env_bool("CELERY_ROUTE_BY_QUEUE", False) else {}
)

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"]}
        if os.environ.get("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# The city. Work windows apply on working days of the calendar; departments may override them.
CITY_NAME = os.environ.get("CITY_NAME", "示范市")
WORK_WINDOWS = os.environ.get("WORK_WINDOWS", "08:30-12:00,14:00-18:00")
DUPLICATE_DISTANCE_M = float(os.environ.get("DUPLICATE_DISTANCE_M", "50"))
DUPLICATE_WINDOW_HOURS = float(os.environ.get("DUPLICATE_WINDOW_HOURS", "24"))
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
# The classification edition the city files new cases in (grids.models.Edition: std2026 or legacy4);
# the class picker offers the other edition only when asked (cases.selectors.class_picker).
CLASS_EDITION = os.environ.get("CLASS_EDITION", "std2026")
# How often the queues and the department inbox ask for their rows (seconds; paused while the tab
# is hidden), and how often the overview's wall mode (大屏模式) redraws its figures.
LIVE_QUEUE_SECONDS = float(os.environ.get("LIVE_QUEUE_SECONDS", "15"))
WALL_REFRESH_SECONDS = float(os.environ.get("WALL_REFRESH_SECONDS", "30"))

# Logs (core.request_id): plain lines, or LOG_FORMAT=json for one JSON object a line; each carries
# the request id (X-Request-ID), in the web process and in the Celery tasks a request caused. The
# Celery worker leaves the root logger to this configuration instead of installing its own.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
from core.request_id import logging_config  # noqa: E402

LOGGING = logging_config(log_format=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Prometheus (citygrid.metrics): /metrics answers a scraper that sends "Authorization: Bearer
# METRICS_TOKEN", or any address in METRICS_ALLOWED_NETWORKS (CIDRs; loopback by default). The
# reverse proxy must not pass /metrics through (docs/topology.md).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")

# --- security (issue 8) ---------------------------------------------------------------------------
# Cookies: HttpOnly session, SameSite=Lax for both (top-level links from other systems keep the
# session, cross-site POSTs do not carry it). The CSRF cookie is HttpOnly too: pages send the token
# from the template (hx-headers in base.html), no script reads the cookie.
# Sessions stay in the database alone, not cached_db: Django 5.2's cached_db fails every page while
# Redis is down (load() fills the cache unguarded after reading the database), and a logout in an
# outage would leave the session in the cache to come back with it. One query is not worth that.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 3600)))  # one long shift
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HTTPS. Secure cookies and HSTS (sent on HTTPS responses only) are on by default with DEBUG off.
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (the proxy
# must overwrite that header) so that Django knows the original request was HTTPS. The redirect
# to HTTPS is opt-in (SECURE_SSL_REDIRECT=1): usually the proxy redirects already, and processes
# reached over plain HTTP on loopback (health checks, bench, load test) must not be redirected.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Paths a load balancer checks over plain HTTP from inside (regular expressions, comma-separated).
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The browsers' HSTS preload list is for public internet domains; a command center on a government
# intranet cannot be on it, and submitting a domain is the city's deliberate decision (it binds every
# subdomain), so `check --deploy` does not nag about it unless preload is asked for.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"].strip(), "https")
# The login lock-out counts per username and client address. Behind a reverse proxy every request
# comes from the proxy; the same trusted header as the public channel's rate limit (set by the
# proxy, e.g. HTTP_X_REAL_IP) then names the client. Without it only REMOTE_ADDR counts, which a
# client cannot forge.
if os.environ.get("PUBLIC_CLIENT_IP_HEADER"):
    AXES_IPWARE_META_PRECEDENCE_ORDER = (os.environ["PUBLIC_CLIENT_IP_HEADER"].strip(), "REMOTE_ADDR")

# Content-Security-Policy (django-csp, through core.csp): no inline script or style anywhere, no
# plugins, no framing. The host of MAP_TILE_URL is added to img-src at run time (core.csp), and so
# are the per-path overrides below. JSON for scripts goes through
# {{ value|json_script }} (type=application/json, not executed). Leaflet sets its styles through
# the CSSOM (element.style), which CSP does not restrict, so it needs no 'unsafe-inline'.
CONTENT_SECURITY_POLICY: dict | None = {"DIRECTIVES": {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}}
# The vendored API documentation (drf-spectacular sidecar): its React/styled-components UIs write
# <style> elements, and Redoc runs its search in a blob: worker. Scripts stay 'self' only (the docs
# templates are overridden in citygrid/templates/drf_spectacular/ to have no inline script).
# The assessment pages' ECharts writes style="" attributes while it draws hover states and tooltips
# (tested in Chromium: tests/e2e/test_csp.py); style-src-attr lets it there, <style> elements stay
# 'self' and scripts are untouched.
CONTENT_SECURITY_POLICY_PATHS = {
    "/api/docs/": {"style-src": ["'self'", "'unsafe-inline'"]},
    "/api/redoc/": {"style-src": ["'self'", "'unsafe-inline'"], "worker-src": ["'self'", "blob:"]},
    "/assessment/": {"style-src-attr": ["'unsafe-inline'"]},
}
# CSP_REPORT_ONLY=1 sends the same policy as Content-Security-Policy-Report-Only instead (to try a
# stricter policy on a live system); django-csp reads a policy from either setting.
CONTENT_SECURITY_POLICY_REPORT_ONLY: dict | None = None
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY, CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY, None

# Limits of the command center's own steps, in working hours on the city calendar (the handling
# limit comes from the class and urgency instead). "STEP_LIMIT_<STEP>_HOURS" overrides each.
STEP_LIMITS_HOURS = {
    step: float(os.environ.get(f"STEP_LIMIT_{step.upper()}_HOURS", default))
    for step, default in {
        "accept": 0.5, "verify": 1, "file": 0.5, "dispatch": 0.5, "check": 2, "close": 0.5,
    }.items()
}

# Moves that must carry photos (cases.services.case_move), whatever the page, API or field app:
# by default the handled report's after-photos. A city may add check_pass, verify..., or set it empty.
REQUIRE_PHOTOS_FOR = env_list("REQUIRE_PHOTOS_FOR", "report_handled")

CELERY_BEAT_SCHEDULE["cases-mark-overdue"] = {"task": "cases.mark_overdue", "schedule": 60.0}
# Side effects kept in the outbox while the broker was down are sent by this drain (and at every
# worker's start); sent rows are forgotten after OUTBOX_KEEP_DAYS. New reports are announced to
# CASE_REPORT_NOTIFIER (dotted path; the default only logs).
CELERY_BEAT_SCHEDULE["cases-outbox-drain"] = {"task": "cases.outbox_drain", "schedule": 30.0}
# Once a day, a warning in the log while running deadlines or the coming 60 days rest on the work
# calendar's weekday fallback (a year neither chinese-calendar nor the city entered; cases.calendar_health).
CELERY_BEAT_SCHEDULE["cases-calendar-health"] = {"task": "cases.calendar_health_log", "schedule": 86400.0}
# 挂账 by date (cases.suspensions): every minute, resume the suspended cases whose date has come
# (Action.RESUME as the system) and remind, once, of those ending by the next working day.
CELERY_BEAT_SCHEDULE["cases-suspensions"] = {"task": "cases.suspensions_tick", "schedule": 60.0}
# Rewards' daily catch-up: filed public reports without their award, voided ones still holding it
# (the outbox delivers each move at least once; this covers a message lost or raced).
CELERY_BEAT_SCHEDULE["rewards-reconcile"] = {"task": "rewards.reconcile", "schedule": 86400.0}
# The longest suspension a department may ask for or a shift leader grant, in days.
SUSPENSION_MAX_DAYS = int(os.environ.get("SUSPENSION_MAX_DAYS", "180"))
OUTBOX_KEEP_DAYS = float(os.environ.get("OUTBOX_KEEP_DAYS", "7"))
CASE_REPORT_NOTIFIER = os.environ.get("CASE_REPORT_NOTIFIER", "cases.notifiers.LoggingNotifier")
# Apps above cases hear of moves through the outbox (cases.workflow): the task, the moves and the
# sources of the cases it is told about. Rewards: a public report filed earns, voided or merged
# takes the award back (rewards.tasks).
CASE_MOVE_LISTENERS: list[dict] = [
    {"task": "rewards.case_moved", "actions": ["file", "void", "review_void", "merge"],
     "sources": ["public", "hotline_12319", "hotline_12345"]},
]
LOCATOR_VERSION_CHECK_SECONDS = float(os.environ.get("LOCATOR_VERSION_CHECK_SECONDS", "5"))

# --- hotline and public channel (hotline app, issue 5) -------------------------------------------
# Replies to citizens go through this gateway class (dotted path); the default only logs them, so
# they are recorded, not sent. A city plugs in its SMS/WeChat gateway with the same `send` method.
HOTLINE_FEEDBACK_GATEWAY = os.environ.get("HOTLINE_FEEDBACK_GATEWAY", "hotline.gateways.LoggingGateway")
# With it on, the closure poll also sends an automatic result SMS through the gateway.
HOTLINE_AUTO_FEEDBACK = env_bool("HOTLINE_AUTO_FEEDBACK", False)
# Working hours after closure within which the result reply counts as on time (及时反馈率) and
# by which the callback (回访) is due.
HOTLINE_FEEDBACK_LIMIT_HOURS = float(os.environ.get("HOTLINE_FEEDBACK_LIMIT_HOURS", "8"))
HOTLINE_CALLBACK_LIMIT_HOURS = float(os.environ.get("HOTLINE_CALLBACK_LIMIT_HOURS", "24"))
# The hotline's figures (办结率, 及时反馈率, 回访率, 满意率) are defined once, by the assessment's
# catalogue (the hotline lines' indicators); the hotline app, below the assessment, calls this path.
HOTLINE_FIGURES = "assessment.hotline.hotline_figures"
# A reported problem joins an open case of the same class within this distance (any age).
HOTLINE_JOIN_DISTANCE_M = float(os.environ.get("HOTLINE_JOIN_DISTANCE_M", str(DUPLICATE_DISTANCE_M)))
# Rate limits of the public endpoints per API key (or per client IP without one): "N/s|m|h|d".
PUBLIC_REPORT_RATE_LIMIT = os.environ.get("PUBLIC_REPORT_RATE_LIMIT", "10/h")
PUBLIC_LOOKUP_RATE_LIMIT = os.environ.get("PUBLIC_LOOKUP_RATE_LIMIT", "120/h")
# Behind a trusted reverse proxy, the META key holding the client IP (e.g. HTTP_X_REAL_IP).
PUBLIC_CLIENT_IP_HEADER = os.environ.get("PUBLIC_CLIENT_IP_HEADER", "")
# The public web/WeChat report endpoint may be used without an API key unless this is on.
PUBLIC_REPORT_REQUIRE_API_KEY = env_bool("PUBLIC_REPORT_REQUIRE_API_KEY", False)
OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "")
OPEN311_MAX_RESULTS = int(os.environ.get("OPEN311_MAX_RESULTS", "1000"))
# The closure poll (every 5 minutes) looks at cases reported within this many days.
HOTLINE_CALLBACK_LOOKBACK_DAYS = float(os.environ.get("HOTLINE_CALLBACK_LOOKBACK_DAYS", "365"))
CELERY_BEAT_SCHEDULE["hotline-closure-followups"] = {"task": "hotline.closure_followups", "schedule": 300.0}

# --- assessment (assessment app, issue 6): the monthly assessment on a schedule ------------------
# Beat (city time, CELERY_TIMEZONE): hourly the day's and month-to-date figures of the city and
# districts (立案率/处置率/结案率 …), nightly every object type for yesterday's month, and on the 1st
# the month that ended is computed once more and frozen. All three are idempotent. The admin lists
# this schedule read-only (assessment › 定时任务); django-celery-beat is not needed.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE["assessment-hourly"] = {
    "task": "assessment.compute_hourly", "schedule": crontab(minute=5),
}
CELERY_BEAT_SCHEDULE["assessment-nightly"] = {
    "task": "assessment.compute_nightly", "schedule": crontab(hour=1, minute=30),
}
CELERY_BEAT_SCHEDULE["assessment-freeze-previous-month"] = {
    "task": "assessment.freeze_previous_month", "schedule": crontab(day_of_month=1, hour=3, minute=0),
}
# Bulletins (通报, 第 N 期) once their period has ended: yesterday's, last week's on Monday, and the
# month's on the 1st after it is frozen. Idempotent: one bulletin per period.
CELERY_BEAT_SCHEDULE["assessment-bulletin-daily"] = {
    "task": "assessment.issue_bulletin", "schedule": crontab(hour=0, minute=30), "args": ("day",),
}
CELERY_BEAT_SCHEDULE["assessment-bulletin-weekly"] = {
    "task": "assessment.issue_bulletin", "schedule": crontab(day_of_week=1, hour=0, minute=45), "args": ("week",),
}
CELERY_BEAT_SCHEDULE["assessment-bulletin-monthly"] = {
    "task": "assessment.issue_bulletin", "schedule": crontab(day_of_month=1, hour=3, minute=30), "args": ("month",),
}

# --- hotline (issue 5), continued: names of its choice sets in the API schema (several apps have a
# "kind" and a "channel").
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "CallChannelEnum": "hotline.models.Channel",
    "CallKindEnum": "hotline.models.CallKind",
    "FeedbackChannelEnum": "hotline.models.FeedbackChannel",
    "FeedbackKindEnum": "hotline.models.FeedbackKind",
})

# --- API tokens and mail (issue 17) ---------------------------------------------------------------
# Staff API tokens (the field apps): django-rest-knox, with our token model (citygrid.models.ApiToken)
# and authentication (citygrid.auth.TokenAuthentication). Stored as a SHA-512 digest, shown once, valid
# API_TOKEN_TTL_HOURS (default 12, one long shift, like the session), refused and deleted once
# the person's password changed or they were deactivated. POST /api/auth/login/ issues one,
# /api/auth/logout/ revokes it, /api/auth/logoutall/ every token of the person.
from datetime import timedelta  # noqa: E402

from citygrid.mail import mail_settings  # noqa: E402

KNOX_TOKEN_MODEL = "citygrid.ApiToken"
API_TOKEN_TTL_HOURS = float(os.environ.get("API_TOKEN_TTL_HOURS", "12"))
if API_TOKEN_TTL_HOURS <= 0:
    raise ImproperlyConfigured("API_TOKEN_TTL_HOURS must be a positive number of hours.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "TOKEN_PREFIX": "cgt_",  # recognisable by secret scanners, as the Open311 keys' "cg_"
    "AUTH_HEADER_PREFIX": "Token",  # the header the field apps already send
    "AUTO_REFRESH": False,  # a token's life is fixed: no write on every request
}
# Mail: EMAIL_URL (smtp://user:pass@host:25, smtp+tls://…:587 for STARTTLS, smtps://…:465) or
# EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS / EMAIL_USE_SSL;
# DEFAULT_FROM_EMAIL, SERVER_EMAIL, EMAIL_TIMEOUT (seconds, default 10). With none: the console
# backend when DEBUG (the demo), otherwise nothing is sent and the password-reset page says to ask
# an administrator (MAIL_CONFIGURED is false).
_mail = mail_settings(os.environ, debug=DEBUG)
EMAIL_BACKEND = _mail["EMAIL_BACKEND"]
EMAIL_HOST = _mail.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _mail.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _mail.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _mail.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _mail.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _mail.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _mail["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = _mail["DEFAULT_FROM_EMAIL"]
SERVER_EMAIL = _mail["SERVER_EMAIL"]
MAIL_CONFIGURED = _mail["MAIL_CONFIGURED"]

# --- request limits (issue 17) --------------------------------------------------------------------
# A request with photos (multipart) may carry at most UPLOAD_MAX_FILES files and REQUEST_MAX_BYTES in
# all (by default five full-size photos); any other body at most DATA_UPLOAD_MAX_MEMORY_SIZE.
# Bodies over the cap are refused by their Content-Length before they are read
# (core.middleware), a file over MAX_UPLOAD_BYTES as soon as that many bytes of it have arrived
# (core.parsers.UploadLimitHandler). JSON nests at most core.parsers.JSON_MAX_DEPTH deep.
UPLOAD_MAX_FILES = int(os.environ.get("UPLOAD_MAX_FILES", "10"))
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES
REQUEST_MAX_BYTES = int(os.environ.get("REQUEST_MAX_BYTES", str(5 * MAX_UPLOAD_BYTES + 1024 * 1024)))
FILE_UPLOAD_HANDLERS = [
    "core.parsers.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "core.pagination.PageNumberPagination"  # an empty ?page= is refused
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "core.parsers.JSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]

# --- patrol (issue 20) ----------------------------------------------------------------------------
# Track points are kept PATROL_RETENTION_DAYS (default 90) and removed in bulk, an hour's range at a
# time, by the nightly beat task below (with the grid visits, check-ins and write receipts). The
# field app sends a point every PATROL_POINT_SECONDS while on duty. A 核实/核查 answer or a handled
# report given more than FIELD_ANSWER_RADIUS_M from the case is flagged to the operator (not
# refused). A check-in within PATROL_CHECKIN_WINDOW_MINUTES of a post's time meets it; points less
# accurate than PATROL_TRACK_MAX_ACCURACY_M are left out of the metres walked.
PATROL_RETENTION_DAYS = float(os.environ.get("PATROL_RETENTION_DAYS", "90"))
if PATROL_RETENTION_DAYS <= 0:
    raise ImproperlyConfigured("PATROL_RETENTION_DAYS must be a positive number of days.")
PATROL_POINT_SECONDS = int(os.environ.get("PATROL_POINT_SECONDS", "15"))
FIELD_ANSWER_RADIUS_M = float(os.environ.get("FIELD_ANSWER_RADIUS_M", "200"))
PATROL_CHECKIN_WINDOW_MINUTES = int(os.environ.get("PATROL_CHECKIN_WINDOW_MINUTES", "30"))
PATROL_TRACK_MAX_ACCURACY_M = float(os.environ.get("PATROL_TRACK_MAX_ACCURACY_M", "100"))
CELERY_BEAT_SCHEDULE["patrol-purge"] = {"task": "patrol.purge", "schedule": crontab(hour=2, minute=40)}

# --- field app (issue 20) -------------------------------------------------------------------------
# While a collector is on duty the phone takes a position every PATROL_POINT_SECONDS (below) and
# sends what it took every FIELD_TRACK_BATCH_SECONDS (one request per batch, queued offline).
FIELD_TRACK_BATCH_SECONDS = float(os.environ.get("FIELD_TRACK_BATCH_SECONDS", "60"))

# --- video intake (issue 23) ----------------------------------------------------------------------
# A video platform's detected event becomes a report at once when its confidence (0–1) is at least
# VIDEO_CONFIRM_THRESHOLD; below it, it waits for an operator to confirm or reject (/video/).
VIDEO_CONFIRM_THRESHOLD = float(os.environ.get("VIDEO_CONFIRM_THRESHOLD", "0.8"))
if not 0 <= VIDEO_CONFIRM_THRESHOLD <= 1:
    raise ImproperlyConfigured("VIDEO_CONFIRM_THRESHOLD must lie between 0 and 1.")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["VideoEventStatusEnum"] = "video.models.EventStatus"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "RewardEntryKindEnum": "rewards.models.EntryKind", "RewardUnitEnum": "rewards.models.Unit",
    "SurveyOutcomeEnum": "surveys.models.Outcome",
    # supervision: a letter's kind and status would clash with the other apps' "kind" and "status".
    "LetterKindEnum": "supervision.models.LetterKind", "LetterStatusEnum": "supervision.models.LetterStatus",
    "ReviewStatusEnum": "supervision.models.ReviewStatus",
})

# --- scheduled backups (issue 23) -----------------------------------------------------------------
# Every night at 03:15 (city time) a whole backup (manage.py backup: pg_dump -Fc, photos) goes into
# BACKUP_DIR: "monthly" on the 1st, "daily" otherwise; photos unchanged since the previous backup are
# hard-linked, not copied. Daily ones are kept BACKUP_KEEP_DAYS, monthly ones BACKUP_KEEP_MONTHS.
# Every Sunday at 04:00 the newest one is restored into a scratch database and checked. Each run is
# logged in BACKUP_DIR/backups.jsonl (admin page /backups/); a failure is logged as an error and
# mailed to BACKUP_ALERT_EMAILS.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "backups"))
BACKUP_KEEP_DAYS = int(os.environ.get("BACKUP_KEEP_DAYS", "14"))
BACKUP_KEEP_MONTHS = int(os.environ.get("BACKUP_KEEP_MONTHS", "12"))
# Who is mailed when a backup or its restore check fails (comma-separated; needs EMAIL_URL).
BACKUP_ALERT_EMAILS = env_list("BACKUP_ALERT_EMAILS")
CELERY_BEAT_SCHEDULE["citygrid-backup"] = {"task": "citygrid.backup_scheduled",
                                           "schedule": crontab(hour=3, minute=15)}
CELERY_BEAT_SCHEDULE["citygrid-backup-restore-check"] = {"task": "citygrid.backup_restore_check",
                                                         "schedule": crontab(day_of_week=0, hour=4, minute=0)}
# The monthly partitions of the history tables (PostgreSQL; docs/partitioning.md), kept three
# months ahead. Daily although a month lasts a month: idempotent, and a missed run (beat down on
# the 1st) or rows that landed in DEFAULT are dealt with the next night.
CELERY_BEAT_SCHEDULE["citygrid-partitions-ensure"] = {"task": "citygrid.partitions_ensure",
                                                      "schedule": crontab(hour=1, minute=30)}

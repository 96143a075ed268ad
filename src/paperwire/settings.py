"""The one settings module. Everything an operator sets comes from PAPERWIRE_* variables.

See docs/configuration.md for the list; every variable has a safe default so that
`paperwire serve` works with none of them set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from paperwire.envparse import (
    env_bool,
    env_email,
    env_float,
    env_int,
    env_ip_networks,
    env_list,
    env_url,
)
from paperwire.limits import env_rate_limits

BASE_DIR = Path(__file__).resolve().parent

DATA_DIR = Path(os.environ.get("PAPERWIRE_DATA_DIR") or Path.cwd() / "paperwire-data").resolve()


def _make_dir(path: Path, variable: str, value: str, where: str = "a directory") -> None:
    """Create a directory paperwire keeps files in, or stop with the one line every
    command prints (cli.py turns a ValueError into it) naming the variable (or option)
    to change, which names `where`: a path that is a file or under one, a read-only file
    system, someone else's directory."""
    fix = f"point {variable} at {where} this user can write to"
    if path.exists() and not path.is_dir():
        raise ValueError(f"{variable}={value!r}: {str(path)!r} is a file, not a directory; {fix}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(
            f"{variable}={value!r}: cannot create the directory {str(path)!r} "
            f"({exc.strerror or exc}); {fix}"
        ) from None


def _key_file_error(action: str, path: Path, exc: OSError) -> ValueError:
    """The one line for a secret_key file the data directory will not let us read or
    write."""
    return ValueError(
        f"PAPERWIRE_DATA_DIR={str(DATA_DIR)!r}: cannot {action} {str(path)!r} "
        f"({exc.strerror or exc}); point PAPERWIRE_DATA_DIR at a directory this user "
        "can write to, or set PAPERWIRE_SECRET_KEY"
    )


def _secret_key() -> str:
    """Use PAPERWIRE_SECRET_KEY, else one generated once and kept in the data dir."""
    if key := os.environ.get("PAPERWIRE_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    _make_dir(DATA_DIR, "PAPERWIRE_DATA_DIR", str(DATA_DIR))
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _key_file_error("read", path, exc) from None
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must end up sharing one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    except OSError as exc:
        raise _key_file_error("write", path, exc) from None
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def database_from_url(
    url: str, data_dir: Path, source: str = "PAPERWIRE_DATABASE_URL"
) -> dict[str, object]:
    """Turn PAPERWIRE_DATABASE_URL (or the option named `source`, in its errors) into a
    Django DATABASES entry.

    Accepts sqlite:///relative.db, sqlite:////abs/path.db and
    postgresql://user:pass@host:port/db (also ?host=/socket/dir for a Unix socket,
    ?conn_max_age=0 and ?disable_server_side_cursors=1 behind pgbouncer, and libpq's own
    parameters such as ?sslmode=require).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw = unquote(parts.path)
        # sqlite:////abs/path.db is absolute; sqlite:///name.db is under the data dir.
        name = Path(raw[1:]) if raw.startswith("//") else data_dir / raw.lstrip("/")
        # SQLite creates the file but not its directory (a new PAPERWIRE_DATA_DIR).
        _make_dir(name.parent, source, url, where="a file in a directory")
        return _sqlite(name)
    if scheme in {"postgres", "postgresql", "pgsql"}:
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        host = query.pop("host", None) or (unquote(parts.hostname or ""))
        # Ours, not libpq's: how long a process keeps its connection (0 behind pgbouncer),
        # and no server-side cursors (needed with pgbouncer in transaction mode).
        conn_max_age = _conn_max_age(query.pop("conn_max_age", "60"), source)
        no_server_cursors = query.pop("disable_server_side_cursors", "") in {"1", "true", "yes"}
        # Everything else goes to libpq (sslmode, application_name, …); an unreachable
        # server fails within connect_timeout seconds instead of hanging.
        options: dict[str, object] = {"connect_timeout": 10, **query}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": host,
            "PORT": str(_port(parts, source) or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
            "DISABLE_SERVER_SIDE_CURSORS": no_server_cursors,
        }
    raise ValueError(
        f"{source} has an unsupported scheme {scheme!r}: "
        "use sqlite:///path.db or postgresql://user@host/db"
    )


def _conn_max_age(value: str, source: str) -> int:
    if not value.isdigit():  # int() would name neither the variable nor what it takes
        raise ValueError(
            f"{source} has a bad conn_max_age {value!r}: use seconds, "
            "such as ?conn_max_age=0 behind pgbouncer in transaction mode"
        )
    return int(value)


def _port(parts: SplitResult, source: str) -> int | None:
    try:
        return parts.port
    except ValueError:  # urllib's "Port could not be cast to integer value as '…'"
        port = parts.netloc.rpartition("@")[2].rpartition(":")[2]  # never the password
        raise ValueError(
            f"{source} has a bad port {port!r}: use postgresql://user:password@host:5432/db"
        ) from None


def _sqlite(path: Path) -> dict[str, object]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets readers run beside the one writer; IMMEDIATE avoids
            # "database is locked" on read-then-write transactions.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        # Keep each thread's connection between requests: opening one (and running
        # the PRAGMAs above) cost more than a cached page's whole answer.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }


SECRET_KEY = _secret_key()
# Earlier keys, still accepted for what they signed (sessions, mailed links) while the
# key changes; papers/secretkey.py lets a process with a new key take over from one here.
SECRET_KEY_FALLBACKS = env_list("PAPERWIRE_SECRET_KEY_FALLBACKS", default=[])
DEBUG = env_bool("PAPERWIRE_DEBUG", default=False)
ALLOWED_HOSTS = env_list("PAPERWIRE_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("PAPERWIRE_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "paperwire.papers.views.csrf_failure"
SITE_NAME = os.environ.get("PAPERWIRE_SITE_NAME", "paperwire")
# Where people reach those who run the site (moderation, a lost account): shown in the
# footer and on /about, and named in account notices. Unset: none is shown.
PAPERWIRE_CONTACT_EMAIL = env_email("PAPERWIRE_CONTACT_EMAIL")
# Rate limits other than the defaults (paperwire/limits.py), e.g. for a lab whose members
# sign up from one address: "signup-ip=50/3600,login-ip=100/600".
PAPERWIRE_RATE_LIMITS = env_rate_limits("PAPERWIRE_RATE_LIMITS")


def _site_url() -> str:
    """PAPERWIRE_SITE_URL; else the http://HOST:PORT that the last `paperwire serve` (or
    `web`) on this data directory served on, which it notes in the data directory, so a
    `paperwire digest send` run beside it links to it too; else $PORT on 127.0.0.1."""
    if url := os.environ.get("PAPERWIRE_SITE_URL"):
        return url.rstrip("/")
    try:
        noted = (DATA_DIR / "site_url").read_text().strip()
    except OSError:
        noted = ""
    if noted.startswith(("http://", "https://")):
        return noted.rstrip("/")
    port = os.environ.get("PORT", "8000")
    return f"http://127.0.0.1:{port if port.isdigit() else '8000'}"


# The public address, for links in e-mails and feeds made outside a request.
SITE_URL = _site_url()

# Outgoing mail (verification, password reset, subscriptions, digests). With
# PAPERWIRE_EMAIL_HOST set, an SMTP server; without it, one .eml file per mail in
# $PAPERWIRE_DATA_DIR/mail/ (paperwire.mail.files), each also named in the log.
# PAPERWIRE_EMAIL_BACKEND, a Django e-mail backend's dotted path, overrides both.
EMAIL_HOST = os.environ.get("PAPERWIRE_EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get("PAPERWIRE_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "paperwire.mail.files.EmlFileBackend"
)
PAPERWIRE_MAIL_DIR = DATA_DIR / "mail"
EMAIL_PORT = env_int("PAPERWIRE_EMAIL_PORT", default=25, low=1, high=65535)
EMAIL_HOST_USER = os.environ.get("PAPERWIRE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PAPERWIRE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PAPERWIRE_EMAIL_TLS", default=False)
EMAIL_USE_SSL = env_bool("PAPERWIRE_EMAIL_SSL", default=False)
EMAIL_TIMEOUT = env_int("PAPERWIRE_EMAIL_TIMEOUT", default=15, low=1)
DEFAULT_FROM_EMAIL = os.environ.get("PAPERWIRE_EMAIL_FROM", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Date: in the process's local time, which Django sets to TIME_ZONE (UTC): "+0000".
# Off, Django writes "-0000", which RFC 5322 reads as "zone unknown".
EMAIL_USE_LOCALTIME = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # Serves /api/docs with Swagger UI from its own static files, not a CDN.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "paperwire.papers",
    "paperwire.mail",
    "paperwire.ingest",
    "paperwire.search",
    "paperwire.digests",
    "paperwire.community",
    "paperwire.recommend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "paperwire.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "paperwire.middleware.CleanInputMiddleware",
    # Outside GZip and ConditionalGet: a HEAD under /api/ gets GET's headers.
    "paperwire.api.middleware.HeadAsGet",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # Inside GZip: makes every /api/ error JSON before it is compressed.
    "paperwire.api.middleware.JsonApiErrors",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "paperwire.urls"
WSGI_APPLICATION = "paperwire.wsgi.application"

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
                "paperwire.papers.context.site",
                "paperwire.community.notifications.header",
            ],
        },
    },
]


def _default_database() -> dict[str, object]:
    if url := os.environ.get("PAPERWIRE_DATABASE_URL"):
        return database_from_url(url, DATA_DIR)
    _make_dir(DATA_DIR, "PAPERWIRE_DATA_DIR", str(DATA_DIR))
    return _sqlite(DATA_DIR / "paperwire.sqlite3")


DATABASES = {"default": _default_database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every process (it lives in the database), so two web workers never
# serve each other stale pages for longer than the data version lets them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "paperwire_cache",
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

# Background work goes through Django's Tasks API (django-tasks) into a queue in the
# database (django-tasks-db): any number of `paperwire worker` processes take tasks
# with row locks (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, an exclusive
# transaction on SQLite), so each task runs once.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed, cached-forever names once `collectstatic` (run by `serve`) has
    # written its manifest; plain names before that (tests, a bare `migrate`).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if (STATIC_ROOT / "staticfiles.json").exists() and not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve from the app directories when collectstatic has not run (tests, DEBUG).
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Set on every response by paperwire.middleware.SecurityHeadersMiddleware (see
# docs/deployment.md). Scripts and styles come only from our own static files (htmx
# too: no inline script, style or style= attribute anywhere, no eval); images also as
# data: URIs (the API docs' icons); nothing may frame the site or post forms elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Browser features the site never uses, refused for it and anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation",
        "gyroscope", "magnetometer", "microphone", "midi", "payment", "usb",
    )
)  # fmt: skip
# Behind a proxy that ends TLS, requests reach us as plain HTTP: its X-Forwarded-Proto
# says which came in over HTTPS, so that absolute links (feeds, og:url, the API's Link
# header, mails sent from a request) are https://. Opt-in: a client reaching us directly
# could claim it. X-Forwarded-Host is not trusted: the proxy passes Host on (see
# docs/deployment.md), and many proxies pass a client's X-Forwarded-Host through unchanged.
if env_bool("PAPERWIRE_TRUST_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind proxies at these addresses or networks the client is the rightmost entry of
# X-Forwarded-For that is not one of them (paperwire.clientaddr, for the rate limits);
# unset, it is REMOTE_ADDR and a client's X-Forwarded-For is ignored.
PAPERWIRE_TRUSTED_PROXIES = env_ip_networks("PAPERWIRE_TRUSTED_PROXIES")
if env_bool("PAPERWIRE_HTTPS", default=False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Plain-HTTP requests are sent to https:// (the proxy's X-Forwarded-Proto says which
    # is which); browsers that saw the site once keep to HTTPS for a year (HSTS).
    SECURE_SSL_REDIRECT = env_bool("PAPERWIRE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("PAPERWIRE_HSTS_SECONDS", default=31536000, low=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PAPERWIRE_HSTS_SUBDOMAINS", default=False)

# Uploads are never files here; cap bodies so a huge POST is a clear 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOG_LEVEL = os.environ.get("PAPERWIRE_LOG_LEVEL", "").strip().upper() or "WARNING"
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ValueError(
        f"PAPERWIRE_LOG_LEVEL={os.environ['PAPERWIRE_LOG_LEVEL']!r} is not a log level: "
        "use DEBUG, INFO, WARNING, ERROR or CRITICAL"
    )

# Off a terminal, `embed`, `ingest` and `db copy` write their progress as plain lines
# with the elapsed time (paperwire.progresslines), at most one a task this often.
PAPERWIRE_PROGRESS_SECONDS = env_float("PAPERWIRE_PROGRESS_SECONDS", default=5.0, low=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Where each mail went (and its links, when it went to a file): always in the log.
    "loggers": {"paperwire.mail": {"level": "INFO"}},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

PAPERWIRE = {
    # How many papers one feed page shows (HTML and the API's default limit).
    "FEED_PAGE_SIZE": 50,
    "API_MAX_LIMIT": 100,
    # Seconds a rendered feed page or API answer may be reused for one data version.
    "RESPONSE_CACHE_SECONDS": env_int("PAPERWIRE_RESPONSE_CACHE_SECONDS", default=300, low=0),
}

# arXiv ingestion (docs/ingest.md): where to harvest from, what, and when.
PAPERWIRE_ARXIV_API_URL = env_url(
    "PAPERWIRE_ARXIV_API_URL", default="https://export.arxiv.org/api/query"
)
PAPERWIRE_ARXIV_OAI_URL = env_url("PAPERWIRE_ARXIV_OAI_URL", default="https://oaipmh.arxiv.org/oai")
PAPERWIRE_ARXIV_RSS_URL = env_url("PAPERWIRE_ARXIV_RSS_URL", default="https://rss.arxiv.org/rss/")
# Seconds between requests; arxiv.org hosts always get at least 3.
PAPERWIRE_ARXIV_DELAY = env_float("PAPERWIRE_ARXIV_DELAY", default=3.0, low=0)
PAPERWIRE_INGEST_CATEGORIES = env_list("PAPERWIRE_INGEST_CATEGORIES", default=[])
PAPERWIRE_INGEST_HOUR = env_int("PAPERWIRE_INGEST_HOUR", default=6, low=0, high=23)
# oai, api or rss (checked by the ingest app's ready()).
PAPERWIRE_INGEST_SOURCE = os.environ.get("PAPERWIRE_INGEST_SOURCE", "").strip().lower() or "oai"
PAPERWIRE_INGEST_LOOKBACK_DAYS = env_int("PAPERWIRE_INGEST_LOOKBACK_DAYS", default=3, low=0)
# Parse the next OAI-PMH page in a second process while storing one: auto (when the
# machine has two or more CPUs), on or off (checked by the ingest app's ready()).
PAPERWIRE_INGEST_PARSE_AHEAD = os.environ.get("PAPERWIRE_INGEST_PARSE_AHEAD", "auto")
# The worker embeds papers without vectors (after ingest, and on every poll).
PAPERWIRE_EMBED_AFTER_INGEST = env_bool("PAPERWIRE_EMBED_AFTER_INGEST", default=True)
# How a submission of a paper the site has not stored asks arXiv for it.
PAPERWIRE_PAPER_FETCHER = os.environ.get(
    "PAPERWIRE_PAPER_FETCHER", "paperwire.ingest.lookup.fetch_arxiv_papers"
)
# What deleting an account does (counts, comments, mentions, subscriptions): the staff's
# Users admin (community) runs the same as a member's "Delete my account" (userdata, a
# layer above it), named here as the paper fetcher is.
PAPERWIRE_ACCOUNT_DELETER = "paperwire.userdata.deletion.delete_account"
# Hour (UTC) at which the worker composes and sends the day's e-mail digests.
PAPERWIRE_DIGEST_HOUR = env_int("PAPERWIRE_DIGEST_HOUR", default=7, low=0, high=23)

# "For you" (docs/for-you.md): on by default; the window is the last N feed days; the
# digest's "Picked for you" section asks recommend through this dotted path.
PAPERWIRE_FOR_YOU = env_bool("PAPERWIRE_FOR_YOU", default=True)
PAPERWIRE_FOR_YOU_DAYS = env_int("PAPERWIRE_FOR_YOU_DAYS", default=7, low=1, high=31)
PAPERWIRE_FOR_YOU_PICKS = "paperwire.recommend.digest.picks_for_digest"

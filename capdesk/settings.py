"""Capdesk's one settings module: every deployment difference comes from the environment.

``.env.example`` at the project root documents each variable. With no variables at
all the desk runs embedded: SQLite (WAL) under ``./var``, mail written to
``./var/mail``, answering on 127.0.0.1 and localhost.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from capdesk.core import queues
from capdesk.env import env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("CAPDESK_DATA_DIR", Path.cwd() / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir.

    The embedded default must work with no settings, yet sessions and signed magic
    links must survive a restart, so the generated key is persisted (mode 0600).
    """
    key = env_str("SECRET_KEY", "")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Processes of one desk can start together on a fresh data dir (web, worker,
        # scheduler): each writes a whole candidate aside and links it into place, and
        # only the first link wins, so none reads a half-written file or keeps a key of
        # its own that the others do not share.
        candidate = DATA_DIR / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        candidate.write_text(secrets.token_urlsafe(50))
        candidate.chmod(0o600)
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("CAPDESK_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The address the desk is reached at, for links in email (magic links, replies).
BASE_URL = env_str("CAPDESK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "capdesk.core",
    "capdesk.directory",
    "capdesk.policy",
    "capdesk.tickets",
    "capdesk.sla",
    "capdesk.intake",
    "capdesk.notify",
    "capdesk.portal",
    "capdesk.console",
    "capdesk.status",
    "capdesk.knowledge",
    "capdesk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the signed-in user as the actor of account changes (core.access_audit).
    "capdesk.core.audit_actor.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "capdesk.core.middleware.SecurityHeadersMiddleware",
    # A locked or unreachable database: 503 with Retry-After and the form's text, not a 500.
    "capdesk.core.busy.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "capdesk.urls"
WSGI_APPLICATION = "capdesk.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

_SQLITE_OPTIONS = {
    # WAL lets readers and one writer run together; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on busy_timeout instead of failing mid-transaction.
    "transaction_mode": "IMMEDIATE",
    # Seconds a writer waits for the lock before "database is locked". The fault tests
    # shorten it to hold a lock past it (capdesk/core/tests/test_db_faults.py).
    "timeout": env_int("CAPDESK_SQLITE_BUSY_TIMEOUT_SECONDS", 20, minimum=1),
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}


# Django's SQLite backend, waiting for the write lock in finer steps (see its module).
SQLITE_ENGINE = "capdesk.core.sqlite_backend"


def _database() -> dict[str, object]:
    url = env_str("DATABASE_URL", "")
    if not url:
        return {
            "ENGINE": SQLITE_ENGINE,
            "NAME": DATA_DIR / "capdesk.sqlite3",
            "OPTIONS": dict(_SQLITE_OPTIONS),
            # Reopening SQLite and re-running its PRAGMAs on every request cost 2-4x in the
            # status-page benchmark (BENCHMARKS.md); each server thread keeps its connection.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = SQLITE_ENGINE
        config["OPTIONS"] = dict(_SQLITE_OPTIONS)
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Django's model backend, loading a signed-in user with whether they are restricted to queues
# (tickets.backends). The plain one stays for the portal's sign-ins, which name it, and for
# sessions signed in before; it checks no password (AgentBackend refuses a wrong one first).
AUTHENTICATION_BACKENDS = [
    "capdesk.tickets.backends.AgentBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "console:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on a missing root; finders serve the files
MEDIA_ROOT = DATA_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # the embedded desk serves static files without collectstatic

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("CAPDESK_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Background work: django-tasks with its database backend, so a task is enqueued in
# the same transaction that stores the request it works on.
# Two queues (capdesk/core/queues.py): "default" for intake and the desk's own work,
# "outbound" for what waits on another server (email, webhooks); `capdesk run` gives
# each a worker, so a slow mail relay never holds up intake.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": list(queues.ALL)}}

# Email out. The embedded default writes one .eml per message under var/mail/, so a
# new user can read the magic link without an SMTP server.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "capdesk.notify.backends.EmlDirectoryBackend")
EMAIL_FILE_PATH = str(env_path("CAPDESK_MAIL_DIR", DATA_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds the SMTP backend waits on the mail server for each step of a send (Django's
# default is to wait for ever); a send that times out is retried with backoff. At most 60,
# so that a delivery batch (notify.actions) stays inside the time after which a running
# task counts as abandoned (core.jobs).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1, maximum=60)
# The Date header in the desk's time zone (UTC, "+0000"); Django's default writes "-0000",
# which RFC 5322 (3.3) reserves for "the sender's time zone is unknown".
EMAIL_USE_LOCALTIME = True
CAPDESK_SUPPORT_ADDRESS = env_str("CAPDESK_SUPPORT_ADDRESS", "support@capgo.app")
CAPDESK_SUPPORT_ALIASES = env_list("CAPDESK_SUPPORT_ALIASES", [])
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"Capgo Support <{CAPDESK_SUPPORT_ADDRESS}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CAPDESK_SMTP_HOST = env_str("CAPDESK_SMTP_HOST", "127.0.0.1")
CAPDESK_SMTP_PORT = env_int("CAPDESK_SMTP_PORT", 2525, minimum=0, maximum=65535)
# STARTTLS for `capdesk smtpd`: a PEM certificate chain and its key. Both empty: no STARTTLS
# (the embedded desk listens on loopback only); one set without the other stops start-up.
CAPDESK_SMTP_TLS_CERT = env_str("CAPDESK_SMTP_TLS_CERT", "")
CAPDESK_SMTP_TLS_KEY = env_str("CAPDESK_SMTP_TLS_KEY", "")
# Seconds an SMTP client may take between commands, sending the DATA included, before the
# receiver hangs up and stores nothing. RFC 5321 4.5.3.2.7 asks for at least 5 minutes.
CAPDESK_SMTP_TIMEOUT = env_int("CAPDESK_SMTP_TIMEOUT", 300, minimum=1)
CAPDESK_MAX_MESSAGE_BYTES = env_int("CAPDESK_MAX_MESSAGE_BYTES", 25 * 1024 * 1024, minimum=1024)
CAPDESK_MAX_ATTACHMENT_BYTES = env_int("CAPDESK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, minimum=1024)
CAPDESK_MAX_ATTACHMENTS = env_int("CAPDESK_MAX_ATTACHMENTS", 20, minimum=0)
# DKIM-sign the desk's own mail (notify/dkim_signing.py) for a relay that does not: a
# selector turns it on; the key is an RSA private key (PEM, "\n" escapes allowed); the
# domain defaults to the support address's. `capdesk dkim-keygen` makes both.
CAPDESK_DKIM_SELECTOR = env_str("CAPDESK_DKIM_SELECTOR", "")
CAPDESK_DKIM_DOMAIN = env_str("CAPDESK_DKIM_DOMAIN", "")
CAPDESK_DKIM_PRIVATE_KEY = env_str("CAPDESK_DKIM_PRIVATE_KEY", "")
# An agent's reply emails its files along while, encoded (base64 adds a third), they add up
# to at most this many bytes; above it the email lists them with links to the portal.
# Relays refuse large messages: Postfix's default limit is 10,240,000 bytes, Postmark's 10 MB.
CAPDESK_EMAIL_ATTACHMENT_BYTES = env_int("CAPDESK_EMAIL_ATTACHMENT_BYTES", 7 * 1024 * 1024, minimum=0)
# A solved ticket nobody touched for this many days is closed (Zendesk: 4); a customer's
# answer then opens a follow-up ticket. 0 keeps solved tickets open to answers for ever.
CAPDESK_CLOSE_SOLVED_AFTER_DAYS = env_int("CAPDESK_CLOSE_SOLVED_AFTER_DAYS", 7, minimum=0)
# Send each email with its own envelope sender (support+b.<id>.<mac>@), so a bounce names the
# email even when it quotes none of it (notify.verp). Only for SMTP relays that allow it.
CAPDESK_VERP = env_bool("CAPDESK_VERP", False)
# Addresses copied on one ticket (its CCs, tickets.copies), each emailed every agent reply.
CAPDESK_MAX_COPIED = env_int("CAPDESK_MAX_COPIED", 20, minimum=0)
# Automatic replies (standard replies, confirmations) per address per 24 hours (RFC 3834 loop guard).
CAPDESK_AUTO_REPLIES_PER_DAY = env_int("CAPDESK_AUTO_REPLIES_PER_DAY", 5, minimum=1)
# A pending request untouched this long has lost its task (a worker killed mid-task) and
# is re-run by the scheduler's stalled sweep (capdesk/core/jobs.py). The fault tests shorten it.
CAPDESK_STALLED_AFTER_SECONDS = env_int("CAPDESK_STALLED_AFTER_SECONDS", 120, minimum=1)
# How long the confirmation link for a held (unauthenticated) email works, in minutes.
CAPDESK_CONFIRM_MINUTES = env_int("CAPDESK_CONFIRM_MINUTES", 60 * 24, minimum=5)
# Days a held reply nobody confirmed or settled is kept after its link expired; then the
# scheduler discards it (its email stays in the intake log), as a mail desk's suspended view does.
CAPDESK_HELD_REPLY_DAYS = env_int("CAPDESK_HELD_REPLY_DAYS", 14, minimum=1)
# Days the worker's finished task results are kept (a row per email, reply and webhook),
# then the scheduler deletes them; failed ones, which say why, are kept longer.
CAPDESK_TASK_RESULT_DAYS = env_int("CAPDESK_TASK_RESULT_DAYS", 14, minimum=1)
CAPDESK_FAILED_TASK_RESULT_DAYS = env_int("CAPDESK_FAILED_TASK_RESULT_DAYS", 30, minimum=1)
CAPDESK_MAGIC_LINK_MINUTES = env_int("CAPDESK_MAGIC_LINK_MINUTES", 15, minimum=1)
CAPDESK_TICKET_PREFIX = env_str("CAPDESK_TICKET_PREFIX", "CAP")

# Sender authentication for email (E3, capdesk/intake/authentication.py).
# A DKIM signature older than this many days (its t=) does not prove the sender: a replay.
CAPDESK_DKIM_MAX_AGE_DAYS = env_int("CAPDESK_DKIM_MAX_AGE_DAYS", 7, minimum=1)
# authserv-ids of relays whose Authentication-Results (dmarc=pass) we trust (comma-separated).
CAPDESK_TRUSTED_AUTHSERV_IDS = env_list("CAPDESK_TRUSTED_AUTHSERV_IDS", [])
# Domains whose ARC seal (first hop) we trust to report DMARC before forwarding (comma-separated).
CAPDESK_TRUSTED_ARC_SEALERS = env_list("CAPDESK_TRUSTED_ARC_SEALERS", [])
# DNS servers for DKIM key lookups, as IP[:port] (comma-separated); empty: the system resolver.
CAPDESK_DNS_NAMESERVERS = env_list("CAPDESK_DNS_NAMESERVERS", [])

# `capdesk imap-poll`: the mailbox to read support mail from (empty host: the command refuses to run).
CAPDESK_IMAP_HOST = env_str("CAPDESK_IMAP_HOST", "")
CAPDESK_IMAP_PORT = env_int("CAPDESK_IMAP_PORT", 993, minimum=1, maximum=65535)
CAPDESK_IMAP_SSL = env_bool("CAPDESK_IMAP_SSL", True)  # implicit TLS (993); off only on loopback
CAPDESK_IMAP_USER = env_str("CAPDESK_IMAP_USER", "")
CAPDESK_IMAP_PASSWORD = env_str("CAPDESK_IMAP_PASSWORD", "")
CAPDESK_IMAP_FOLDER = env_str("CAPDESK_IMAP_FOLDER", "INBOX")
# Where a stored message is moved; empty: it stays and is flagged \Seen (only unseen mail is read).
CAPDESK_IMAP_DONE_FOLDER = env_str("CAPDESK_IMAP_DONE_FOLDER", "")

# Provider inbound webhooks (/hooks/email/<provider>/, django-anymail). A provider whose
# secret is empty is switched off (404): anymail alone would accept unsigned posts.
ANYMAIL = {
    # "user:password" that Postmark, SendGrid and Amazon SES send as HTTP basic auth.
    "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", ""),
    # Mailgun signs each post with HMAC-SHA256 under this key.
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY", ""),
    # An API provider's sending backend waits this long per request, as the SMTP backend
    # waits EMAIL_TIMEOUT per step: the outbox's batch budget (4 x EMAIL_TIMEOUT) holds for both.
    "REQUESTS_TIMEOUT": EMAIL_TIMEOUT,
}

# The Capgo dashboard signs the user's identity (JWT) when it sends them to the portal.
# The key is the platform's public key (PEM) for RS256/ES256, or a shared secret for HS256.
CAPDESK_DASHBOARD_JWT_KEY = env_str("CAPDESK_DASHBOARD_JWT_KEY", "").replace("\\n", "\n")
CAPDESK_DASHBOARD_JWT_ALGORITHMS = env_list("CAPDESK_DASHBOARD_JWT_ALGORITHMS", ["RS256", "ES256"])
CAPDESK_DASHBOARD_JWT_AUDIENCE = env_str("CAPDESK_DASHBOARD_JWT_AUDIENCE", "capdesk")
CAPDESK_DASHBOARD_JWT_ISSUER = env_str("CAPDESK_DASHBOARD_JWT_ISSUER", "https://console.capgo.app")
# Longest lifetime (exp - iat) accepted, in seconds: these tokens are for one redirect.
CAPDESK_DASHBOARD_JWT_MAX_AGE = env_int("CAPDESK_DASHBOARD_JWT_MAX_AGE", 300, minimum=10)

# Directory sync from Capgo: the secret its outgoing webhooks are signed with
# (Standard Webhooks, "whsec_..." base64), and the public API for `directory pull`.
CAPGO_WEBHOOK_SECRET = env_str("CAPGO_WEBHOOK_SECRET", "")
CAPGO_WEBHOOK_TOLERANCE_SECONDS = env_int("CAPGO_WEBHOOK_TOLERANCE_SECONDS", 300, minimum=1)
CAPGO_API_URL = env_str("CAPGO_API_URL", "https://api.capgo.app").rstrip("/")
CAPGO_API_KEY = env_str("CAPGO_API_KEY", "")

# The support policy the desk enforces (TOML: clauses, plans, scopes, standard replies).
# Default: Capgo's, shipped with the code. A malformed file stops start-up (check policy.E001).
CAPDESK_POLICY = env_path("CAPDESK_POLICY", BASE_DIR / "policy" / "capgo_policy.toml")

# The public status page (M1, M2). Its address is where incident shortlinks point; the
# page id is derived from it when empty. Times in the v2 JSON and the page's day
# boundaries (uptime bars) use the zone below. Strict mode never emits Statuspage's
# `maintenance` indicator or `under_maintenance` status, which some exporters reject.
CAPDESK_STATUS_URL = (env_str("CAPDESK_STATUS_URL", "") or f"{BASE_URL}/status").rstrip("/")
CAPDESK_STATUS_PAGE_NAME = env_str("CAPDESK_STATUS_PAGE_NAME", "Capgo")
CAPDESK_STATUS_PAGE_ID = env_str("CAPDESK_STATUS_PAGE_ID", "")
CAPDESK_STATUS_TIME_ZONE = env_str("CAPDESK_STATUS_TIME_ZONE", "Etc/UTC")  # checked at start-up (status.E001)
CAPDESK_STATUS_STRICT = env_bool("CAPDESK_STATUS_STRICT", False)
# Where the status page's public documents are published as files on every change
# (`capdesk status_publish`), for `capdesk status-serve`, nginx or a CDN to serve; and the
# address `capdesk status-serve` (a child of `capdesk run`) listens on.
CAPDESK_STATUS_PUBLISH_DIR = env_path("CAPDESK_STATUS_PUBLISH_DIR", DATA_DIR / "status-site")
CAPDESK_STATUS_BIND = env_str("CAPDESK_STATUS_BIND", "127.0.0.1:8001")
# Subscriber webhooks: seconds to wait for an endpoint, and whether http:// and private or
# loopback addresses are allowed (only for tests and closed networks: it opens SSRF).
CAPDESK_STATUS_WEBHOOK_TIMEOUT_SECONDS = env_int(
    "CAPDESK_STATUS_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=60
)
CAPDESK_STATUS_WEBHOOK_ALLOW_LOCAL = env_bool("CAPDESK_STATUS_WEBHOOK_ALLOW_LOCAL", False)
# Minutes a recovered monitor must stay up before admins are asked to resolve its incident
# (one click in the console). Never resolved automatically: a flapping service would
# close and reopen incidents, and a person confirms the fix (Statuspage's advice).
CAPDESK_STATUS_RESOLVE_AFTER = env_int("CAPDESK_STATUS_RESOLVE_AFTER", 15, minimum=1, maximum=7 * 24 * 60)

# Outgoing webhooks (ticket, SLA and incident events to endpoints set up in the admin):
# seconds to wait for an endpoint, and whether http:// and private or loopback targets
# are allowed (only for tests and closed networks: it opens SSRF).
CAPDESK_WEBHOOK_TIMEOUT_SECONDS = env_int("CAPDESK_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=60)
CAPDESK_WEBHOOK_ALLOW_LOCAL = env_bool("CAPDESK_WEBHOOK_ALLOW_LOCAL", False)

# SLA alerts (warnings before a target is missed, breaches) go to the ticket's assignee
# and to these queue watchers: "queue-slug=address" pairs, "*=address" or a bare
# address for every queue (comma-separated).
CAPDESK_SLA_ALERT_TO = env_list("CAPDESK_SLA_ALERT_TO", [])
# Breaches (not warnings) also go to these escalation addresses, same format: whoever
# answers for a missed contractual target, beyond the people watching the queue.
CAPDESK_SLA_ESCALATE_TO = env_list("CAPDESK_SLA_ESCALATE_TO", [])
# Warnings and breaches are also posted to this chat incoming-webhook URL (empty: off).
# It is a credential: kept in the environment, never stored in the database.
CAPDESK_SLA_CHAT_WEBHOOK_URL = env_str("CAPDESK_SLA_CHAT_WEBHOOK_URL", "")
# Which payload the webhook takes: "discord" ({"content": ...}) or "slack" ({"text": ...}).
CAPDESK_SLA_CHAT_KIND = env_str("CAPDESK_SLA_CHAT_KIND", "discord").strip().lower()  # checked: sla.E003

# The REST API (/api/): requests per minute per token (a token may set its own), and how
# long an Idempotency-Key is remembered. Counters are in the database, shared by all processes.
CAPDESK_API_RATE_LIMIT_PER_MINUTE = env_int("CAPDESK_API_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
CAPDESK_API_IDEMPOTENCY_HOURS = env_int("CAPDESK_API_IDEMPOTENCY_HOURS", 24, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "capdesk.core.logfmt.KeyValueFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("CAPDESK_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # aiosmtpd logs every sender and recipient address at INFO; ours are logged redacted.
        "mail.log": {"level": "WARNING"},
    },
}

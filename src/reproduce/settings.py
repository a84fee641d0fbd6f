"""Django settings for ReProduce: one module, every deployment difference read from the environment.

See docs/operator/production.md for the variables. Defaults give the embedded demo:
SQLite in the repository and e-mails printed on the console.
"""

import secrets
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from reproduce.env import database_from_url, env_bool, env_int, env_list, env_str

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = SRC_DIR.parent.parent  # the repository (or install) root
DATA_DIR = Path(env_str("REPRODUCE_DATA_DIR", str(BASE_DIR / "var")))


def _secret_key() -> str:
    key = env_str("REPRODUCE_SECRET_KEY", "")
    if key:
        return key
    # Embedded use: keep a generated key beside the data so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("REPRODUCE_DEBUG", False)
ALLOWED_HOSTS = env_list(
    "REPRODUCE_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("REPRODUCE_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("REPRODUCE_SITE_URL", "http://localhost:8000")

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
    # Our apps come before allauth so that our templates restyle its pages.
    "reproduce.core",
    "reproduce.accounts",
    "reproduce.network",
    "reproduce.files",
    "reproduce.designs",
    "reproduce.orders",
    "reproduce.planning",
    "reproduce.inventory",
    "reproduce.production",
    "reproduce.traceability",
    "reproduce.programme",
    "reproduce.web",
    "reproduce.api",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "reproduce.accounts.middleware.PreferredLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Refuses an oversized Content-Length before anything reads the body (after Locale: translated).
    "reproduce.files.uploads.UploadLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "reproduce.core.middleware.ActorMiddleware",
    # Axes last: it answers a locked-out sign-in before the view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "reproduce.urls"
WSGI_APPLICATION = "reproduce.wsgi.application"
ASGI_APPLICATION = "reproduce.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "reproduce.web.context_processors.platform",
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'reproduce-demo.sqlite3'}"), BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env_list(
    "REPRODUCE_PASSWORD_HASHERS",
    ["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:home"

# django-allauth: sign-in by e-mail, optional TOTP second factor.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("REPRODUCE_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_ADAPTER = "reproduce.accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": "20/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ReProduce"

# django-axes: lock an e-mail + address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("REPRODUCE_AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env_bool("REPRODUCE_AXES_ENABLED", True)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
FORMAT_MODULE_PATH = ["reproduce.formats"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it, even before collectstatic
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("REPRODUCE_MEDIA_ROOT", str(DATA_DIR / "media")))
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic (embedded use)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str(
            "REPRODUCE_STATICFILES_STORAGE",
            "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# Background work goes through django.tasks; the database backend needs no other service.
TASKS = {
    "default": {"BACKEND": env_str("REPRODUCE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}
}

EMAIL_BACKEND = env_str("REPRODUCE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("REPRODUCE_FROM_EMAIL", "ReProduce <noreply@reproduce.brussels>")
EMAIL_HOST = env_str("REPRODUCE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("REPRODUCE_EMAIL_PORT", 25)

# Requests larger than this are refused before they reach a view (an upload has its own limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REPRODUCE_MAX_REQUEST_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Uploaded files (designs, photos): one file at most FILES_MAX_BYTES; archives are opened only
# if they expand to less than FILES_MAX_ARCHIVE_BYTES in at most FILES_MAX_ARCHIVE_ENTRIES files.
FILE_UPLOAD_HANDLERS = [
    "reproduce.files.uploads.LimitedUploadHandler",  # first: counts every chunk before it is stored
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILES_MAX_BYTES = env_int("REPRODUCE_FILES_MAX_BYTES", 100 * 1024 * 1024)
FILES_MAX_ARCHIVE_BYTES = env_int("REPRODUCE_FILES_MAX_ARCHIVE_BYTES", 500 * 1024 * 1024)
FILES_MAX_ARCHIVE_ENTRIES = env_int("REPRODUCE_FILES_MAX_ARCHIVE_ENTRIES", 2000)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("REPRODUCE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The map works with no tile server: communes are drawn from local GeoJSON. A tile URL
# template (e.g. an institutional tile server) adds a background when one is reachable.
MAP_TILE_URL = env_str("REPRODUCE_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("REPRODUCE_MAP_TILE_ATTRIBUTION", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("REPRODUCE_LOG_LEVEL", "WARNING")},
}

"""The Flask extensions, each created once and bound to the app in `create_app`."""

import functools

import click
from flask import current_app
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from banking.core.models.base import Base

db = SQLAlchemy(model_class=Base)


class _LazyDbCommands(click.Group):
    """`flask db …`: Flask-Migrate's own command group, imported when it is invoked (its
    options, its callback and its commands: this only stands in for it in `flask --help`)."""

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context):
        return self._real().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real().get_command(ctx, cmd_name)


class LazyMigrate:
    """`app.extensions["migrate"]` until something reads it: then Flask-Migrate's own.

    Only `flask db` (and Alembic's env.py under it) reads it, yet importing Flask-Migrate
    imports Alembic, Mako and Pygments: ~11 MB of memory and ~0.5 s of start-up in every
    web and Celery worker process, which never migrate. The first attribute read imports
    it and registers the real extension with the same options, which then replaces this
    stand-in in `app.extensions`.
    """

    def __init__(self, app, db: SQLAlchemy, **options) -> None:
        self._app, self._db, self._options = app, db, options
        app.extensions["migrate"] = self
        app.cli.add_command(_LazyDbCommands("db", help="Perform database migrations."))

    def __getattr__(self, name: str):
        if name.startswith("__"):  # protocol probes (copy, pickle, Jinja): not a read
            raise AttributeError(name)
        if self._app.extensions.get("migrate") is self:  # once, however it is held
            from flask_migrate import Migrate

            Migrate(self._app, self._db, **self._options)
        return getattr(self._app.extensions["migrate"], name)


class BankingLoginManager(LoginManager):
    """Flask-Login's manager, without a fingerprint nobody reads.

    Flask-Login hashes the client's address and user agent (SHA-512) on every request
    before it looks whether session protection is on; it is off here on purpose
    (banking/web/security.py says why), so the hash is skipped when it would be dropped.
    """

    def _session_protection_failed(self) -> bool:
        mode = current_app.config.get("SESSION_PROTECTION", self.session_protection)
        if mode not in ("basic", "strong"):
            return False
        return super()._session_protection_failed()


login_manager = BankingLoginManager()
csrf = CSRFProtect()
cache = Cache()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Every limit in the app is on a POST (sign-in, sign-up, password reset, re-checks of the
# password: banking/web/auth/throttling.py); nothing is limited by default. Evaluating
# the limits of a GET found none, at ~5 % of a cached page's CPU, so safe methods skip
# them. A limit on a GET would have to remove this filter (tests/security checks it).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNLIMITED = "banking.unlimited_endpoints"  # app.extensions: endpoint -> nothing to limit


@limiter.request_filter
def _safe_methods_are_not_limited() -> bool:
    from flask import current_app, request

    return request.method in SAFE_METHODS or declares_no_limit(current_app, request.endpoint)


def declares_no_limit(app, endpoint: str | None) -> bool:
    """True when no limit of any kind can apply to `endpoint`: then Flask-Limiter would
    look for limits and find none (~4 % of a transfer confirmation's CPU, on every POST).

    Exactly what the limiter itself resolves: application, default, meta and blueprint
    limits (none in this app), the limits decorated on the view by its qualified name
    (Flask-Limiter's own key) and limits hinted for the endpoint at request time (read
    on every call). A filter skips decorated limits too, so a view with any is never
    skipped (tests/security/test_rate_limit_methods.py).
    """
    from flask_limiter.util import get_qualified_name

    manager = limiter.limit_manager
    if endpoint is None or manager.has_hints(endpoint):
        return False
    known: dict[str, bool] = app.extensions.setdefault(_UNLIMITED, {})
    answer = known.get(endpoint)
    if answer is None:
        view = app.view_functions.get(endpoint)
        answer = bool(
            view is not None
            and not manager.application_limits
            and not manager.default_limits
            and not limiter._meta_limits  # no public accessor
            and not manager._blueprint_limits
            and not manager.decorated_limits(get_qualified_name(view))
        )
        known[endpoint] = answer
    return answer


def skip_limiter_lookups(app) -> None:
    """Run Flask-Limiter's before-request look-up only where the filter above lets a limit
    apply. Filtered requests (every GET, and POSTs to views without limits) got nothing
    from it but its bookkeeping: ~4 % of a cached dashboard's CPU. Limits decorated on a
    view are checked by the view's own wrapper, which still asks the same filter.

    Its after-request hook (headers, conditional deductions) and teardown (resetting its
    per-request state) then found no state and built an empty one to look in: another
    ~4 %. They now run only when a look-up or a decorated limit made that state."""
    funcs = app.before_request_funcs.get(None, [])
    for index, func in enumerate(funcs):
        if getattr(func, "__self__", None) is limiter and func.__name__ == "_check_request_limit":
            funcs[index] = _unless_filtered(func)
    for funcs in (app.after_request_funcs.get(None, []), app.teardown_request_funcs.get(None, [])):
        for index, func in enumerate(funcs):
            if _is_limiter_hook(func, "__inject_headers", "__release_context"):
                funcs[index] = _unless_limiter_state(func)


def _is_limiter_hook(func, *names: str) -> bool:
    if isinstance(func, functools.partial):  # the after-request hook: partial(fn, limiter)
        return func.args[:1] == (limiter,) and func.func.__name__ in names
    return getattr(func, "__self__", None) is limiter and func.__name__ in names


def _unless_limiter_state(hook):
    """The hook, run only if this request holds Flask-Limiter's state (its `context`
    property makes it on first use, under this attribute of the request context)."""
    from flask.globals import _cv_request

    @functools.wraps(hook)
    def guarded(arg):
        ctx = _cv_request.get(None)
        if ctx is not None and not hasattr(ctx, "_limiter_request_context"):
            return arg  # the response (after-request) or the error (teardown): unchanged
        return hook(arg)

    guarded.limiter_hook = hook  # type: ignore[attr-defined]
    return guarded


def _unless_filtered(check):
    @functools.wraps(check)
    def check_request_limit():
        if _safe_methods_are_not_limited():
            return None
        return check()

    return check_request_limit

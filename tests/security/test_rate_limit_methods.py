"""The limiter skips GET, HEAD and OPTIONS (banking/extensions.py): that is only right while
every limit in the app is on a method that changes something."""

from __future__ import annotations

from banking.extensions import SAFE_METHODS, limiter
from tests.support.forms import submit


def test_every_rate_limit_is_on_a_method_the_limiter_still_checks(app):
    manager = limiter.limit_manager
    declared = [
        (name, limit) for name, limits in manager._decorated_limits.items() for limit in limits
    ]
    declared += [("(application)", limit) for limit in manager.application_limits]
    declared += [("(default)", limit) for limit in manager.default_limits]
    assert declared, "the app declares its sign-in and sign-up limits: none found"
    for name, limit in declared:
        methods = {m.upper() for m in (limit.methods or ())}
        assert methods, f"{name}: a limit on every method would skip GETs silently"
        assert not methods & SAFE_METHODS, f"{name} limits {methods & SAFE_METHODS}"



def test_the_limiter_skips_only_posts_to_views_without_any_limit(app):
    """`declares_no_limit` spares the limiter's look-up on a POST only where it would find
    nothing: the transfer confirmation has no limit; every throttled view keeps its own."""
    from banking.extensions import declares_no_limit

    throttled = {
        "auth.change_password",
        "auth.forgot_password",
        "auth.login",
        "auth.reset_password",
        "auth.second_factor",
        "auth.signup",
        "auth.two_factor_disable",
        "auth.two_factor_setup",
        "auth.verify_email",
    }
    with app.test_request_context():
        skipped = {ep for ep in app.view_functions if declares_no_limit(app, ep)}
    assert not skipped & throttled
    assert set(app.view_functions) - skipped == throttled
    assert "accounts.transfer_confirm" in skipped
    assert not declares_no_limit(app, None)


def test_the_limiters_request_hook_asks_the_same_filter_first(app, client):
    """`skip_limiter_lookups` guards Flask-Limiter's own hook (not a copy of its logic):
    a filtered request never reaches it, any other request does."""
    from banking.extensions import _safe_methods_are_not_limited

    hooks = [f for f in app.before_request_funcs[None] if f.__name__ == "_check_request_limit"]
    assert len(hooks) == 1
    assert hooks[0].__wrapped__.__self__ is limiter
    calls = []
    original = hooks[0].__wrapped__
    index = app.before_request_funcs[None].index(hooks[0])
    from banking.extensions import _unless_filtered

    def spy():
        calls.append(_safe_methods_are_not_limited())
        return original()

    app.before_request_funcs[None][index] = _unless_filtered(spy)
    try:
        submit(client, "/auth/login", {"email": "a@example.com", "password": "x"})
    finally:
        app.before_request_funcs[None][index] = hooks[0]
    assert calls == [False]  # only the sign-in POST, which has its limits


def test_the_limiters_after_request_hooks_run_only_where_it_looked(app, client):
    """A request the limiter skipped leaves no limiter state behind: its after-request and
    teardown hooks no longer build one just to find it empty. The sign-in POST, which has
    limits, still goes through all of them."""
    from flask.globals import request_ctx

    guarded = [
        f
        for funcs in (app.after_request_funcs[None], app.teardown_request_funcs[None])
        for f in funcs
        if hasattr(f, "limiter_hook")
    ]
    assert len(guarded) == 2
    seen = []

    def note(_exc):
        ctx = request_ctx._get_current_object()
        seen.append((ctx.request.method, hasattr(ctx, "_limiter_request_context")))

    app.teardown_request_funcs[None].insert(0, note)  # teardowns run last-added first
    try:
        client.get("/")  # no limit: the sign-in page's view carries the POST's limits
        submit(client, "/auth/login", {"email": "a@example.com", "password": "x"})
    finally:
        app.teardown_request_funcs[None].remove(note)
    assert seen[0] == ("GET", False)
    assert ("POST", True) in seen

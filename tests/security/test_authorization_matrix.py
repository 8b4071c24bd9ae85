"""Every route in the URL map, for every kind of visitor, answers what the table says.

Rows are endpoints; columns are who asks: anonymous, customer A on A's own objects,
customer A on customer B's objects (and on admin pages), and an admin on B's objects.
The table is explicit on purpose: a new route without a row fails
`test_every_route_has_an_expectation`, so nobody adds a page without deciding who may
see it. GET is used where a rule allows it, else POST with a valid CSRF token (so the
answer is the authorization decision, not the CSRF refusal). A rule that takes both is
asked twice: GET (EXPECTED) and POST (POST_EXPECTED), since the POST is what acts.
Refused visitors post a complete, plausible form (a reason, `confirmed=yes`, a
nickname, an amount) to other people's objects and admin actions, so a missing check
would change the database, which must stay exactly as it was. "login" means a redirect
to the sign-in page; "redirect" any other 302.
"""

from __future__ import annotations

import re

import pytest

from tests.security.world import World, assert_unchanged, build_world, page_csrf, snapshot
from tests.support.sessions import login_as

LOGIN = "login"
REDIRECT = "redirect"
ANON, OWNER, OTHER, ADMIN = "anonymous", "owner", "other customer", "admin"

# endpoint: (anonymous, customer on own objects, customer on B's objects, admin on B's)
# An admin has no accounts: customer pages are 403 (customer_required), except the
# history/statement pages, which look the account up among the admin's own: 404.
# Admin action pages (approve, unfreeze, ...) show their confirm form (200) even when
# the action doesn't apply; the POST is what refuses it.
EXPECTED: dict[str, tuple] = {
    # Public
    "health.healthz": (200, 200, 200, 200),
    "health.readyz": (200, 200, 200, 200),
    # By network or bearer token, not by role: the test client is 127.0.0.1 (allowed);
    # tests/app/test_metrics.py proves the outside gets 404.
    "metrics": (200, 200, 200, 200),
    "auth.login": (200, REDIRECT, REDIRECT, REDIRECT),
    "auth.signup": (200, REDIRECT, REDIRECT, REDIRECT),
    "auth.signup_sent": (200, 200, 200, 200),  # the same static page for everyone
    "auth.verify_email": (400, 400, 400, 400),  # an unknown token
    "auth.forgot_password": (200, 200, 200, 200),
    "auth.reset_password": (400, 400, 400, 400),  # an unknown token
    "auth.second_factor": (LOGIN, LOGIN, LOGIN, LOGIN),  # no password step pending
    # Signed-in, any role
    "auth.logout": (LOGIN, LOGIN, LOGIN, LOGIN),
    "auth.profile": (LOGIN, 200, 200, 200),
    "auth.change_name": (LOGIN, 400, 400, 400),
    "auth.change_password": (LOGIN, 400, 400, 400),
    "auth.two_factor_setup": (LOGIN, 200, 200, 200),
    "auth.two_factor_disable": (LOGIN, REDIRECT, REDIRECT, REDIRECT),
    # Customers, scoped to their own objects
    "accounts.dashboard": (LOGIN, 200, 200, REDIRECT),
    "accounts.open_account": (LOGIN, 200, 200, 403),
    "accounts.account_settings": (LOGIN, 200, 404, 403),
    "accounts.rename_account": (LOGIN, 400, 404, 403),
    "accounts.close_account": (LOGIN, 400, 404, 403),
    # A's own account is a checking one: a goal is refused (400, savings only); removing
    # the goal the world gave it directly succeeds (back to the settings page).
    "accounts.set_goal": (LOGIN, 400, 404, 403),
    "accounts.remove_goal": (LOGIN, REDIRECT, 404, 403),
    "accounts.history": (LOGIN, 200, 404, 404),
    "accounts.history_export": (LOGIN, 200, 404, 404),
    "accounts.statement": (LOGIN, 200, 404, 404),
    "accounts.statement_export": (LOGIN, 200, 404, 404),
    "accounts.statement_archive_page": (LOGIN, 200, 404, 404),
    "accounts.statement_document": (LOGIN, 200, 404, 404),
    "accounts.transfer_own": (LOGIN, 200, 200, 403),
    "accounts.transfer_pay": (LOGIN, 200, 200, 403),
    "accounts.transfer_confirm": (LOGIN, 400, 400, 403),
    "accounts.transfer_edit": (LOGIN, 400, 400, 403),  # the confirm page's Edit: a POST
    "accounts.transfer_result": (LOGIN, 200, 404, 403),
    "accounts.payees": (LOGIN, 200, 200, 403),
    "accounts.rename_payee": (LOGIN, 200, 404, 403),
    "accounts.delete_payee": (LOGIN, 200, 404, 403),
    "accounts.schedules": (LOGIN, 200, 200, 403),
    "accounts.schedule_new": (LOGIN, 200, 200, 403),
    "accounts.schedule_pause": (LOGIN, REDIRECT, 404, 403),
    "accounts.schedule_resume": (LOGIN, REDIRECT, 404, 403),
    "accounts.schedule_cancel": (LOGIN, REDIRECT, 404, 403),
    # Only the signed-in customer's own "seen" mark; without `until` nothing changes.
    "accounts.dismiss_announcements": (LOGIN, REDIRECT, REDIRECT, 403),
    # Search reads only the signed-in customer's own accounts (an admin has none).
    "accounts.search": (LOGIN, 200, 200, 403),
    # Categories and insights: the signed-in customer's own rules and figures only (the
    # rules are keyed by the asker's user id; no route takes another customer's id). The
    # forms posted bare (a token, no merchant) change nothing and go back to the list.
    "accounts.categories": (LOGIN, 200, 200, 403),
    "accounts.category_rule": (LOGIN, REDIRECT, REDIRECT, 403),  # no merchant chosen
    "accounts.save_category_rule": (LOGIN, REDIRECT, REDIRECT, 403),
    "accounts.remove_category_rule": (LOGIN, REDIRECT, REDIRECT, 403),
    "accounts.undo_category_rule": (LOGIN, REDIRECT, REDIRECT, 403),
    "accounts.insights": (LOGIN, 200, 200, 403),
    # Notifications: any signed-in user's own inbox; someone else's notification is a 404.
    # "Mark all as read" marks the asker's own only (never B's: the snapshot says so).
    "notifications.inbox": (LOGIN, 200, 200, 200),
    "notifications.open_notification": (LOGIN, REDIRECT, 404, 404),
    "notifications.mark_all_read": (LOGIN, REDIRECT, REDIRECT, REDIRECT),
    "auth.notification_emails": (LOGIN, REDIRECT, REDIRECT, REDIRECT),  # own choices only
    # Admin only
    "admin.overview": (LOGIN, 403, 403, 200),
    "admin.accounts": (LOGIN, 403, 403, 200),
    "admin.account_detail": (LOGIN, 403, 403, 200),
    "admin.adjust_account": (LOGIN, 403, 403, 200),
    "admin.close_account": (LOGIN, 403, 403, 200),
    "admin.freeze_account": (LOGIN, 403, 403, 200),
    "admin.unfreeze_account": (LOGIN, 403, 403, 200),
    "admin.audit_log": (LOGIN, 403, 403, 200),
    "admin.audit_export": (LOGIN, 403, 403, 200),
    "admin.integrity": (LOGIN, 403, 403, 200),
    "admin.failed_jobs_list": (LOGIN, 403, 403, 200),
    "admin.retry_job": (LOGIN, 403, 403, 200),
    "admin.journal": (LOGIN, 403, 403, 200),
    "admin.transaction_detail": (LOGIN, 403, 403, 200),
    "admin.reverse_transaction": (LOGIN, 403, 403, 200),
    "admin.reviews": (LOGIN, 403, 403, 200),
    "admin.approve_transfer": (LOGIN, 403, 403, 200),
    "admin.reject_transfer": (LOGIN, 403, 403, 200),
    "admin.users": (LOGIN, 403, 403, 200),
    "admin.pending_actions": (LOGIN, 403, 403, 200),
    "admin.approve_pending": (LOGIN, 403, 403, 200),
    "admin.reject_pending": (LOGIN, 403, 403, 200),
    "admin.user_detail": (LOGIN, 403, 403, 200),
    "admin.lock_user": (LOGIN, 403, 403, 200),
    "admin.reset_two_factor": (LOGIN, 403, 403, 200),
    "admin.reset_password": (LOGIN, 403, 403, 200),
    "admin.change_role": (LOGIN, 403, 403, 200),
    "admin.unlock_user": (LOGIN, 403, 403, 200),
}
COLUMNS = (ANON, OWNER, OTHER, ADMIN)

# The POST of every rule that also takes GET: (anonymous, -, customer A on B's objects or
# on admin pages, admin on B's). The owner's POST isn't probed here: it may rightly act
# (delete their own payee, say); the feature tests cover it. A customer's own forms
# (open an account, new payee) refuse the empty form: 400. An admin's action without a
# reason is refused (400); the integrity check just runs (it writes only an audit row).
NOT_PROBED = None
POST_EXPECTED: dict[str, tuple] = {
    "auth.login": (200, NOT_PROBED, REDIRECT, REDIRECT),
    "auth.signup": (200, NOT_PROBED, REDIRECT, REDIRECT),
    "auth.verify_email": (400, NOT_PROBED, 400, 400),  # an unknown token
    "auth.forgot_password": (200, NOT_PROBED, 200, 200),
    "auth.reset_password": (400, NOT_PROBED, 400, 400),  # an unknown token
    "auth.second_factor": (LOGIN, NOT_PROBED, LOGIN, LOGIN),
    "auth.two_factor_setup": (LOGIN, NOT_PROBED, 200, 200),
    "auth.two_factor_disable": (LOGIN, NOT_PROBED, REDIRECT, REDIRECT),
    "accounts.open_account": (LOGIN, NOT_PROBED, 400, 403),
    "accounts.transfer_own": (LOGIN, NOT_PROBED, 400, 403),
    "accounts.transfer_pay": (LOGIN, NOT_PROBED, 400, 403),
    "accounts.payees": (LOGIN, NOT_PROBED, 400, 403),
    "accounts.rename_payee": (LOGIN, NOT_PROBED, 404, 403),
    "accounts.delete_payee": (LOGIN, NOT_PROBED, 404, 403),
    "accounts.schedule_new": (LOGIN, NOT_PROBED, 400, 403),
    "admin.adjust_account": (LOGIN, NOT_PROBED, 403, 400),
    "admin.close_account": (LOGIN, NOT_PROBED, 403, 400),
    "admin.freeze_account": (LOGIN, NOT_PROBED, 403, 400),
    "admin.unfreeze_account": (LOGIN, NOT_PROBED, 403, 400),
    "admin.integrity": (LOGIN, NOT_PROBED, 403, REDIRECT),
    "admin.retry_job": (LOGIN, NOT_PROBED, 403, 400),
    "admin.reverse_transaction": (LOGIN, NOT_PROBED, 403, 400),
    "admin.approve_transfer": (LOGIN, NOT_PROBED, 403, 400),
    "admin.reject_transfer": (LOGIN, NOT_PROBED, 403, 400),
    "admin.lock_user": (LOGIN, NOT_PROBED, 403, 400),
    "admin.unlock_user": (LOGIN, NOT_PROBED, 403, 400),
    "admin.change_role": (LOGIN, NOT_PROBED, 403, 400),
    "admin.reset_password": (LOGIN, NOT_PROBED, 403, 400),
    "admin.reset_two_factor": (LOGIN, NOT_PROBED, 403, 400),
    "admin.approve_pending": (LOGIN, NOT_PROBED, 403, 400),
    "admin.reject_pending": (LOGIN, NOT_PROBED, 403, 400),
}
# What a refused visitor sends to someone else's object or an admin action: everything
# those forms need to act (an admin would only have to press the button).
TAKEOVER_FORM = {
    "nickname": "Taken over",
    "reason": "Taken over",
    "confirmed": "yes",
    "direction": "credit",
    "amount": "1.00",
    "target": "1.00",
    "idempotency_key": "takeover-1",
    "role": "admin",
}


def _both(rule) -> bool:
    return {"GET", "POST"} <= rule.methods


def _own_row(world: World, who: str) -> dict:
    """What a visitor may change in their own user row while walking the map: signing out
    rotates their session token. (Opening the two-factor page stores nothing: its pending
    secret lives in the session until a code and the password confirm it.)"""
    visitor = {OWNER: world.a.customer, OTHER: world.a.customer, ADMIN: world.admin}.get(who)
    if not visitor:
        return {}
    # "Mark all as read" marks the visitor's own notifications (A's, for a customer).
    own_notices = {world.a.notification_id: {"read_at"}} if visitor is world.a.customer else {}
    return {"users": {visitor.id: {"session_token"}}, "notifications": own_notices}


def _rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"),
        key=lambda r: r.endpoint,
    )


def test_every_route_has_an_expectation(app):
    endpoints = {rule.endpoint for rule in _rules(app)}
    missing = sorted(endpoints - set(EXPECTED))
    assert not missing, f"routes without an authorization expectation: {missing}"
    stale = sorted(set(EXPECTED) - endpoints)
    assert not stale, f"expectations for routes that no longer exist: {stale}"
    both = {rule.endpoint for rule in _rules(app) if _both(rule)}
    assert both == set(POST_EXPECTED), {
        "GET+POST routes without a POST expectation": sorted(both - set(POST_EXPECTED)),
        "POST expectations for routes without GET+POST": sorted(set(POST_EXPECTED) - both),
    }


def outcome(response) -> int | str:
    if response.status_code in (301, 302, 303):
        location = response.headers.get("Location", "")
        return LOGIN if re.search(r"/auth/login(\?|$)", location) else REDIRECT
    return response.status_code


def _client_for(app, world: World, who: str):
    client = app.test_client()
    if who in (OWNER, OTHER):
        login_as(client, app, world.a.customer.id)
    elif who == ADMIN:
        login_as(client, app, world.admin.id)
    return client


def _post_data(rule, who: str, token: str) -> dict[str, str]:
    data = {"csrf_token": token}
    if who in (ANON, OTHER) and (rule.arguments or rule.endpoint.startswith("admin.")):
        data |= TAKEOVER_FORM
    return data


def _ask(app, world: World, who: str, rule, method: str | None = None) -> int | str:
    client = _client_for(app, world, who)
    objects = world.a if who == OWNER else world.b
    values = {arg: objects.params()[arg] for arg in rule.arguments}
    url = rule.build(values, append_unknown=False)[1]
    method = method or ("GET" if "GET" in rule.methods else "POST")
    if method == "GET":
        return outcome(client.get(url))
    token = page_csrf(client, "/auth/profile" if who != ANON else "/auth/login")
    return outcome(client.post(url, data=_post_data(rule, who, token)))


@pytest.mark.parametrize("who", COLUMNS)
def test_authorization_matrix(app, who):
    world = build_world(app)
    before = snapshot(app)
    column = COLUMNS.index(who)
    wrong = {}
    for rule in _rules(app):
        if rule.endpoint not in EXPECTED:
            continue
        got = _ask(app, world, who, rule)
        expected = EXPECTED[rule.endpoint][column]
        if got != expected:
            wrong[rule.endpoint] = {"expected": expected, "got": got}
    assert not wrong, f"{who}: {wrong}"
    if who in (ANON, OTHER):
        # Nobody without the right changed anything (B's objects are all still there).
        assert_unchanged(app, before, who, ignore=_own_row(world, who))


@pytest.mark.parametrize("who", [ANON, OTHER, ADMIN])
def test_authorization_matrix_for_the_post_of_get_and_post_routes(app, who):
    world = build_world(app)
    before = snapshot(app)
    column = COLUMNS.index(who)
    wrong = {}
    probed = 0
    for rule in _rules(app):
        if not _both(rule) or rule.endpoint not in POST_EXPECTED:
            continue
        expected = POST_EXPECTED[rule.endpoint][column]
        got = _ask(app, world, who, rule, "POST")
        probed += 1
        if got != expected:
            wrong[rule.endpoint] = {"expected": expected, "got": got}
    assert probed == len(POST_EXPECTED)
    assert not wrong, f"{who} POST: {wrong}"
    # Refused takeovers changed nothing; an admin's POST without a reason acted on nothing.
    assert_unchanged(app, before, who, ignore=_own_row(world, who))

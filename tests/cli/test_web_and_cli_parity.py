"""The same operation through the admin page and through `flask ...` is the same operation.

Both doors call one service, so they must leave one audit action (told apart only by
`via`), refuse the already-done case with the same sentence, and leave the same state.
Before issue 13 the page locked the row, refused re-freezing and audited
`admin.account.freeze`, while the command re-froze without a lock as `account.freeze`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.support.admin import admin_client, confirm_action
from tests.support.audit import audit_rows
from tests.support.builders import Customer, get_account, get_user, make_admin, make_customer
from tests.support.dual_control import pending_rows, second_admin


@dataclass(frozen=True)
class Operation:
    """One use case: how to prepare a target, reach it on each door, and read its state."""

    action: str
    target: Callable  # (app, runner) -> Customer, ready for the operation
    url: str  # the admin page, formatted with the target
    args: Callable[[Customer], list[str]]  # the command's arguments
    state: Callable  # (app, Customer) -> what the operation changed
    already_done: str  # the refusal when it is repeated


def _customer(app, runner) -> Customer:
    return make_customer(app, "Alice Able")


def _frozen(app, runner) -> Customer:
    customer = _customer(app, runner)
    runner.invoke(args=["accounts", "freeze", customer.account_number, "--reason", "setup"])
    return customer


def _locked(app, runner) -> Customer:
    customer = _customer(app, runner)
    runner.invoke(args=["users", "lock", customer.email, "--reason", "setup"])
    return customer


def _account_state(app, customer: Customer) -> tuple:
    account = get_account(app, customer.account_id)
    return account.status, account.status_reason


def _user_state(app, customer: Customer) -> tuple:
    user = get_user(app, customer.id)
    return user.is_locked, user.locked_reason, user.role


OPERATIONS = {
    "freeze": Operation(
        "admin.account.freeze",
        _customer,
        "/admin/accounts/{c.account_id}/freeze",
        lambda c: ["accounts", "freeze", c.account_number],
        _account_state,
        "Only an active account can be frozen (this one is frozen).",
    ),
    "unfreeze": Operation(
        "admin.account.unfreeze",
        _frozen,
        "/admin/accounts/{c.account_id}/unfreeze",
        lambda c: ["accounts", "unfreeze", c.account_number],
        _account_state,
        "That account is not frozen.",
    ),
    "lock": Operation(
        "admin.user.lock",
        _customer,
        "/admin/users/{c.id}/lock",
        lambda c: ["users", "lock", c.email],
        _user_state,
        "That user is already locked.",
    ),
    "unlock": Operation(
        "admin.user.unlock",
        _locked,
        "/admin/users/{c.id}/unlock",
        lambda c: ["users", "unlock", c.email],
        _user_state,
        "That user is not locked.",
    ),
}


def _web(client, operation: Operation, target: Customer, reason: str) -> str:
    page = confirm_action(client, operation.url.format(c=target), {"reason": reason})
    return html.unescape(page.get_data(as_text=True))


def _cli(runner, operation: Operation, target: Customer, reason: str):
    return runner.invoke(args=[*operation.args(target), "--reason", reason])


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_the_page_and_the_command_do_the_same_thing(app, client, runner, name):
    operation = OPERATIONS[name]
    admin = admin_client(app, client)
    on_web, on_cli = operation.target(app, runner), operation.target(app, runner)

    _web(client, operation, on_web, "same reason")
    result = _cli(runner, operation, on_cli, "same reason")

    assert result.exit_code == 0, result.output
    assert operation.state(app, on_web) == operation.state(app, on_cli)
    rows = [row for row in audit_rows(app, operation.action) if row.details["reason"] != "setup"]
    by_door = {row.details["via"]: row for row in rows}
    assert sorted(by_door) == ["cli", "web"]
    assert by_door["web"].actor_id == admin.id and by_door["cli"].actor_id is None
    assert {k: v for k, v in by_door["web"].details.items() if k not in ("via", "number")} == {
        k: v for k, v in by_door["cli"].details.items() if k not in ("via", "number")
    }


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_the_already_done_case_is_refused_in_the_same_words(app, client, runner, name):
    operation = OPERATIONS[name]
    admin_client(app, client)
    target = operation.target(app, runner)
    _cli(runner, operation, target, "first")
    before = operation.state(app, target)
    audited = len(audit_rows(app, operation.action))

    on_web = _web(client, operation, target, "again")
    on_cli = _cli(runner, operation, target, "again")

    assert operation.already_done in on_web
    assert on_cli.exit_code == 1
    assert on_cli.output.strip() == f"Error: {operation.already_done}"
    assert operation.state(app, target) == before
    assert len(audit_rows(app, operation.action)) == audited


def test_demoting_an_admin_is_one_role_change_on_either_door(app, client, runner):
    """On the web a second admin approves (dual control); the audit action is the same."""
    maker = admin_client(app, client)
    make_admin(app, "Ada Spare")  # so neither demotion removes the last active admin
    on_web, on_cli = make_admin(app, "Wes Web"), make_admin(app, "Cleo Cli")

    asked = confirm_action(client, f"/admin/users/{on_web.id}/role", {"reason": "left"})
    assert "waiting for a second admin" in asked.get_data(as_text=True)
    (request,) = pending_rows(app)
    checker_client, checker = second_admin(app)
    confirm_action(checker_client, f"/admin/pending/{request.id}/approve", {"reason": "ok"})
    result = runner.invoke(args=["users", "demote", on_cli.email, "--reason", "left"])

    assert result.exit_code == 0, result.output
    assert _user_state(app, on_web) == _user_state(app, on_cli) == (False, None, "customer")
    web_row, cli_row = audit_rows(app, "admin.user.role")
    assert (web_row.actor_id, web_row.details["via"]) == (checker.id, "web")
    assert web_row.details["maker_id"] == maker.id
    assert (cli_row.actor_id, cli_row.details["via"]) == (None, "cli")
    for row in (web_row, cli_row):
        assert (row.details["old"], row.details["new"], row.details["reason"]) == (
            "admin",
            "customer",
            "left",
        )


def test_demoting_a_customer_is_refused_in_the_same_words(app, client, runner):
    admin_client(app, client)
    customer = make_customer(app, "Alice Able")
    refusal = "That user is not an admin."

    on_web = confirm_action(client, f"/admin/users/{customer.id}/role", {"reason": "x"})
    on_cli = runner.invoke(args=["users", "demote", customer.email, "--reason", "x"])

    assert refusal in on_web.get_data(as_text=True)
    assert on_cli.exit_code == 1 and refusal in on_cli.output
    assert get_user(app, customer.id).role == "customer"
    assert audit_rows(app, "admin.user.role") == []

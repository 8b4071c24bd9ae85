"""The everyday pay path: whom the confirm page names, "Edit" that keeps what was typed,
Pay links that preselect, "Pay again" that fills (never sends) the form.

Every link that carries an id (`?payee=`, `?again=`) resolves it among the signed-in
customer's own objects only: someone else's id opens the same empty form a made-up id
does, so nothing about it leaks.
"""

from __future__ import annotations

import re

import pytest

from banking.core.models import Payee
from banking.extensions import db
from tests.support.builders import add_account, balance_of, fund, make_customer
from tests.support.forms import submit
from tests.support.ledger import count_transactions
from tests.support.sessions import login_as
from tests.support.transfers import confirm, form_fields, own_transfer, pay, start_transfer


@pytest.fixture
def jane_balance() -> str:
    return "1000.00"


@pytest.fixture
def john(app):
    return make_customer(app, "John Smith", balance="50.00")


def page(response) -> str:
    return response.get_data(as_text=True)


def save_payee(app, client, owner_id: int, nickname: str, number: str) -> int:
    response = submit(client, "/payees", {"nickname": nickname, "account_number": number})
    assert response.status_code == 302, page(response)
    with app.app_context():
        return db.session.scalar(
            db.select(Payee.id).where(Payee.owner_id == owner_id, Payee.nickname == nickname)
        )


def selected(html: str, name: str) -> str | None:
    """The value of the selected option of the select called `name`, if any."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    match = re.search(r'<option selected value="([^"]*)"', select.group(1))
    return (match.group(1) or None) if match else None


def value_of(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


# The confirm step names the recipient ------------------------------------------------------
def test_confirm_names_a_saved_payee_by_its_nickname_and_masked_number(app, client, jane, john):
    payee_id = save_payee(app, client, jane.id, "Johnny from work", john.account_number)

    attempt = start_transfer(
        client, "pay", {"from_account": jane.account_id, "payee": payee_id, "amount": "12.00"}
    )

    html = page(attempt.entry)
    recipient = re.search(r'data-testid="recipient">(.*?)</dd>', html, re.S).group(1)
    assert "Johnny from work" in recipient
    assert f"••••{john.account_number[-4:]}" in recipient
    assert "J*** S***" not in recipient and "John Smith" not in html
    assert attempt.confirm_fields["payee"] == str(payee_id)


def test_confirm_for_a_typed_number_keeps_the_masked_name(app, client, jane, john):
    save_payee(app, client, jane.id, "Johnny", john.account_number)

    attempt = start_transfer(
        client,
        "pay",
        {"from_account": jane.account_id, "account_number": john.account_number, "amount": "3"},
    )

    recipient = re.search(r'data-testid="recipient">(.*?)</dd>', page(attempt.entry), re.S)
    assert "J*** S***" in recipient.group(1)
    assert "Johnny" not in recipient.group(1)  # typed, not chosen: no nickname
    assert "John Smith" not in page(attempt.entry)


def test_the_amount_is_the_headline_of_the_confirm_page(app, client, jane, john):
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": jane.account_id, "account_number": john.account_number, "amount": "42"},
    )

    assert '<p class="confirm-amount" data-testid="amount">$42.00</p>' in page(attempt.entry)


# "Edit" keeps what was typed --------------------------------------------------------------
def edit(client, attempt, **overrides):
    return client.post("/transfers/edit", data={**attempt.confirm_fields, **overrides})


def test_edit_brings_back_the_pay_form_filled_with_the_same_key(app, client, jane, john):
    savings = add_account(app, jane.id, nickname="Rainy day")
    fund(app, savings, "80.00")
    attempt = start_transfer(
        client,
        "pay",
        {
            "from_account": savings,
            "account_number": john.account_number,
            "amount": "25.50",
            "memo": "Lunch <b>",
        },
    )

    response = edit(client, attempt)

    html = page(response)
    assert response.status_code == 200
    assert "Pay someone" in html
    assert selected(html, "from_account") == str(savings)
    assert value_of(html, "account_number") == john.account_number
    assert value_of(html, "amount") == "25.50"
    assert value_of(html, "memo") == "Lunch &lt;b&gt;"
    assert value_of(html, "idempotency_key") == attempt.confirm_fields["idempotency_key"]
    assert count_transactions(app, kind="transfer") == 0  # an edit never sends


def test_edit_of_a_payment_to_a_saved_payee_selects_the_payee_again(app, client, jane, john):
    payee_id = save_payee(app, client, jane.id, "Johnny", john.account_number)
    attempt = start_transfer(
        client, "pay", {"from_account": jane.account_id, "payee": payee_id, "amount": "9"}
    )

    html = page(edit(client, attempt))

    assert selected(html, "payee") == str(payee_id)
    assert value_of(html, "account_number") == ""


def test_edit_between_own_accounts_selects_both_accounts(app, client, jane):
    savings = add_account(app, jane.id, nickname="Rainy day")
    attempt = start_transfer(
        client, "own", {"from_account": jane.account_id, "to_account": savings, "amount": "5"}
    )

    html = page(edit(client, attempt))

    assert "Move money between your accounts" in html
    assert selected(html, "from_account") == str(jane.account_id)
    assert selected(html, "to_account") == str(savings)


def test_after_an_edit_the_same_details_send_once(app, client, jane, john):
    """The key survives the edit: a send, then an edit and a second send of the same
    details is the replay the key exists to catch, not a second payment."""
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": jane.account_id, "account_number": john.account_number, "amount": "10"},
    )
    assert confirm(client, attempt).transaction_id is not None
    refilled = page(edit(client, attempt))
    again = form_fields(refilled, "/transfers/pay")  # inputs; the select read apart
    again["from_account"] = selected(refilled, "from_account")

    second = client.post("/transfers/pay", data=again)
    fields = form_fields(page(second), "/transfers/confirm")
    replay = client.post("/transfers/confirm", data=fields, follow_redirects=True)

    assert "nothing was sent twice" in page(replay)
    assert balance_of(app, john.account_id) == 6000


def test_edit_without_csrf_is_refused_and_moves_nothing(app, client, jane, john):
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": jane.account_id, "account_number": john.account_number, "amount": "5"},
    )
    fields = {k: v for k, v in attempt.confirm_fields.items() if k != "csrf_token"}

    response = client.post("/transfers/edit", data=fields)

    assert response.status_code == 400
    assert count_transactions(app, kind="transfer") == 0


def test_edit_never_names_another_customers_payee(app, client, jane, john):
    mallory = make_customer(app, "Mallory Mole")
    login_as(client, app, mallory.id)
    theirs = save_payee(app, client, mallory.id, "Secret nickname", john.account_number)
    login_as(client, app, jane.id)
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": jane.account_id, "account_number": john.account_number, "amount": "5"},
    )

    html = page(edit(client, attempt, payee=str(theirs)))

    assert "Secret nickname" not in html
    assert selected(html, "payee") is None
    assert value_of(html, "account_number") == john.account_number


# Pay links preselect; the From list says what each account can spend ------------------------
def test_from_list_shows_each_accounts_available_balance(app, client, jane):
    savings = add_account(app, jane.id, nickname="Rainy day")
    fund(app, savings, "1234.56")

    html = page(client.get("/transfers/pay"))

    assert re.search(rf'value="{savings}">Rainy day ••••\d{{4}} · \$1,234.56<', html)
    assert "· $1,000.00<" in html
    assert "what it can send now" in html  # the hint says these are available balances


def test_a_payees_pay_link_preselects_it_and_the_account_that_last_paid_it(
    app, client, jane, john
):
    payee_id = save_payee(app, client, jane.id, "Johnny", john.account_number)
    savings = add_account(app, jane.id, nickname="Rainy day")
    fund(app, savings, "100.00")
    assert pay(client, jane.account_id, john.account_number, "1").transaction_id
    assert pay(client, savings, john.account_number, "2").transaction_id  # the latest

    html = page(client.get(f"/transfers/pay?payee={payee_id}"))

    assert selected(html, "payee") == str(payee_id)
    assert selected(html, "from_account") == str(savings)


def test_a_payee_never_paid_preselects_only_the_payee(app, client, jane, john):
    payee_id = save_payee(app, client, jane.id, "Johnny", john.account_number)

    html = page(client.get(f"/transfers/pay?payee={payee_id}"))

    assert selected(html, "payee") == str(payee_id)
    assert selected(html, "from_account") is None


def test_an_explicit_from_wins_over_the_last_used_account(app, client, jane, john):
    payee_id = save_payee(app, client, jane.id, "Johnny", john.account_number)
    savings = add_account(app, jane.id, nickname="Rainy day")
    fund(app, savings, "100.00")
    assert pay(client, savings, john.account_number, "2").transaction_id

    html = page(client.get(f"/transfers/pay?payee={payee_id}&from={jane.account_id}"))

    assert selected(html, "from_account") == str(jane.account_id)


def test_another_customers_payee_in_a_pay_link_is_ignored(app, client, jane, john):
    mallory = make_customer(app, "Mallory Mole", balance="10.00")
    login_as(client, app, mallory.id)
    theirs = save_payee(app, client, mallory.id, "Secret nickname", john.account_number)
    assert pay(client, mallory.account_id, john.account_number, "1").transaction_id
    login_as(client, app, jane.id)

    response = client.get(f"/transfers/pay?payee={theirs}")

    html = page(response)
    assert response.status_code == 200
    assert "Secret nickname" not in html and john.account_number not in html
    assert selected(html, "payee") is None and selected(html, "from_account") is None


# "Pay again" fills the form from a past transfer, and never sends ---------------------------
def test_pay_again_fills_the_form_from_a_past_payment(app, client, jane, john):
    sent = pay(client, jane.account_id, john.account_number, "17.25", "Rent share").transaction_id

    response = client.get(f"/transfers/pay?again={sent}")

    html = page(response)
    assert response.status_code == 200
    assert selected(html, "from_account") == str(jane.account_id)
    assert value_of(html, "account_number") == john.account_number
    assert value_of(html, "amount") == "17.25"
    assert value_of(html, "memo") == "Rent share"
    assert count_transactions(app, kind="transfer") == 1  # filled, not sent


def test_pay_again_to_a_saved_payee_selects_the_payee(app, client, jane, john):
    payee_id = save_payee(app, client, jane.id, "Johnny", john.account_number)
    attempt = start_transfer(
        client, "pay", {"from_account": jane.account_id, "payee": payee_id, "amount": "4"}
    )
    sent = confirm(client, attempt).transaction_id

    html = page(client.get(f"/transfers/pay?again={sent}"))

    assert selected(html, "payee") == str(payee_id)
    assert value_of(html, "account_number") == ""


@pytest.mark.parametrize("whose", ["received", "someone_elses", "own_accounts", "missing"])
def test_pay_again_only_copies_the_customers_own_payments_to_others(
    app, client, jane, john, whose
):
    mallory = make_customer(app, "Mallory Mole", balance="10.00")
    login_as(client, app, john.id)
    to_jane = pay(client, john.account_id, jane.account_number, "3", "Private memo")
    login_as(client, app, mallory.id)
    to_john = pay(client, mallory.account_id, john.account_number, "2", "Private memo")
    login_as(client, app, jane.id)
    savings = add_account(app, jane.id, nickname="Rainy day")
    own = own_transfer(client, jane.account_id, savings, "1", "Private memo")
    txn = {
        "received": to_jane.transaction_id,
        "someone_elses": to_john.transaction_id,
        "own_accounts": own.transaction_id,
        "missing": 999999,
    }[whose]

    response = client.get(f"/transfers/pay?again={txn}")

    html = page(response)
    assert response.status_code == 200
    assert "Private memo" not in html
    assert value_of(html, "amount") == "" and value_of(html, "account_number") == ""
    assert john.account_number not in html and jane.account_number not in html


def test_history_offers_pay_again_only_on_payments_to_other_customers(app, client, jane, john):
    savings = add_account(app, jane.id, nickname="Rainy day")
    sent = pay(client, jane.account_id, john.account_number, "5", "To John").transaction_id
    moved = own_transfer(client, jane.account_id, savings, "1", "To savings").transaction_id
    login_as(client, app, john.id)
    back = pay(client, john.account_id, jane.account_number, "2", "From John").transaction_id
    login_as(client, app, jane.id)

    html = page(client.get(f"/accounts/{jane.account_id}/history"))

    assert f"/transfers/pay?again={sent}" in html
    assert f"again={moved}" not in html and f"again={back}" not in html
    assert html.count("Pay again<") == 1


# The dashboard's "Pay someone again" ------------------------------------------------------
def recent_payees(client) -> list[str]:
    html = page(client.get("/"))
    section = re.search(r'data-testid="recent-payees">(.*?)</section>', html, re.S)
    if section is None:
        return []
    return re.findall(r"<strong>([^<]*)</strong>", section.group(1))


def test_dashboard_lists_payees_paid_most_recently_first_with_pay_links(app, client, jane):
    people = {name: make_customer(app, f"{name} Person") for name in ("Ann", "Ben", "Cat")}
    ids = {n: save_payee(app, client, jane.id, n, c.account_number) for n, c in people.items()}
    assert pay(client, jane.account_id, people["Ben"].account_number, "1").transaction_id
    assert pay(client, jane.account_id, people["Ann"].account_number, "1").transaction_id

    html = page(client.get("/"))

    # Paid most recently first, then the newest saved among those never paid.
    assert recent_payees(client) == ["Ann", "Ben", "Cat"]
    for payee_id in ids.values():
        assert f'href="/transfers/pay?payee={payee_id}"' in html
    assert "Pay<span class=\"visually-hidden\"> Ann</span>" in html


def test_dashboard_shows_no_payee_section_without_payees(app, client, jane):
    assert 'data-testid="recent-payees"' not in page(client.get("/"))


def test_adding_renaming_and_deleting_a_payee_refreshes_the_cached_dashboard(
    app, client, jane, john
):
    assert recent_payees(client) == []  # cached now

    payee_id = save_payee(app, client, jane.id, "Johnny", john.account_number)
    assert recent_payees(client) == ["Johnny"]

    submit(client, f"/payees/{payee_id}/rename", {"nickname": "John S."})
    assert recent_payees(client) == ["John S."]

    submit(client, f"/payees/{payee_id}/delete")
    assert recent_payees(client) == []


def test_dashboard_never_lists_another_customers_payees(app, client, jane, john):
    mallory = make_customer(app, "Mallory Mole")
    login_as(client, app, mallory.id)
    save_payee(app, client, mallory.id, "Secret nickname", john.account_number)
    login_as(client, app, jane.id)

    assert "Secret nickname" not in page(client.get("/"))


# The payees list: Pay is each row's main button, the rest behind "More" ----------------------
def test_payees_list_makes_pay_the_main_button_and_tucks_rename_and_delete_away(
    app, client, jane, john
):
    payee_id = save_payee(app, client, jane.id, "Johnny", john.account_number)

    html = page(client.get("/payees"))

    row = re.search(rf'data-testid="payee-{payee_id}">(.*?)</li>', html, re.S).group(1)
    assert re.search(rf'<a class="button" href="/transfers/pay\?payee={payee_id}">Pay<', row)
    menu = re.search(r'<details class="row-menu">(.*?)</details>', row, re.S).group(1)
    assert "<summary" in menu
    assert f'href="/payees/{payee_id}/rename"' in menu
    assert f'href="/payees/{payee_id}/delete"' in menu  # a confirmation page, not a POST
    assert "J*** S***" in row and "John Smith" not in html

"""Saved payees: add, rename, delete, always scoped to their owner and never revealing names."""

from __future__ import annotations

import pytest

from banking.core.account_numbers import luhn_check_digit
from banking.core.models import Payee
from banking.extensions import db
from tests.support.builders import add_account, make_customer
from tests.support.forms import submit
from tests.support.sessions import login_as


@pytest.fixture
def john(app):
    return make_customer(app, "John Smith")


def payees_of(app, user_id: int) -> list[Payee]:
    with app.app_context():
        rows = list(db.session.scalars(db.select(Payee).where(Payee.owner_id == user_id)))
        db.session.expunge_all()
        return rows


def add_payee(client, nickname: str, number: str):
    return submit(client, "/payees", {"nickname": nickname, "account_number": number})


def test_customer_saves_a_payee_and_sees_only_a_masked_name(app, client, jane, john):
    response = add_payee(client, "Johnny", john.account_number)

    assert response.status_code == 302
    html = client.get("/payees").get_data(as_text=True)
    assert "Johnny" in html
    assert "J*** S***" in html
    assert "John Smith" not in html
    assert john.account_number not in html
    assert [p.account_id for p in payees_of(app, jane.id)] == [john.account_id]


def test_payee_with_an_invalid_number_is_refused(app, client, jane):
    response = add_payee(client, "Nobody", "123")

    assert response.status_code == 400
    assert "not a valid account number" in response.get_data(as_text=True)
    assert payees_of(app, jane.id) == []


def test_payee_with_an_unknown_number_is_refused(app, client, jane):
    body = "98765432109"

    response = add_payee(client, "Nobody", body + luhn_check_digit(body))

    assert response.status_code == 400
    assert "No account has that number" in response.get_data(as_text=True)


def test_own_account_cannot_be_saved_as_a_payee(app, client, jane):
    response = add_payee(client, "Me", jane.account_number)

    assert response.status_code == 400
    assert "your own accounts" in response.get_data(as_text=True)
    assert payees_of(app, jane.id) == []


def test_the_same_account_cannot_be_saved_twice(app, client, jane, john):
    add_payee(client, "Johnny", john.account_number)

    response = add_payee(client, "Johnny again", john.account_number)

    assert response.status_code == 400
    assert "already saved" in response.get_data(as_text=True)
    assert len(payees_of(app, jane.id)) == 1


def test_customer_renames_a_payee(app, client, jane, john):
    add_payee(client, "Johnny", john.account_number)
    payee = payees_of(app, jane.id)[0]

    response = submit(client, f"/payees/{payee.id}/rename", {"nickname": "Landlord"})

    assert response.status_code == 302
    assert payees_of(app, jane.id)[0].nickname == "Landlord"


def test_delete_asks_for_confirmation_then_deletes(app, client, jane, john):
    add_payee(client, "Johnny", john.account_number)
    payee = payees_of(app, jane.id)[0]

    page = client.get(f"/payees/{payee.id}/delete")
    assert page.status_code == 200
    assert "Delete Johnny?" in page.get_data(as_text=True)
    assert len(payees_of(app, jane.id)) == 1

    response = submit(client, f"/payees/{payee.id}/delete")

    assert response.status_code == 302
    assert payees_of(app, jane.id) == []


def test_delete_without_csrf_is_refused(app, client, jane, john):
    add_payee(client, "Johnny", john.account_number)
    payee = payees_of(app, jane.id)[0]

    response = client.post(f"/payees/{payee.id}/delete")

    assert response.status_code == 400
    assert len(payees_of(app, jane.id)) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/payees/{id}/rename"),
        ("post", "/payees/{id}/rename"),
        ("get", "/payees/{id}/delete"),
        ("post", "/payees/{id}/delete"),
    ],
)
def test_another_customers_payee_is_404(app, client, jane, john, method, path):
    login_as(client, app, john.id)
    other = make_customer(app, "Eve Other")
    add_payee(client, "Eve", other.account_number)
    theirs = payees_of(app, john.id)[0]
    login_as(client, app, jane.id)
    url = path.format(id=theirs.id)

    if method == "get":
        response = client.get(url)
    else:
        response = submit(client, url, {"nickname": "Mine"}, form_url="/payees")

    assert response.status_code == 404
    assert payees_of(app, john.id)[0].nickname == "Eve"


def test_another_customers_payee_cannot_be_used_for_a_transfer(app, client, jane, john):
    login_as(client, app, john.id)
    other = make_customer(app, "Eve Other")
    add_payee(client, "Eve", other.account_number)
    theirs = payees_of(app, john.id)[0]
    login_as(client, app, jane.id)

    response = submit(
        client,
        "/transfers/pay",
        {"from_account": jane.account_id, "payee": theirs.id, "amount": "1"},
    )

    assert response.status_code == 404


def test_payee_list_shows_only_own_payees(app, client, jane, john):
    add_account(app, john.id, nickname="John's pot")  # his, so never on her page
    login_as(client, app, john.id)
    add_payee(client, "Secret friend", jane.account_number)
    login_as(client, app, jane.id)

    html = client.get("/payees").get_data(as_text=True)

    assert "Secret friend" not in html
    assert "John&#39;s pot" not in html and "John's pot" not in html

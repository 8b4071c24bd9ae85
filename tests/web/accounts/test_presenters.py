"""Display words said once: the bank's name (BANK_NAME) and the kind of each movement."""

from __future__ import annotations

from urllib.parse import unquote

from banking.core.models import TransactionKind
from banking.core.names import KIND_LABELS, mask_name
from banking.services import transfers, two_factor
from banking.web import presenters
from tests.support.builders import get_user, make_customer
from tests.support.ledger import adjust
from tests.support.sessions import login_as
from tests.support.signup import emails_to, sign_up

OTHER_NAME = "Acme Savings & Loan"


def test_the_bank_name_is_configuration_on_every_page(app, client):
    app.config["BANK_NAME"] = OTHER_NAME
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Acme Savings &amp; Loan" in page  # escaped like any other text
    assert f"New to {OTHER_NAME.replace('&', '&amp;')}?" in page
    assert "Northwind Bank" not in page


def test_the_default_bank_name_is_unchanged(app, client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "· Northwind Bank</title>" in page
    assert "New to Northwind Bank?" in page


def test_emails_and_the_authenticator_label_say_the_configured_name(app, client):
    app.config["BANK_NAME"] = OTHER_NAME
    sign_up(client, email="newcomer@example.com")
    (message,) = emails_to("newcomer@example.com")
    assert message.subject == f"Confirm your email to open your {OTHER_NAME} account"
    assert "Northwind" not in message.body
    customer = make_customer(app, "Otto Tp")
    with app.app_context():
        uri = two_factor.provisioning_uri(get_user(app, customer.id), two_factor.new_secret())
    assert f"issuer={OTHER_NAME}" in unquote(uri)


def test_dashboard_history_and_export_name_an_adjustment_the_same_way(app, client):
    jane = make_customer(app, "Jane Doe", balance="10.00")
    adjust(app, jane.account_id, 250, kind=TransactionKind.ADJUSTMENT.value)
    login_as(client, app, jane.id)
    label = KIND_LABELS[TransactionKind.ADJUSTMENT.value]

    dashboard = client.get("/").get_data(as_text=True)
    page = client.get(f"/accounts/{jane.account_id}/history").get_data(as_text=True)
    export = client.get(f"/accounts/{jane.account_id}/history/export.csv").get_data(as_text=True)

    assert label in dashboard
    assert label in page
    assert f",{label}," in export


def test_one_mask_name_and_one_kind_label_mapping():
    assert transfers.mask_name is mask_name
    assert presenters.mask_name is mask_name
    assert presenters.KIND_LABELS is KIND_LABELS
    assert presenters.kind_label("interest") == "Interest"
    assert presenters.kind_label("chargeback") == "Chargeback"  # unknown: its own name
    assert mask_name("Jane  van Doe") == "J*** v*** D***"
    assert mask_name("   ") == "***"


def test_a_wait_is_said_in_words_and_rounded_up():
    from banking.web.presenters import spoken_duration

    assert spoken_duration(0.2) == "1 second"
    assert spoken_duration(45) == "45 seconds"
    assert spoken_duration(59.5) == "1 minute"
    assert spoken_duration(61) == "2 minutes"
    assert spoken_duration(15 * 60) == "15 minutes"
    assert spoken_duration(3 * 3600) == "3 hours"

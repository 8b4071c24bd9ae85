"""Fixtures for the money pages: Jane, a customer signed in on the test client."""

from __future__ import annotations

import pytest

from tests.support.builders import make_customer
from tests.support.sessions import login_as


@pytest.fixture
def jane_balance() -> str | None:
    """Jane's opening balance; a module needing money overrides this fixture."""
    return None


@pytest.fixture
def jane(app, client, jane_balance):
    """Jane Doe, signed in on `client`, with `jane_balance` in her checking account."""
    customer = make_customer(app, "Jane Doe", balance=jane_balance)
    login_as(client, app, customer.id)
    return customer

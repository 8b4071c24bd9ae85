"""Notifications in Chromium (issue 17, item 4): another customer sends money; the
recipient signs in, sees the unread count in the header, opens the inbox and the
notification (which marks it read), at 1280 and 360 px, with no serious axe finding.
Screenshots land in test-artifacts/screenshots (notifications-*, notification-emails-*).
"""

from __future__ import annotations

from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE


def _no_axe_findings(page) -> None:
    violations = bank.axe_violations(page)
    assert not violations, violations


def test_receive_a_transfer_and_see_the_notification(new_context):
    recipient = new_context(DESKTOP, bypass_csp=True)
    rita = bank.unique_email("rita")
    bank.sign_up(recipient, "Rita Recipient", rita)
    number = bank.account_number(recipient, bank.first_account_id(recipient))
    assert recipient.get_by_test_id("unread-count").count() == 0
    bank.sign_out(recipient)

    sender, admin = new_context(DESKTOP), new_context(DESKTOP)
    bank.sign_in_admin(admin)
    sam = bank.unique_email("sam")
    bank.sign_up(sender, "Sam Sender", sam)
    bank.admin_deposit(admin, bank.account_number(sender, bank.first_account_id(sender)), "100.00")
    bank.pay(sender, "25.00", number=number, memo="Concert tickets")
    bank.confirm_transfer(sender, "$25.00")
    assert sender.get_by_test_id("unread-count").count() == 0  # never the sender's

    # The recipient signs in (on the browser they used before: no new-device notice).
    bank.sign_in(recipient, rita)
    assert recipient.get_by_test_id("unread-count").inner_text() == "1"
    bell = recipient.get_by_role("link", name="Notifications, 1 unread")
    bank.shoot(recipient, "notifications-header")
    bank.click_and_settle(recipient, bell)
    assert bank.heading(recipient) == "Notifications"
    item = recipient.get_by_test_id("notification").first
    words = item.inner_text()
    assert "You received $25.00" in words and "S*** S*** sent you $25.00" in words
    assert number not in words and number[-4:] in words
    for viewport in (DESKTOP, PHONE):
        recipient.set_viewport_size(viewport)
        bank.go(recipient, "/notifications")
        bank.shoot(recipient, "notifications-inbox")
        _no_axe_findings(recipient)
        bank.go(recipient, "/auth/profile#notification-emails")
        bank.shoot(recipient, "notification-emails")
        _no_axe_findings(recipient)

    # Opening it marks it read and lands on the account's history.
    bank.go(recipient, "/notifications")
    bank.click_and_settle(
        recipient, recipient.get_by_test_id("notification").first.get_by_role("button")
    )
    assert "/history" in recipient.url
    assert recipient.get_by_test_id("unread-count").count() == 0
    assert "Concert tickets" in recipient.locator("main").inner_text()
    bank.shoot(recipient, "notifications-opened")

"""Every refusal a customer or admin can read is spelled right and reads as a sentence.

"The receiving account is frozen and cannot receiv money." shipped because the verb
was cut from the role (`role[:-3]`). Two nets catch that kind of slip:

- every message written in the code (ledger and form errors, admin and account
  refusals, flashes, validator messages; the literal parts of f-strings) is collected
  from the source and spell-checked;
- the messages built from parts are rendered for every part they can take, through
  the ledger and the transfer preview, and checked whole.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from spellchecker import SpellChecker

ROOT = Path(__file__).resolve().parents[2]
# Words of the trade or of this product that a general dictionary does not know.
# Keep it short: a word goes here only when it is really spelled that way.
VOCABULARY = {
    "idempotency",
    "admin",
    "admins",
    "totp",
    "yyyy",
    "northwind",
    "payee",
    "payees",
    "unfreeze",
    "unfrozen",
    "argon",
    "csrf",
    "iban",
    "url",
    "urls",
    "csv",
    "pdf",
    "ip",
    "eur",
    "gbp",
    "usd",
    "cad",
    "chf",
}
REFUSAL_CALLS = re.compile(r"(Error|Refused|Rejected|Invalid|NotFound|Exceeded|Conflict)$")
WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
spell = SpellChecker()


def _literal_text(node: ast.AST) -> str | None:
    """A string literal, or an f-string with each placeholder turned into a space."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else " " for part in node.values
        )
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def user_messages() -> list[tuple[str, str]]:
    """(where, text) for every message the code shows a person."""
    found = []
    for path in sorted((ROOT / "banking").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            texts: list[ast.AST] = []
            if isinstance(node, ast.Call):
                name = _call_name(node)
                if REFUSAL_CALLS.search(name) or name in {"flash", "ValidationError"}:
                    texts += node.args[:1]
                if name == "append" and isinstance(node.func, ast.Attribute):
                    target = node.func.value
                    if isinstance(target, ast.Attribute) and target.attr.endswith("errors"):
                        texts += node.args[:1]
                texts += [kw.value for kw in node.keywords if kw.arg == "message"]
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "message" for t in item.targets
                    ):
                        texts.append(item.value)
            for text_node in texts:
                text = _literal_text(text_node)
                if text and " " in text.strip():
                    found.append((f"{where}:{text_node.lineno}", text))
    return found


def misspelled(text: str) -> set[str]:
    words = {w.lower() for w in WORD.findall(text) if len(w) > 1}
    return {w for w in spell.unknown(words) if w not in VOCABULARY}


def test_the_collector_finds_the_messages():
    """The net is only as good as what it holds: it must see the known refusals."""
    texts = [text for _, text in user_messages()]
    assert len(texts) > 80
    assert any("frozen and cannot" in t for t in texts)
    assert any("per-transfer limit" in t for t in texts)
    assert any("your own account" in t.lower() for t in texts)


def test_every_message_in_the_code_is_spelled_right():
    wrong = {where: sorted(misspelled(text)) for where, text in user_messages() if misspelled(text)}
    assert wrong == {}


def test_the_spell_check_would_catch_the_shipped_typo():
    assert misspelled("The receiving account is frozen and cannot receiv money.") == {"receiv"}


def sentence_problems(text: str) -> list[str]:
    problems = []
    if not text[:1].isupper():
        problems.append("does not start with a capital")
    if not text.rstrip().endswith((".", "?", "!")):
        problems.append("does not end a sentence")
    if "  " in text or " ." in text or "{" in text or "None" in text:
        problems.append("has a gap or a placeholder left in it")
    if misspelled(text):
        problems.append(f"misspells {sorted(misspelled(text))}")
    return problems


@pytest.mark.parametrize("status", ["frozen", "closed"])
@pytest.mark.parametrize("side", ["sending", "receiving"])
def test_unusable_account_refusals_read_right_in_the_ledger_and_the_preview(
    app, client, alice, bob, status, side
):
    """The messages built from parts, rendered for every part, in both places that say them."""
    from banking.core import ledger
    from banking.core.models import Account
    from banking.extensions import db
    from banking.services import transfers
    from tests.support.sessions import login_as

    account_id = alice.account_id if side == "sending" else bob.account_id
    with app.app_context():
        account = db.session.get(Account, account_id)
        account.status = status
        db.session.commit()
        bob_number = db.session.get(Account, bob.account_id).number
    verb = "send" if side == "sending" else "receive"
    expected = (
        f"The {side} account is frozen and cannot {verb} money."
        if status == "frozen"
        else f"The {side} account is closed."
    )
    with app.test_request_context():
        login_as(client, app, alice.id)
        with pytest.raises(ledger.LedgerError) as preview_refusal:
            transfers.preview_transfer(
                alice.id,
                source_id=alice.account_id,
                destination_number=bob_number,
                amount=500,
                memo="",
            )
        with pytest.raises(ledger.LedgerError) as posting_refusal:
            ledger.post_transfer(
                db.session,
                source_id=alice.account_id,
                destination_id=bob.account_id,
                amount=500,
                initiator_id=alice.id,
                key="k" * 32,
                memo="",
                owner_id=alice.id,
            )
        db.session.rollback()
        # Put the account back: a closed account holding money breaks the books check.
        db.session.get(Account, account_id).status = "active"
        db.session.commit()
    for refusal in (preview_refusal.value, posting_refusal.value):
        assert refusal.message == expected
        assert sentence_problems(refusal.message) == []

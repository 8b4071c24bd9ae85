"""The banking product. Deliberately empty: importing `banking.core` must never load Flask.

The layers, from the inside out (docs/architecture.md):
    banking.core      money, models, the ledger and its rule book — no framework
    banking.services  use cases; each owns its transaction and audit row
    banking.web       Flask blueprints, templates' glue; parse → one service call → render
    banking.cli       `flask` commands over the same services
    banking.app       create_app(), which wires them together
"""

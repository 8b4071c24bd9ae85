"""Scheduled-transfer views (registered on the accounts bp)."""

"""History, CSV export and monthly statements views (registered on the accounts bp)."""

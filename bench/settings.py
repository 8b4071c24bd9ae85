"""What a benchmark run measures and how big: the normal, --quick and --scale settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bench import scenarios

# The PostgreSQL server every run uses (its databases are named by `Settings`).
PG = "postgresql://postgres@127.0.0.1:5432"


@dataclass
class Settings:
    quick: bool
    customers: int
    transfer_accounts: int
    big_entries: int
    small_entries: int = 1000
    hot_accounts: int = 10
    dashboard_transfers: int = 30
    duration_s: float = 15
    dashboard_connections: list[int] = field(default_factory=lambda: [16, 64])
    transfer_clients: int = 16
    transfer_duration_s: float = 15
    history_connections: int = 4
    history_duration_s: float = 8
    history_variants: tuple[str, ...] = scenarios.HISTORY_VARIANTS
    # The primary run passes no worker settings: it measures gunicorn.conf.py's defaults,
    # whatever they are, and the report records them as gunicorn resolved them.
    variants: list[dict] = field(default_factory=list)
    page_connections: int = 16
    page_duration_s: float = 15
    # --scale: 10x the customers, each with this many journal transactions of history.
    scale: bool = False
    customer_history: int = 0
    database: str = os.environ.get("BENCH_DATABASE", "banking_bench")
    raw_database: str = os.environ.get("BENCH_DATABASE", "banking_bench") + "_raw"

    @classmethod
    def for_mode(cls, quick: bool, scale: bool = False) -> Settings:
        cpus = os.cpu_count() or 1
        if scale:
            return cls.for_scale()
        if quick:
            return cls(
                quick=True,
                customers=300,
                transfer_accounts=200,
                big_entries=20_000,
                duration_s=5,
                dashboard_connections=[16],
                transfer_duration_s=5,
                transfer_clients=8,
                history_duration_s=2,
                page_duration_s=3,
                history_variants=("page1", "deep", "deep_filtered"),
            )
        return cls(
            quick=False,
            customers=3000,
            transfer_accounts=1000,
            big_entries=1_000_000,
            variants=[
                {"worker_class": "sync", "workers": 2 * cpus + 1, "threads": 1},
                {"worker_class": "gthread", "workers": 2 * cpus + 1, "threads": 1},
                {"worker_class": "gthread", "workers": 2 * cpus + 1, "threads": 4},
            ],
        )

    @classmethod
    def for_scale(cls, factor: int = 10) -> Settings:
        """The full run's data grown `factor` times: customers, and the journal.

        The big account keeps its 1,000,000 entries; every ordinary customer gets
        CUSTOMER_HISTORY transactions, so the journal is ~`factor` x the full run's
        (~1,002,000 before the load: the two long histories, funding, the dashboard's).
        Only what the growth target compares is run: dashboard, history page, transfer
        form and transfers (no variants, no history depth or export scenarios).
        """
        full = cls.for_mode(quick=False)
        customers = full.customers * factor
        normal_journal = full.big_entries + full.small_entries + full.transfer_accounts + 31
        per_customer = -(-(factor - 1) * normal_journal // customers)  # ceiling
        return cls(
            quick=False,
            scale=True,
            customers=customers,
            transfer_accounts=full.transfer_accounts,
            big_entries=full.big_entries,
            customer_history=per_customer,
            dashboard_connections=[16],
        )

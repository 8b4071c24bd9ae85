"""The money phases of a benchmark run: HTTP transfers beside pgbench and the Flask
ceiling, then the ledger called as a library.

A mixin of `bench.runner.Run` (it uses the run's `measured`, `step`, `start_server`,
`stop`, `ledger_verify`, `settings`, `results` and database URLs), kept apart because these
phases share their scratch tables, baselines and ratios, and nothing else does.
"""

from __future__ import annotations

from bench import scenarios
from bench.library import posting_latency, run_library_posting
from bench.pgbench import raw_consistent, run_psql, run_transfer_baseline
from bench.settings import PG
from bench.transfers import run_ceiling_load, run_transfer_load


class MoneyPhases:
    def transfers(self, app_url: str, plan: dict) -> None:
        s = self.settings
        users = plan["transfer_users"]
        for label, chosen in (("spread", users), ("hot", users[: s.hot_accounts])):
            raw = self.pgbench(f"transfers_{label}_pgbench", len(chosen))
            app = self.measured(
                f"transfers_{label}_app",
                run_transfer_load,
                app_url,
                chosen,
                plan["password"],
                clients=s.transfer_clients,
                duration_s=s.transfer_duration_s,
                out_dir=self.out_dir,
                label=f"transfers-{label}",
            )
            ceiling = self.ceiling(label, len(chosen))
            if "tps" in raw and "tps" in app:
                app["tps_ratio_vs_pgbench"] = scenarios.ratio(app["tps"], raw["tps"])
            if "tps" in raw and "tps" in ceiling:
                ceiling["tps_ratio_vs_pgbench"] = scenarios.ratio(ceiling["tps"], raw["tps"])
                if "tps" in app:
                    app["tps_ratio_vs_ceiling"] = scenarios.ratio(app["tps"], ceiling["tps"])
        run_psql(f"{PG}/postgres", f"DROP DATABASE IF EXISTS {s.raw_database} WITH (FORCE)")
        self.step("ledger_verify_after_transfers", self.ledger_verify)

    def pgbench(self, name: str, accounts: int) -> dict:
        """Baseline (b): pgbench's raw-SQL transfer on fresh scratch tables of `accounts`
        rows, with the run's client count and window length."""
        s = self.settings
        return self.measured(
            name,
            run_transfer_baseline,
            f"{PG}/postgres",
            s.raw_database,
            self.raw_url,
            accounts=accounts,
            clients=s.transfer_clients,
            duration_s=s.transfer_duration_s,
            out_dir=self.out_dir,
        )

    def ceiling(self, label: str, accounts: int) -> dict:
        """Baseline (c), right after pgbench on the same scratch tables: pgbench's transfer
        behind the smallest Flask app (bench/ceiling_app.py), driven like the app."""
        url, process = self.start_server(
            f"ceiling-{label}",
            "bench.ceiling_app:app",
            extra_env={"CEILING_DATABASE_URL": self.raw_url},
        )
        try:
            value = self.measured(
                f"transfers_{label}_ceiling",
                run_ceiling_load,
                url,
                accounts=accounts,
                clients=self.settings.transfer_clients,
                duration_s=self.settings.transfer_duration_s,
                out_dir=self.out_dir,
                label=f"ceiling-{label}",
            )
        finally:
            self.stop(process)
        if "tps" in value:
            value["consistent"] = raw_consistent(self.raw_url, accounts)
        return value

    def library_posting(self, plan: dict) -> None:
        """`post_transfer` called from Python (no HTTP): spread and hot, 16 threads in one
        process and 8 threads in each of 2, each against a pgbench window measured right
        before it; then one account with a long history against one with a short one.

        Every commit waits for the disk to flush the WAL, and on this kind of machine that
        flush moved from ~0.5 to 3.7 ms within one run (2026-12-02, run 1): measured against
        the transfers phase's pgbench, minutes earlier, a window on a slow disk read as a
        slow ledger. Its own pgbench, just before it on the same disk, moves with it.
        """
        s = self.settings
        users = plan["transfer_users"]
        scenarios_ = self.results["scenarios"]
        runs: dict = {}
        for label, chosen in (("spread", users), ("hot", users[: s.hot_accounts])):
            for threads, processes in ((16, 1), (8, 2)):
                name = f"library_{label}_{threads}x{processes}"
                raw = self.pgbench(f"{name}_pgbench", len(chosen))
                scenarios_.pop(f"{name}_pgbench", None)  # kept with the run it belongs to
                value = self.measured(
                    name,
                    run_library_posting,
                    self.database_url,
                    chosen,
                    threads=threads,
                    processes=processes,
                    duration_s=s.transfer_duration_s,
                )
                scenarios_.pop(name, None)  # kept once, under library_posting
                baseline = raw.get("tps")
                value["pgbench"] = raw
                if "tps" in value:
                    value["pgbench_tps"] = baseline
                    value["tps_ratio_vs_pgbench"] = scenarios.ratio(value["tps"], baseline)
                runs[name] = value
        run_psql(f"{PG}/postgres", f"DROP DATABASE IF EXISTS {s.raw_database} WITH (FORCE)")
        destinations = [user["account_id"] for user in users[:50]]
        latency = self.measured(
            "library_latency",
            posting_latency,
            self.database_url,
            {"big": plan["big"], "small": plan["small"]},
            destinations,
            200 if s.quick else 1000,
        )
        scenarios_.pop("library_latency", None)
        scenarios_["library_posting"] = {"runs": runs, "latency": latency}
        self.step("ledger_verify_after_library", self.ledger_verify)

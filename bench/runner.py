"""The order of a benchmark run: database, seed, servers, scenarios, report, clean-up.

Everything started here is stopped in `finally` (servers are process groups in a
`ProcessSet`); Ctrl-C and SIGTERM take the same path. A scenario that raises makes
the run exit non-zero after the report is written: figures that miss a target are
reported, never fatal, but a harness that cannot measure must not look green.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from bench import scenarios
from bench.copy_baseline import copy_baseline
from bench.machine import describe_machine
from bench.money_phases import MoneyPhases
from bench.pgbench import run_psql
from bench.pgstats import PgWindow
from bench.procs import (
    HarnessError,
    ProcessSet,
    free_port,
    gunicorn_settings,
    wait_http_ok,
    worker_pids,
)
from bench.settings import PG, Settings

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
# The tests use Redis db 15. BENCH_REDIS_DB / BENCH_DATABASE let two runs share a machine
# (e.g. a CI run beside a developer's benchmark) without dropping each other's data.
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "5"))


class Run(MoneyPhases):
    """One benchmark run: its settings, environment, servers and collected figures."""

    def __init__(self, settings: Settings, out_dir: Path) -> None:
        self.settings = settings
        self.out_dir = out_dir
        self.database_url = f"{PG}/{settings.database}"
        self.raw_url = f"{PG}/{settings.raw_database}"
        self.procs = ProcessSet()
        self.results: dict = {"settings": asdict(settings), "scenarios": {}, "failures": []}
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("GUNICORN_", "WEB_", "DB_"))
            },
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "CACHE_KEY_PREFIX": "bench:",
            "PUBLIC_BASE_URL": "https://bank.example.com",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Every load client signs in from 127.0.0.1: the per-IP limit would refuse them.
            "LOGIN_RATE_LIMIT": "100000/minute",
            "MAIL_BACKEND": "log",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
            # A benchmark server has nothing in flight worth 30 s when it is stopped.
            "GUNICORN_GRACEFUL_TIMEOUT": "5",
        }
        self.env.pop("TEST_DATABASE_URL", None)

    # Steps -------------------------------------------------------------------------
    def step(self, name: str, function, *args, **kwargs):
        """Run one scenario; record its figures, or its failure (the run then exits 1)."""
        began = time.monotonic()
        print(f"[bench] {name} ...", flush=True)
        try:
            value = function(*args, **kwargs)
        except scenarios.ScenarioUnavailable as exc:
            value = {"skipped": str(exc)}
        except (KeyboardInterrupt, HarnessError):
            raise
        except Exception as exc:
            traceback.print_exc()
            self.results["failures"].append(f"{name}: {type(exc).__name__}: {exc}")
            value = {"error": f"{type(exc).__name__}: {exc}"}
        self.results["scenarios"][name] = value
        print(f"[bench] {name} done in {time.monotonic() - began:.1f}s", flush=True)
        return value

    def measured(self, name: str, function, *args, **kwargs):
        """A transfer/library scenario: its window starts right after a CHECKPOINT
        (`function` calls `before_window` at that moment), and the checkpoint and WAL
        counters' movement during it is kept with its figures as `pg_window`."""
        window = PgWindow(f"{PG}/postgres")
        value = self.step(name, function, *args, before_window=window.start, **kwargs)
        try:
            value["pg_window"] = window.finish()
        except RuntimeError as exc:  # psql failed: the figures stand without the counters
            value["pg_window"] = {"error": str(exc)}
        return value

    @contextlib.contextmanager
    def phase(self, name: str):
        """Time a set-up phase (database, seed, servers) for the report."""
        began = time.monotonic()
        print(f"[bench] {name} ...", flush=True)
        try:
            yield
        finally:
            elapsed = round(time.monotonic() - began, 1)
            self.results.setdefault("phases_s", {})[name] = elapsed

    def command(self, argv: list[str], *, timeout: float = 1800, check: bool = True) -> str:
        completed = subprocess.run(
            argv,
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and completed.returncode != 0:
            raise HarnessError(
                f"{' '.join(argv[:4])} failed ({completed.returncode}):\n{completed.stderr[-3000:]}"
            )
        return completed.stdout

    def drop_databases(self) -> None:
        for database in (self.settings.database, self.settings.raw_database):
            run_psql(f"{PG}/postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")

    def create_database(self) -> None:
        for database in (self.settings.database, self.settings.raw_database):
            run_psql(f"{PG}/postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        run_psql(f"{PG}/postgres", f"CREATE DATABASE {self.settings.database}")
        self.command([PYTHON, "-m", "flask", "--app", "wsgi", "db", "upgrade"])
        subprocess.run(
            ["redis-cli", "-n", str(REDIS_DB), "FLUSHDB"], capture_output=True, check=False
        )

    def seed(self) -> dict:
        s = self.settings
        spec = {
            "customers": s.customers,
            "transfer_accounts": s.transfer_accounts,
            "big_entries": s.big_entries,
            "small_entries": s.small_entries,
            "dashboard_transfers": s.dashboard_transfers,
            "customer_history": s.customer_history,
        }
        output = self.command([PYTHON, "-m", "bench.seed", json.dumps(spec)])
        line = next(ln for ln in output.splitlines() if ln.startswith("SEED_JSON "))
        return json.loads(line[len("SEED_JSON ") :])

    def ledger_verify(self) -> dict:
        completed = subprocess.run(
            [PYTHON, "-m", "flask", "--app", "wsgi", "ledger", "verify"]
            + ([] if self.settings.quick else ["--deep"]),
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        return {
            "clean": completed.returncode == 0,
            "output": (completed.stdout + completed.stderr).strip()[-1500:],
        }

    def gunicorn_defaults(self) -> dict:
        """gunicorn.conf.py's worker settings in the servers' environment (no overrides)."""
        env = {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(self.out_dir / "gunicorn-probe")}
        return gunicorn_settings(PYTHON, env, ROOT)

    def start_server(
        self, name: str, app: str, extra_env: dict | None = None, **overrides
    ) -> tuple[str, subprocess.Popen]:
        """Serve `app` with gunicorn.conf.py; `overrides` (workers, worker_class, threads)
        are for the variants only: the primary run passes none. `extra_env`: what the
        app itself reads (the ceiling's database)."""
        port = free_port()
        names = {
            "workers": "WEB_CONCURRENCY",
            "threads": "GUNICORN_THREADS",
            "worker_class": "GUNICORN_WORKER_CLASS",
        }
        env = {
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            **{names[key]: str(value) for key, value in overrides.items()},
            **(extra_env or {}),
        }
        argv = [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), app]
        process = self.procs.start(
            name, argv, env=env, cwd=ROOT, log_path=self.out_dir / f"{name}.log"
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_http_ok(url + "/readyz", process)
        except HarnessError:
            log = (self.out_dir / f"{name}.log").read_text()[-3000:]
            raise HarnessError(f"{name} did not start; its log ends:\n{log}") from None
        time.sleep(1)  # let every worker finish booting before load
        return url, process

    def stop(self, process) -> None:
        self.procs.stop(process)

    # The run -----------------------------------------------------------------------
    def execute(self) -> None:
        s = self.settings
        self.results["machine"] = describe_machine(f"{PG}/postgres")
        self.results["started_at"] = scenarios.utc_now()
        self.results["load_average"] = [round(os.getloadavg()[0], 2), None]
        with self.phase("database_and_migrations"):
            self.create_database()
        with self.phase("seed"):
            plan = self.seed()
        self.results["seed"] = {k: plan[k] for k in ("customers", "timings")} | {
            "big_entries": plan["big"]["entries"],
            "small_entries": plan["small"]["entries"],
            "transfer_accounts": len(plan["transfer_users"]),
        }
        if plan.get("journal_rows"):
            self.results["seed"]["journal_rows"] = plan["journal_rows"]
        if not s.quick and not s.scale:  # the check after the transfers covers the seed too
            self.step("ledger_verify_after_seed", self.ledger_verify)

        primary = self.gunicorn_defaults()
        self.results["gunicorn"] = primary
        with self.procs:
            with self.phase("start_servers"):
                base_url, base_proc = self.start_server("baseline", "bench.baseline_app:app")
                app_url, app_proc = self.start_server("app", "wsgi:app")
            primary["observed_workers"] = len(worker_pids(app_proc.pid))
            password = plan["password"]
            cookie = self.step(
                "sign_in",
                scenarios.signed_in_cookie,
                app_url,
                plan["dashboard_email"],
                password,
                "/",
            )
            if isinstance(cookie, str):
                self.step(
                    "dashboard",
                    scenarios.dashboard_vs_baseline,
                    app_url,
                    base_url,
                    cookie,
                    connections=s.dashboard_connections,
                    duration_s=s.duration_s,
                    out_dir=self.out_dir,
                    label="primary",
                )
                self.step(
                    "signed_in_pages",
                    scenarios.signed_in_pages,
                    app_url,
                    base_url,
                    cookie,
                    pages={
                        "history_page": f"/accounts/{plan['dashboard_account_id']}/history",
                        "transfer_form": "/transfers/pay",
                    },
                    connections=s.page_connections,
                    duration_s=s.page_duration_s,
                    out_dir=self.out_dir,
                )
            self.transfers(app_url, plan)
            if not s.scale:
                self.library_posting(plan)
                self.history_and_export(app_url, app_proc, plan)
            self.results["scenarios"]["memory"] = {
                "settings": primary,
                "app_workers": scenarios.worker_memory(app_proc.pid),
                "baseline_workers": scenarios.worker_memory(base_proc.pid),
            }
            with self.phase("stop_servers"):
                self.stop(app_proc)
                self.stop(base_proc)
            for variant in s.variants:
                self.variant(variant, plan)
        self.results["finished_at"] = scenarios.utc_now()
        self.results["load_average"][1] = round(os.getloadavg()[0], 2)

    def history_and_export(self, app_url: str, app_proc, plan: dict) -> None:
        s = self.settings
        cookies = {}
        for name in ("big", "small"):
            account = plan[name]
            cookies[name] = self.step(
                f"sign_in_{name}",
                scenarios.signed_in_cookie,
                app_url,
                account["email"],
                plan["password"],
                f"/accounts/{account['account_id']}/history",
            )
        if not all(isinstance(c, str) for c in cookies.values()):
            return
        accounts = {"big": plan["big"], "small": plan["small"]}
        history = self.step(
            "history",
            scenarios.history_pages,
            app_url,
            cookies,
            accounts,
            database_url=self.database_url,
            connections=s.history_connections,
            duration_s=s.history_duration_s,
            out_dir=self.out_dir,
            variants=s.history_variants,
        )
        if "runs" in history and not s.quick:
            self.step("history_explain", self.explain, plan, history)
        export = self.step(
            "csv_export",
            scenarios.csv_export,
            app_url,
            cookies["big"],
            plan["big"]["account_id"],
            app_proc.pid,
        )
        # Issue 15's ceiling for the export: PostgreSQL's own COPY of the same query.
        copy = self.step(
            "csv_copy_baseline", copy_baseline, self.database_url, plan["big"]["account_id"]
        )
        if "rows_per_s" in export and "rows_per_s" in copy:
            export["copy_rows_per_s"] = copy["rows_per_s"]
            export["rows_per_s_ratio_vs_copy"] = scenarios.ratio(
                export["rows_per_s"], copy["rows_per_s"]
            )

    def explain(self, plan: dict, history: dict) -> list[dict]:
        cases = []
        for name in ("big", "small"):
            for variant in ("page1", "deep", "deep_filtered"):
                url = history["runs"][f"{name}_{variant}"]["url"]
                query = url.split("?", 1)[1] if "?" in url else ""
                params = dict(p.split("=", 1) for p in query.split("&") if p)
                cursor = params.pop("cursor", None)
                cases.append(
                    {
                        "name": f"{name}_{variant}",
                        "account_id": plan[name]["account_id"],
                        "cursor": cursor,
                        "query": "&".join(f"{k}={v}" for k, v in params.items()),
                    }
                )
        output = self.command([PYTHON, "-m", "bench.explain", json.dumps(cases)])
        line = next(ln for ln in output.splitlines() if ln.startswith("EXPLAIN_JSON "))
        return json.loads(line[len("EXPLAIN_JSON ") :])

    def variant(self, variant: dict, plan: dict) -> None:
        label = f"{variant['worker_class']}-w{variant['workers']}-t{variant['threads']}"
        base_url, base_proc = self.start_server(
            f"baseline-{label}", "bench.baseline_app:app", **variant
        )
        app_url, app_proc = self.start_server(f"app-{label}", "wsgi:app", **variant)
        try:
            cookie = scenarios.signed_in_cookie(
                app_url, plan["dashboard_email"], plan["password"], "/"
            )
            rows = self.step(
                f"dashboard_{label}",
                scenarios.dashboard_vs_baseline,
                app_url,
                base_url,
                cookie,
                connections=self.settings.dashboard_connections,
                duration_s=self.settings.duration_s,
                out_dir=self.out_dir,
                label=label,
            )
            self.results["scenarios"][f"dashboard_{label}"] = {
                "settings": variant,
                "rows": rows,
                "app_workers": scenarios.worker_memory(app_proc.pid),
            }
        finally:
            self.stop(app_proc)
            self.stop(base_proc)

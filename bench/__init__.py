"""Load and scale benchmarks for the banking app, each scenario beside a baseline.

`python -m bench [--quick]` builds a fresh PostgreSQL database, seeds it, serves the
app under gunicorn with the production config, drives it from separate load-generator
processes (wrk, pgbench, a multi-process HTTP client), stops everything it started and
writes bench/RESULTS.md and bench/results.json. See bench/runner.py for the order.
"""

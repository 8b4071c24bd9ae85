"""`flask seed-demo`: fill a development database with believable customers and history.

Refuses staging and production outright (exit 1). If customers already exist it does
nothing and exits 0 — so a Makefile or compose step can run it on every start — unless
`--force` adds another batch next to them.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from banking.cli.reasons import CLI
from banking.services import demo
from banking.services.admin import provisioning

REFUSED_ENVS = ("production", "staging")


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)


@click.command("seed-demo")
@click.option(
    "--customers",
    default=12,
    show_default=True,
    type=click.IntRange(1, 500),
    help="How many demo customers to create (each with a checking account; most also "
    "get a savings account).",
)
@click.option(
    "--months",
    default=3,
    show_default=True,
    type=click.IntRange(1, 36),
    help="How many months of history (salaries, rent, card spending, transfers) to post, "
    "ending now.",
)
@click.option(
    "--seed",
    default=42,
    show_default=True,
    type=int,
    help="Random seed: the same seed gives the same customers and amounts.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Add demo data even though customers already exist (new emails get a suffix).",
)
@click.option(
    "--no-statements",
    "skip_statements",
    is_flag=True,
    help="Skip issuing the last two months' statement documents (PDF and CSV, as the "
    "worker does on the 1st; about half a second per account and month).",
)
@with_appcontext
def seed_demo(customers: int, months: int, seed: int, force: bool, skip_statements: bool) -> None:
    """Create demo customers, an admin and months of ledger history (development only).

    Every movement is posted through the ledger, so balances, entries and the journal
    stay consistent; one large transfer is left awaiting admin review. Refuses to run
    in staging or production (exit 1). If customers already exist it does nothing and
    exits 0, unless --force.
    """
    env_name = current_app.config.get("ENV_NAME", "")
    if env_name in REFUSED_ENVS:
        raise click.ClickException(f"seed-demo refuses to run in {env_name}: it creates fake data.")
    existing = provisioning.customer_count()
    if existing and not force:
        click.echo(f"{existing} customer(s) already exist; nothing done (use --force to add more).")
        return
    plan = provisioning.plan_demo(customers=customers, months=months, seed=seed)
    with click.progressbar(length=plan.steps, label="Seeding demo data") as bar:
        result = provisioning.seed_demo(
            plan, progress=bar.update, actor=CLI, statements=not skip_statements
        )
    _print_sign_ins(result)


def _print_sign_ins(result: demo.SeedResult) -> None:
    click.echo(
        f"Created {len(result.customer_emails)} customers and {result.transactions} "
        f"transactions ({result.pending_review} awaiting review)."
    )
    if result.statements:
        click.echo(f"Issued {result.statements} past monthly statements (PDF and CSV).")
    click.echo(f"Demo password for every account below: {demo.DEMO_PASSWORD}")
    admin_note = "" if result.admin_created else " (already existed; password unchanged)"
    click.echo(f"  admin     {result.admin_email}{admin_note}")
    for email in result.customer_emails:
        click.echo(f"  customer  {email}")

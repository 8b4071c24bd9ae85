"""Admin views: the guard for the whole blueprint, the overview and the integrity check.

The other areas live in their own modules (users, accounts, journal, audit, jobs), imported
at the bottom so their views register on the same blueprint and fall under the guard.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from banking.services import failed_jobs, ledger_checks
from banking.services.admin.dual_control import pending_queue
from banking.services.admin.queries import overview_stats
from banking.web.admin import bp
from banking.web.admin.chart import layout
from banking.web.admin.flow import actor
from banking.web.admin.labels import hold_expiry, menu, owner_name
from banking.web.admin.ops_presenters import ran_by
from banking.web.admin.pending_views import describe_all
from banking.web.guards import admin_required
from banking.web.health import dependency_states

# The decorator's check, run before *every* view of the blueprint: a view added later
# cannot forget it. The test suite walks the URL map to prove it.
_admin_check = admin_required(lambda: None)


@bp.before_request
def require_admin():
    return _admin_check()


@bp.context_processor
def admin_menu() -> dict:
    """The section menu every admin page shows, with the current section marked."""
    return {"admin_menu": menu(request.endpoint)}


# Admin pages only use them, but Jinja filters are app-wide: registered from here so the
# blueprint brings its own words.
bp.add_app_template_filter(owner_name, "owner_name")
bp.add_app_template_filter(hold_expiry, "hold_expiry")


@bp.get("/")
def overview():
    stats = overview_stats()
    return render_template(
        "admin/overview.html",
        stats=stats,
        chart=layout(stats.days),
        health=dependency_states(),
        # Never cached with the figures: an approved request must leave the queue at once.
        pending=describe_all(pending_queue()),
        cache_seconds=current_app.config.get("ADMIN_STATS_CACHE_SECONDS", 30),
        # Read live, like the queue: a retried job must leave the count at once.
        failed_jobs=failed_jobs.open_count(),
    )


@bp.route("/integrity", methods=["GET", "POST"])
def integrity():
    """The last verification, whoever ran it (the nightly worker, an admin, the CLI), and
    a button to run the quick check now (the deep one is the worker's nightly job)."""
    if request.method == "POST":
        _check, report = ledger_checks.run_check(actor=actor(), deep=False)
        if report.ok:
            flash("The ledger check passed: every invariant holds.", "success")
        else:
            flash(f"The ledger check found {len(report.breaches)} problem(s).", "error")
        return redirect(url_for("admin.integrity"))
    last = ledger_checks.last_check()
    return render_template("admin/integrity.html", last=last, ran_by=ran_by(last))


from banking.web.admin import (  # noqa: E402,F401 - register the area views on bp
    account_views,
    audit_views,
    jobs_views,
    journal_views,
    pending_views,
    user_views,
)

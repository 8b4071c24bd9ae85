"""Admin views on failed background jobs: the list, and retrying one (audited).

Retrying goes through the same reason -> confirm flow as every admin change (POST only,
CSRF, a written reason in the audit row); the service refuses a job already retried, so
a double click or a second admin's click gets a message, not a second run.
"""

from __future__ import annotations

from flask import current_app, render_template, url_for

from banking.core.models import FailedJob
from banking.services import failed_jobs
from banking.web.admin import bp
from banking.web.admin.flow import actor, confirm_flow, found
from banking.web.admin.forms import ReasonForm
from banking.web.admin.ops_presenters import job_details, job_user_id, task_label

LIST_LIMIT = 100


@bp.get("/jobs")
def failed_jobs_list():
    jobs = failed_jobs.open_jobs(limit=LIST_LIMIT)
    return render_template(
        "admin/jobs.html",
        jobs=jobs,
        more=len(jobs) == LIST_LIMIT,
        retried=failed_jobs.recently_retried(),
        label=task_label,
        details=job_details,
        user_id_of=job_user_id,
    )


def _summary(job: FailedJob) -> list[tuple[str, str]]:
    about = job_details(job)
    when = current_app.jinja_env.filters["when"]  # the pages' date format and timezone
    summary = [("Job", f"#{job.id}: {task_label(job.task_name)}")]
    if about:
        summary.append(("About", about))
    user_id = job_user_id(job)
    if user_id is not None:
        summary.append(("User", f"#{user_id}"))
    return [
        *summary,
        ("Failed", when(job.failed_at)),
        ("Error", job.error_type),
        ("Attempts", str(job.attempts)),
    ]


@bp.route("/jobs/<int:job_id>/retry", methods=["GET", "POST"])
def retry_job(job_id: int):
    job = found(failed_jobs.find(job_id))
    form = ReasonForm()

    def perform() -> str:
        failed_jobs.retry(job_id, actor=actor(), reason=form.reason.data)
        return (
            f"Job #{job_id} was handed to the worker again; "
            "if it fails again it comes back to this list."
        )

    return confirm_flow(
        form,
        title="Retry a failed job",
        summary=_summary(job),
        back_url=url_for("admin.failed_jobs_list"),
        perform=perform,
        notice="The job runs again with the same arguments. Jobs are safe to run twice: "
        "an email already sent is not sent again.",
    )

"""The schedule form's frequency-only fields: every one visible without JavaScript (with a
hint saying when it applies); a static script, allowed by the CSP, hides the others."""

from __future__ import annotations

import re

from banking.web.security import CONTENT_SECURITY_POLICY


def page(response) -> str:
    return response.get_data(as_text=True)


def test_without_javascript_every_field_is_there_with_a_hint_saying_when_it_applies(
    app, client, jane
):
    html = page(client.get("/schedules/new"))

    for frequencies, name, hint in [
        ("monthly", "day_of_month", "Monthly transfers only"),
        ("weekly monthly", "end_on", "Weekly and monthly transfers only"),
    ]:
        group = re.search(rf'<div data-frequencies="{frequencies}">(.*?)name="(\w+)"', html, re.S)
        assert group and group.group(2) == name, frequencies
        assert hint in group.group(1)
    # Nothing is hidden by the server: hiding is the script's job.
    assert not re.search(r"data-frequencies=\"[^\"]*\"[^>]*hidden", html)


def test_the_script_is_a_static_file_the_content_security_policy_allows(app, client, jane):
    response = client.get("/schedules/new")
    html = page(response)

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert (' src="/static/js/schedule-form.js" defer', "") in scripts
    assert all(src.startswith(' src="/static/js/') and not body for src, body in scripts)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    script = client.get("/static/js/schedule-form.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert b"data-frequencies" in script.data


def test_other_pages_do_not_load_the_schedule_script(app, client, jane):
    assert "schedule-form.js" not in page(client.get("/schedules"))

"""Baseline (a): the smallest Flask app that renders a Jinja template, served like ours.

Same gunicorn worker settings as the app, same wrk concurrency: the ratio of the
dashboard's throughput to this one's is what the framework floor costs us, and the
rest is ours (session, database, cache, the page itself).
"""

from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent / "templates"))


@app.get("/")
def index():
    return render_template("baseline.html", name="world", items=range(5))


@app.get("/readyz")
def readyz():
    return {"status": "ok"}

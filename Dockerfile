# syntax=docker/dockerfile:1
# Multi-stage: wheels are built where a compiler exists; the final image has none.

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt


FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    GUNICORN_BIND=0.0.0.0:8000 \
    FLASK_APP=wsgi
# Pango and a font for WeasyPrint (statement PDFs); pip cannot install them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 banking \
    && useradd --system --uid 10001 --gid banking --home-dir /app --shell /usr/sbin/nologin banking
COPY --from=builder /wheels /wheels
RUN pip install --no-index --find-links=/wheels /wheels/* && rm -rf /wheels
WORKDIR /app
COPY --chown=banking:banking config.py wsgi.py gunicorn.conf.py ./
COPY --chown=banking:banking banking ./banking
COPY --chown=banking:banking migrations ./migrations
COPY --chown=banking:banking templates ./templates
COPY --chown=banking:banking static ./static
RUN mkdir -p /app/instance && chown banking:banking /app/instance
USER banking
EXPOSE 8000
# No curl in a slim image: ask /healthz with the Python that is already here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]

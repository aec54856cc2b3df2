# syntax=docker/dockerfile:1
# One image for every jobfeed role; the command picks it (see docker-compose.yml, deploy/k8s/):
#   prefect server start | prefect worker start (default) | jobfeed dashboard | jobfeed api | python -m jobfeed.ops.metrics
# No secrets are baked in: settings come from the environment at run time (docs/operations.md).
ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: a virtualenv with jobfeed and its pinned dependencies --------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when the pins change.
COPY pyproject.toml /tmp/pyproject.toml
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
# Then the project itself, at /app, installed in editable mode (--no-deps: the venv has the rest).
# Editable on purpose: `jobfeed deploy` registers the deployment from the directory the `jobfeed`
# package lives in (prefect.yaml's pull step), and a process worker runs flows from there; with a
# site-packages install that directory would have no prefect.yaml. /app is the same path in both stages.
# The context is filtered by .dockerignore: no .git, .venv, .env, tests or local state.
WORKDIR /app
COPY . /app
RUN pip install --no-deps -e /app && pip check

# ---- runtime: the venv, the sources Prefect loads flows from, a non-root user --------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PREFECT_HOME=/data/prefect \
    FEEDS_FILE=/app/feeds.yaml \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 jobfeed \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/jobfeed --shell /usr/sbin/nologin jobfeed \
    && mkdir -p /data/prefect \
    && chown -R 10001:10001 /data
COPY --from=build /opt/venv /opt/venv
# Code stays root-owned (read-only to the app user). Process workers run deployments from here:
# their entrypoint `flows/import_feeds.py:import_feeds` is resolved relative to /app.
COPY --from=build /app /app
WORKDIR /app
USER 10001:10001
# 4200 Prefect server/UI, 8080 worker health, 8501 dashboard, 8000 read API, 9491 metrics
EXPOSE 4200 8080 8501 8000 9491
# The default role is the worker; compose and Kubernetes give each other role its own check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"]
CMD ["prefect", "worker", "start", "--pool", "local-process", "--type", "process", "--with-healthcheck", "--install-policy", "never"]

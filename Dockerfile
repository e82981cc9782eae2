# syntax=docker/dockerfile:1
# Kontor image: gunicorn serves the web app; the same image runs the Celery
# worker and beat (see docker-compose.yml). Static files are collected at build
# time and served by whitenoise.

# --- front-end assets from npm (Bootstrap, htmx, Chart.js, ...) --------------
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- the application -----------------------------------------------------------
FROM python:3.13-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings \
    DEBUG=0 \
    MEDIA_ROOT=/app/var/media \
    CELERY_BEAT_SCHEDULE_FILENAME=/app/var/beat/celerybeat-schedule \
    WEB_CONCURRENCY=3

WORKDIR /app

RUN groupadd --system --gid 10001 kontor \
    && useradd --system --uid 10001 --gid kontor --home-dir /app --shell /usr/sbin/nologin kontor

# Dependencies first (this layer is rebuilt only when pyproject.toml changes).
# The project itself is not pip-installed: it runs from /app.
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY --from=assets /src/node_modules ./node_modules
COPY . .

# Translations (.po -> .mo with Babel, no gettext needed) and static files.
# The SECRET_KEY here exists only for this build step; it is not kept in the image.
RUN set -eu; \
    for domain in django djangojs; do \
        if ls locale/*/LC_MESSAGES/"$domain".po >/dev/null 2>&1; then pybabel compile -d locale -D "$domain"; fi; \
    done; \
    SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput; \
    mkdir -p /app/var/media /app/var/beat; \
    chown -R kontor:kontor /app/var

USER kontor
EXPOSE 8000

# gunicorn reads WEB_CONCURRENCY for its number of workers.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]

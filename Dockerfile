FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/base.txt
COPY . .
# Whitenoise serves the collected, hashed and compressed files. The image carries no
# SECRET_KEY: with DEBUG off the site refuses to start without one (config/checks.py).
ENV STATICFILES_STORAGE=whitenoise.storage.CompressedManifestStaticFilesStorage
RUN python manage.py compilemessages --ignore=.venv >/dev/null \
    && python manage.py collectstatic --noinput >/dev/null
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]

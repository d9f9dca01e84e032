FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/base.txt
COPY . .
RUN python manage.py compilemessages --ignore=.venv >/dev/null \
    && STATICFILES_STORAGE=whitenoise.storage.CompressedManifestStaticFilesStorage \
       python manage.py collectstatic --noinput >/dev/null
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]

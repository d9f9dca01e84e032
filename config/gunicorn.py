"""gunicorn settings for the web container (``gunicorn -c config/gunicorn.py config.wsgi``).

Sync workers: the pages are short database reads and writes, and long work (large imports,
reports) runs in Celery, so a request that takes longer than the timeout is stuck, not busy.
"""

import multiprocessing
import os

# Every interface of its container; the published port decides who reaches it.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Two per core and one, the usual figure for sync workers; WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak never grows without bound.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
errorlog = "-"

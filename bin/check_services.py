"""Fail fast, with a one-line hint, when the test database or Redis cannot be reached."""

import os
import sys

import psycopg2
import redis
from environ import Env


def main() -> int:
    db_url = os.environ.get("DATABASE_URL_TEST") or os.environ["DATABASE_URL"]
    db = Env.db_url_config(db_url)
    try:
        psycopg2.connect(
            dbname="postgres",
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            connect_timeout=3,
        ).close()
    except psycopg2.OperationalError as exc:
        first = str(exc).strip().splitlines()[0]
        print(f"PostgreSQL at {db_url} is unreachable ({first}); start it or set DATABASE_URL.")
        return 1
    redis_url = os.environ["REDIS_URL"]
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        print(f"Redis at {redis_url} is unreachable ({exc}); start it or set REDIS_URL.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

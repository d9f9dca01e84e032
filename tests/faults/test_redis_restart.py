"""Redis restarted under a running worker and beat: both reconnect and carry on.

A private ``redis-server`` (no persistence) on a free loopback port is the broker of a real
worker and a real beat (django-celery-beat's database scheduler, on the test database). A
periodic task runs every second and appends a line to a file. The broker is killed and
started again on the same port; beat keeps sending and the worker keeps consuming.
"""

import json
import shutil
import time
import uuid

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.faults.support import (
    celery,
    child_environment,
    free_port,
    process_start,
    process_stop,
    wait_for,
    worker_command,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def redis_start(port: int, log) -> object:
    process = process_start(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        {},
        log,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2)

    def answers() -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    wait_for(answers, timeout=10, what=f"redis-server on port {port}")
    return process


def ticks(path) -> list[float]:
    return [float(line) for line in path.read_text().split()] if path.exists() else []


def test_beat_and_worker_carry_on_after_the_broker_restarts(tmp_path):
    port = free_port()
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    counter = tmp_path / "ticks.txt"
    PeriodicTask.objects.create(
        name="faults tick",
        task="faults.tick",
        interval=IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS),
        args=json.dumps([str(counter)]),
        queue=queue,
    )
    env = child_environment(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0")
    logs = {name: tmp_path / f"{name}.log" for name in ("redis", "worker", "beat")}
    processes = []
    try:
        redis = redis_start(port, logs["redis"])
        processes.append(redis)
        worker = process_start(
            worker_command(queue, "-I", "tests.faults.tasks"), env, logs["worker"]
        )
        beat = process_start(
            celery("beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat-schedule'}"),
            env,
            logs["beat"],
        )
        processes += [worker, beat]
        wait_for(lambda: len(ticks(counter)) >= 2, timeout=25, what="ticks before the restart")

        process_stop(redis, kill=True)
        down_at = time.time()
        time.sleep(1.5)  # beat has ticks due meanwhile; the worker's connection is broken
        redis = redis_start(port, logs["redis"])
        processes.append(redis)
        up_at = time.time()

        wait_for(
            lambda: len([t for t in ticks(counter) if t > up_at]) >= 3,
            timeout=25,
            what=f"ticks after the restart (logs in {tmp_path})",
        )
        assert worker.poll() is None and beat.poll() is None  # both stayed up
        assert not [t for t in ticks(counter) if down_at < t < up_at - 0.5]
    finally:
        for process in reversed(processes):
            process_stop(process)

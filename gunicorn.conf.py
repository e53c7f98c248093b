"""gunicorn's settings for citygrid, read from the environment (gunicorn loads this file from the
working directory): the Dockerfile, docker-compose and `make production` all start it alike."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Two processes per core plus one, as gunicorn's documentation suggests; a few threads each for
# requests that wait on the database.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # the big Excel exports stream for a while
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# TLS straight from gunicorn when no front server terminates it (GUNICORN_CERTFILE, GUNICORN_KEYFILE).
certfile = os.environ.get("GUNICORN_CERTFILE") or None
keyfile = os.environ.get("GUNICORN_KEYFILE") or None


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR (docs/topology.md) the metrics of a worker that exited are
    merged into the totals instead of being counted as a live process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

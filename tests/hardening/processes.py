"""Real processes for the fault tests: the app in a subprocess, a TCP proxy
that can cut it off from PostgreSQL, and a view of PostgreSQL from outside.

Everything here talks to the database the test process uses (pytest's test
database, with `transactional_db` so that what a test writes is committed
and visible to the subprocess), or to scratch databases named
``interlinear_fault*``.
"""

import selectors
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing
from urllib.parse import quote

import psycopg
from django.db import connection

from tests.test_deploy import PROJECT_ROOT, production_env

__all__ = ["PROJECT_ROOT", "TcpProxy", "database_url", "free_port", "manage", "manage_env", "pg_admin", "wait_for"]


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def database_url(*, name: str | None = None, port: int | None = None) -> str:
    """A postgres:// URL for the test process's server, naming another database or port if given."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "postgres", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{port or settings['PORT'] or 5432}/{name or settings['NAME']}"


def pg_admin(dbname: str | None = None) -> psycopg.Connection:
    """An autocommit connection outside Django, to watch or manage the server."""
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or None,
        dbname=dbname or settings["NAME"],
        autocommit=True,
    )


def manage_env(**overrides) -> dict:
    """Environment for manage.py or gunicorn against the test database: the
    production defaults of tests/test_deploy.py, relaxed for plain HTTP on
    127.0.0.1, with mail kept in memory."""
    env = production_env(
        DATABASE_URL=database_url(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    env.update({key: str(value) for key, value in overrides.items() if value is not None})
    return env


def manage(*args, env, timeout=120, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


class TcpProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL until `cut()`, which closes the
    listening socket and every open connection (as a dead server or network
    would); `restore()` listens on the same port again."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        self.restore()
        return self

    def __exit__(self, *exc):
        self.cut()

    def restore(self):
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        listener.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(listener, self._stop), daemon=True)
        self._thread.start()

    def cut(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _serve(self, listener, stop):
        with listener:
            while not stop.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                client.settimeout(None)
                upstream.settimeout(None)
                with self._lock:
                    self._sockets |= {client, upstream}
                threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a, b):
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            for sock in (a, b):
                try:
                    sock.close()
                except OSError:
                    pass
            with self._lock:
                self._sockets -= {a, b}

"""Production settings, checked in a subprocess.

The test process itself runs with DEBUG=1 (see tests/environment.py), so each
check starts a fresh `manage.py` with an environment built from scratch: only
what a shell needs to run Python, plus the database URL under test. Anything
else the developer happens to have exported (DEBUG, SECURE_SSL_REDIRECT, ...)
must not soften the production defaults being checked. No database is used.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import config.settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_HOST = "interlinear.example.org"
# Passed through from the caller: running Python, locale, temp dirs, libpq.
_PASSTHROUGH = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT"}


def production_env(**overrides):
    env = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH or k.startswith("PG")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONDONTWRITEBYTECODE="1",
        DEBUG="0",
        SECRET_KEY=secrets.token_hex(32),  # 64 characters
        ALLOWED_HOSTS=PRODUCTION_HOST,
    )
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    env = production_env()
    assert len(env["SECRET_KEY"]) == 64
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_refuses_to_start_without_secret_key():
    result = manage("check", env=production_env(SECRET_KEY=None))
    assert result.returncode != 0, result.stdout
    assert "SECRET_KEY" in result.stderr, result.stderr


def test_production_refuses_a_short_secret_key():
    result = manage("check", env=production_env(SECRET_KEY="too-short-to-be-a-secret"))
    assert result.returncode != 0, result.stdout
    assert "SECRET_KEY" in result.stderr, result.stderr


def test_production_refuses_the_development_secret_key():
    result = manage("check", env=production_env(SECRET_KEY=config.settings._DEV_SECRET_KEY))
    assert result.returncode != 0, result.stdout
    assert "SECRET_KEY" in result.stderr, result.stderr

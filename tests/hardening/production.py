"""Production settings and responses, observed in a subprocess.

The test process runs with DEBUG=1 (tests/environment.py), so, as in
tests/test_deploy.py, a fresh Python starts with an environment built from
scratch (DEBUG unset, a real SECRET_KEY) and reports back as JSON.
"""

import json
import subprocess
import sys
import textwrap

from tests.test_deploy import PRODUCTION_HOST, PROJECT_ROOT, production_env

__all__ = ["PRODUCTION_HOST", "in_production", "production_settings"]


def in_production(code: str, **env_overrides) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() under production settings; DEBUG is unset."""
    env = production_env(DEBUG=None, **env_overrides)
    script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def production_settings(*names: str, **env_overrides) -> dict:
    """The named settings as production sees them (non-JSON values as str())."""
    result = in_production(
        f"""
        import json
        from django.conf import settings
        print(json.dumps({{name: getattr(settings, name) for name in {list(names)!r}}}, default=str))
        """,
        **env_overrides,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])

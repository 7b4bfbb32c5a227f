"""Loaded by pytest before Django settings (see pytest.ini): development mode for tests.

Production hardening (SSL redirect, secure cookies) would break the test client;
`tests/test_deploy.py` checks the production settings in a subprocess instead.
"""

import os

os.environ.setdefault("DEBUG", "1")

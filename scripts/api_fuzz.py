#!/usr/bin/env python3
"""Fuzz the REST API against its own OpenAPI schema with schemathesis.

1. makes a fresh database (a temporary SQLite file by default, or the PostgreSQL
   database named by ``--database-url``, whose name must start with
   ``interlinear_fuzz``: it is dropped and recreated), migrates it, loads the demo
   project and makes API tokens for a site admin and for a translator;
2. serves the app with production settings (``gunicorn -w 2``, DEBUG off);
3. runs ``st run`` on ``/api/v1/schema/`` twice, with bounded examples per
   operation: as the site admin with the addresses pointing at real objects (so
   requests reach the services), and as a translator with free addresses (so
   403/404 answers are fuzzed too);
4. fails if any response is a 5xx, or has a status code, content type or body
   that the schema does not document.

    .venv/bin/python scripts/api_fuzz.py                 # SQLite
    .venv/bin/python scripts/api_fuzz.py --database-url postgres://postgres@127.0.0.1:5432/interlinear_fuzz
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from concurrency_check import HOST, free_port, server_env, stop, wait_healthy  # noqa: E402

DB_PREFIX = "interlinear_fuzz"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def internal_prepare():
    """Migrate, seed the demo, make tokens; print the ids the fuzzer's addresses use."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    from django.core.management import call_command

    from translations.models import Project, Translation
    from translations.services.tokens import api_token_create

    if os.environ["DATABASE_URL"].startswith("postgres"):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", verbosity=0)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    project = Project.objects.get(slug="recovered-notes")
    translation = Translation.objects.filter(segment__document__project=project).order_by("id").first()
    segment = translation.segment
    image = project.documents.filter(images__isnull=False).first()
    ids = {
        "slug": project.slug,
        "document_id": segment.document_id,
        "segment_id": segment.pk,
        "translation_id": translation.pk,
        "image_id": image.images.first().pk if image else 1,
        "language": "en",
        "username": "translator",
    }
    ids["admin_token"] = api_token_create(user=users.get(username="admin"), name="fuzz admin")[1]
    ids["translator_token"] = api_token_create(user=users.get(username="translator"), name="fuzz translator")[1]
    print(json.dumps(ids))


def recreate_postgres(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = parts._replace(path="/postgres").geturl()
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", maintenance, "-q", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def write_config(directory: Path, ids: dict, *, fixed: bool) -> Path:
    lines = ["[parameters]"]
    if fixed:
        for key in ("slug", "document_id", "segment_id", "translation_id", "image_id", "language", "username"):
            value = ids[key]
            lines.append(f'"path.{key}" = {json.dumps(value) if isinstance(value, str) else value}')
    config = directory / ("fixed.toml" if fixed else "free.toml")
    config.write_text("\n".join(lines) + "\n")
    return config


def fuzz(base: str, schema_file: Path, token: str, config: Path, *, examples: int, seed: int, label: str) -> bool:
    command = [
        str(Path(sys.executable).with_name("st")), "--config-file", str(config), "run", str(schema_file),
        "--url", base, "-H", f"Authorization: Token {token}",
        "--checks", CHECKS, "--max-examples", str(examples), "--seed", str(seed),
        "--phases", "examples,coverage,fuzzing", "--workers", "2", "--request-timeout", "30",
        "--generation-database", "none", "--no-color", "--suppress-health-check", "all",
    ]
    print(f"\n==> schemathesis as {label}: {examples} examples per operation, seed {seed}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=schema_file.parent)
    print(f"    {label}: exit {result.returncode} in {time.monotonic() - started:.0f} s", flush=True)
    return result.returncode == 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help=f"PostgreSQL URL whose database name starts with {DB_PREFIX!r}")
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "15")),
                        help="examples per operation and phase (default 15)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "20261128")))
    parser.add_argument("--internal", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.internal:
        internal_prepare()
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="interlinear-fuzz-"))
    if args.database_url:
        name = urllib.parse.urlsplit(args.database_url).path.lstrip("/")
        if not re.fullmatch(rf"{DB_PREFIX}\w*", name):
            parser.error(f"--database-url must name a database starting with {DB_PREFIX!r} (it is recreated)")
        recreate_postgres(args.database_url)
        database_url = args.database_url
    else:
        database_url = f"sqlite:///{tmp / 'fuzz.sqlite3'}"
    env = server_env(database_url, tmp / "static", tmp / "media", "unused")
    # The fuzzer sends thousands of requests with one token; the limit itself is tested in tests/api.
    env.update(API_RATE_LIMIT="1000000/minute", WEBHOOK_ALLOW_PRIVATE_ADDRESSES="0")
    server = None
    try:
        prepared = subprocess.run([sys.executable, __file__, "--internal"], cwd=ROOT, env=env,
                                  capture_output=True, text=True)
        if prepared.returncode != 0:
            raise SystemExit(f"preparing the database failed:\n{prepared.stdout}\n{prepared.stderr}")
        ids = json.loads(prepared.stdout.strip().splitlines()[-1])
        port = free_port()
        base = f"http://{HOST}:{port}"
        log = open(tmp / "gunicorn.log", "w+")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", "2", "-b", f"{HOST}:{port}", "--timeout", "60",
             "--no-control-socket"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        if not wait_healthy(base, server):
            log.seek(0)
            raise SystemExit(f"gunicorn did not become healthy:\n{log.read()[-4000:]}")
        request = urllib.request.Request(
            f"{base}/api/v1/schema/?format=json", headers={"Authorization": f"Token {ids['admin_token']}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            schema = json.loads(response.read())
        schema_file = tmp / "openapi.json"
        schema_file.write_text(json.dumps(schema))
        print(f"Schema: {len(schema['paths'])} paths, "
              f"{sum(len(v) for v in schema['paths'].values())} operations; serving on {base}", flush=True)
        ok = fuzz(base, schema_file, ids["admin_token"], write_config(tmp, ids, fixed=True),
                  examples=args.examples, seed=args.seed, label="site admin, real objects")
        ok = fuzz(base, schema_file, ids["translator_token"], write_config(tmp, ids, fixed=False),
                  examples=max(1, args.examples // 3), seed=args.seed + 1, label="translator, any address") and ok
        log.seek(0)
        errors = [line for line in log.read().splitlines() if "Traceback" in line or " 500 " in line]
        if errors:
            print("gunicorn logged errors:\n" + "\n".join(errors[:20]))
            ok = False
        print("\n==> API fuzzing " + ("passed: no 5xx, every answer as documented" if ok else "FAILED"), flush=True)
        return 0 if ok else 1
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

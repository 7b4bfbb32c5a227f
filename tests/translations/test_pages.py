"""The minimal pages: login, home with counts, /healthz, and the demo logins."""

import json

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.urls import reverse

from tests.factories import make_document, make_project
from translations import services
from translations.models import Role


def test_pages_require_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_healthz_answers_without_login_and_checks_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_an_unavailable_database_as_503(client, db, monkeypatch):
    from django.db import OperationalError

    class DownDatabase:
        def cursor(self):
            raise OperationalError("server closed the connection")

    monkeypatch.setattr("translations.views.home.connection", DownDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "unavailable"


@pytest.mark.parametrize("username", ["translator", "reviewer", "manager", "auditor", "admin"])
def test_the_printed_demo_logins_work(client, db, username, capsys):
    call_command("seed_demo")
    printed = capsys.readouterr().out
    assert username in printed and "interlinear-demo" in printed
    response = client.post(reverse("login"), {"username": username, "password": "interlinear-demo"})
    assert response.status_code == 302
    page = client.get(reverse("home")).content.decode()
    assert "Recovered notes" in page


def test_the_demo_reviewer_sees_a_realistic_project(client, db):
    call_command("seed_demo")
    # django-axes checks every authentication against the request it came with.
    assert client.login(request=HttpRequest(), username="reviewer", password="interlinear-demo")
    page = client.get(reverse("home")).content.decode()
    assert "illustrative reconstructions" in page
    assert "ko → en" in page


def test_home_costs_the_same_number_of_queries_for_many_projects(client, admin_user, people, django_assert_max_num_queries):
    for n in range(12):
        project = make_project(admin_user, slug=f"p{n}", members={people["translator"]: Role.TRANSLATOR})
        document = make_document(project, admin_user)
        services.translation_create(segment=document.segments.first(), user=people["translator"], language="en", text="T")
    client.force_login(people["translator"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("home"))
    assert response.content.decode().count('class="card h-100') == 12


def test_responses_carry_security_headers(client, db, people):
    client.force_login(people["translator"])
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"

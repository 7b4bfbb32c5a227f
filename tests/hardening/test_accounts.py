"""Accounts: login throttling, password changes, session lifetime, the admin's
door, and the security events each of them leaves in the log."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.management.commands import changepassword
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.hardening.production import in_production, production_settings

PASSWORD = "correct horse battery"  # tests/factories.py
NEW_PASSWORD = "vellum-quill-ink-2041"
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.7"
SECURITY = "interlinear.security"


def log_in(client, username, password=PASSWORD, *, ip="127.0.0.1", url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client, username, times, *, ip=ATTACKER, url=None):
    return [log_in(client, username, "not-the-password", ip=ip, url=url).status_code for _ in range(times)]


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def security_records(caplog):
    return [record for record in caplog.records if record.name == SECURITY]


def security_lines(caplog):
    return [record.getMessage() for record in security_records(caplog)]


@pytest.fixture
def translator(db):
    return UserFactory(username="translator")


# --- login throttling -----------------------------------------------------------


def test_the_fifth_wrong_password_locks_that_username_from_that_address_with_a_429_page(client, translator):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert fail(client, "translator", 4) == [200] * 4

    locked = log_in(client, "translator", "still-not-it", ip=ATTACKER)

    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed log-ins" in page and "wait <strong>15 minutes</strong>" in page
    assert 'href="/accounts/login/"' in page
    # Even the right password is refused while the lock lasts.
    assert log_in(client, "translator", ip=ATTACKER).status_code == 429
    assert not is_logged_in(client)


def test_a_lockout_does_not_lock_the_owner_out_from_their_own_address(client, translator):
    fail(client, "translator", 5, ip=ATTACKER)
    assert log_in(Client(), "translator", ip=ATTACKER).status_code == 429

    owner = Client()
    assert log_in(owner, "translator", ip=OFFICE).status_code == 302
    assert is_logged_in(owner)


def test_a_lockout_does_not_lock_everyone_else_behind_the_same_address(client, translator):
    UserFactory(username="colleague")
    fail(client, "translator", 5, ip=ATTACKER)

    colleague = Client()
    assert log_in(colleague, "colleague", ip=ATTACKER).status_code == 302
    assert is_logged_in(colleague)


def test_a_successful_login_resets_the_count_of_failures(client, translator):
    fail(client, "translator", 4)
    assert log_in(client, "translator", ip=ATTACKER).status_code == 302
    assert not AccessAttempt.objects.filter(username="translator").exists()
    client.post(reverse("logout"))

    assert fail(client, "translator", 4) == [200] * 4


def test_the_lock_lifts_after_the_cool_off(client, translator):
    fail(client, "translator", 5)
    assert log_in(client, "translator", ip=ATTACKER).status_code == 429

    # As if the last attempt had been made just over 15 minutes ago.
    AccessAttempt.objects.filter(username="translator").update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert log_in(client, "translator", ip=ATTACKER).status_code == 302


def test_behind_a_proxy_the_lock_follows_the_address_the_proxy_saw(client, translator, settings):
    """The client writes whatever it likes at the left of X-Forwarded-For; only
    the entry the proxy appended counts, so rotating fake entries gains nothing."""
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": "translator", "password": "nope"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}",
        )
    assert AccessAttempt.objects.get(username="translator").ip_address == ATTACKER
    refused = client.post(
        reverse("login"),
        {"username": "translator", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}",
    )
    assert refused.status_code == 429
    # Someone else behind the same proxy is not caught by the lock.
    owner = Client()
    response = owner.post(
        reverse("login"),
        {"username": "translator", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=OFFICE,
    )
    assert response.status_code == 302


def test_throttling_is_configured_from_the_environment():
    defaults = production_settings("AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME", "AXES_LOCKOUT_PARAMETERS", "AUTHENTICATION_BACKENDS")
    assert defaults["AXES_FAILURE_LIMIT"] == 5
    assert defaults["AXES_COOLOFF_TIME"] == "0:15:00"
    assert defaults["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]
    assert defaults["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"

    chosen = production_settings("AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME", AXES_FAILURE_LIMIT="3", AXES_COOLOFF_MINUTES="60")
    assert chosen == {"AXES_FAILURE_LIMIT": 3, "AXES_COOLOFF_TIME": "1:00:00"}


# --- changing a password ----------------------------------------------------------


def test_the_user_menu_links_to_the_password_change_page(client, translator):
    client.force_login(translator)
    assert f'href="{reverse("password_change")}"' in client.get(reverse("home")).content.decode()
    page = client.get(reverse("password_change")).content.decode()
    assert 'name="old_password"' in page and 'name="new_password1"' in page and 'name="new_password2"' in page
    assert "form-control" in page  # crispy / Bootstrap, like the login page


def change_password(client, old=PASSWORD, new=NEW_PASSWORD):
    return client.post(
        reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_changing_the_password_logs_out_every_other_session_and_keeps_this_one(translator):
    laptop, phone = Client(), Client()
    assert log_in(laptop, "translator").status_code == 302
    assert log_in(phone, "translator").status_code == 302
    assert phone.get(reverse("home")).status_code == 200

    response = change_password(laptop)

    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert "Password changed" in laptop.get(reverse("password_change_done")).content.decode()
    assert laptop.get(reverse("home")).status_code == 200
    refused = phone.get(reverse("home"))
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("login"))
    assert log_in(Client(), "translator", NEW_PASSWORD).status_code == 302
    assert log_in(Client(), "translator", PASSWORD).status_code == 200


def assert_only_the_old_sessions_are_gone(victim_client, admin_client):
    refused = victim_client.get(reverse("home"))
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("login"))
    assert admin_client.get(reverse("admin:index")).status_code == 200


def test_an_admin_setting_a_password_logs_the_users_sessions_out(translator, admin_user):
    victim = Client()
    victim.force_login(translator)
    admin = Client()
    admin.force_login(admin_user)

    response = admin.post(
        reverse("admin:auth_user_password_change", args=[translator.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert_only_the_old_sessions_are_gone(victim, admin)


def test_the_changepassword_command_logs_the_users_sessions_out(translator, admin_user, monkeypatch):
    victim = Client()
    victim.force_login(translator)
    admin = Client()
    admin.force_login(admin_user)
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": NEW_PASSWORD)

    call_command("changepassword", "translator", stdout=StringIO())

    assert_only_the_old_sessions_are_gone(victim, admin)


@pytest.mark.parametrize(
    ("weak", "message"),
    [
        ("Ab3$xyz", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("4071998265143", "This password is entirely numeric."),
        ("translator-1", "The password is too similar to the username."),
    ],
)
def test_the_change_page_refuses_a_weak_password_and_says_why(client, translator, weak, message):
    client.force_login(translator)

    response = change_password(client, new=weak)

    assert response.status_code == 200
    assert message in response.content.decode()
    translator.refresh_from_db()
    assert translator.check_password(PASSWORD)


def test_the_change_page_wants_the_current_password(client, translator):
    client.force_login(translator)
    response = change_password(client, old="a guess at it")
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()


def test_production_hashes_passwords_with_argon2():
    result = in_production(
        """
        from django.conf import settings
        from django.contrib.auth.hashers import make_password
        print(settings.PASSWORD_HASHERS[0])
        print(make_password("a password to hash").split("$")[0])
        """
    )
    assert result.stdout.split() == ["django.contrib.auth.hashers.Argon2PasswordHasher", "argon2"]


def test_production_validates_passwords_for_length_commonness_digits_and_similarity():
    names = [v["NAME"].rsplit(".", 1)[1] for v in production_settings("AUTH_PASSWORD_VALIDATORS")["AUTH_PASSWORD_VALIDATORS"]]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]


# --- session lifetime ---------------------------------------------------------------


def test_a_login_lasts_twelve_hours(client, translator):
    assert production_settings("SESSION_COOKIE_AGE")["SESSION_COOKIE_AGE"] == 12 * 3600
    before = timezone.now()

    log_in(client, "translator")

    session = SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    expires = session.get_expiry_date()
    assert before + timedelta(hours=12) <= expires <= timezone.now() + timedelta(hours=12)


def test_a_session_past_its_lifetime_is_refused_and_sent_to_login(client, translator):
    log_in(client, "translator")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    # The session as it stands 12 hours and a minute after the login.
    session = SessionStore(session_key=key)
    session.set_expiry(timezone.now() - timedelta(minutes=1))
    session.save()

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    call_command("clearsessions")
    assert not SessionStore().exists(key)


# --- the admin -----------------------------------------------------------------------


def test_a_signed_in_user_who_is_not_staff_is_sent_to_the_admin_login(client, translator):
    client.force_login(translator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 302


def test_an_active_staff_user_reaches_the_admin_and_an_inactive_one_does_not(client, db):
    staff = UserFactory(username="staffer", is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200

    staff.is_active = False
    staff.save()
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_the_admin_login_is_throttled_too(client, admin_user):
    admin_login = reverse("admin:login")
    assert fail(client, "siteadmin", 4, url=admin_login) == [200] * 4
    assert log_in(client, "siteadmin", "wrong again", ip=ATTACKER, url=admin_login).status_code == 429
    assert log_in(client, "siteadmin", ip=ATTACKER, url=admin_login).status_code == 429
    assert client.get(reverse("admin:index")).status_code == 302


# --- security events in the log ---------------------------------------------------------


def test_a_failed_login_logs_the_username_and_address_but_never_the_password(client, translator, caplog):
    secret = "Tr0ub4dor&3-not-for-logs"
    with caplog.at_level(logging.INFO):
        log_in(client, "translator", secret, ip=ATTACKER)

    [record] = security_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"login failed: username='translator' ip={ATTACKER} path='/accounts/login/'"
    assert secret not in caplog.text
    assert all(secret not in str(record.args) for record in caplog.records)


def test_a_username_cannot_forge_a_log_line(client, db, caplog):
    with caplog.at_level(logging.INFO):
        log_in(client, "mallory\n2026-01-01 INFO interlinear.security login: user_id=1", "x")
    [line] = security_lines(caplog)
    assert "\n" not in line and line.startswith("login failed: username='mallory\\n2026")


def test_a_lockout_is_logged(client, translator, caplog):
    with caplog.at_level(logging.INFO):
        fail(client, "translator", 5)
    assert f"login locked out: username='translator' ip={ATTACKER} path='/accounts/login/'" in security_lines(caplog)
    [lockout] = [r for r in security_records(caplog) if "locked out" in r.getMessage()]
    assert lockout.levelno == logging.WARNING


def test_logins_and_logouts_are_logged(client, translator, caplog):
    with caplog.at_level(logging.INFO):
        log_in(client, "translator", ip=OFFICE)
        client.post(reverse("logout"), REMOTE_ADDR=OFFICE)
    assert security_lines(caplog) == [
        f"login: user_id={translator.pk} username='translator' ip={OFFICE}",
        f"logout: user_id={translator.pk} ip={OFFICE}",
    ]
    assert all(r.levelno == logging.INFO for r in security_records(caplog))


def test_a_password_change_is_logged_with_who_made_it_and_without_the_password(client, translator, admin_user, caplog):
    client.force_login(translator)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        change_password(client)
    assert security_lines(caplog) == [
        f"password changed: user_id={translator.pk} username='translator' by_user_id={translator.pk} ip=127.0.0.1"
    ]

    admin = Client()
    admin.force_login(admin_user)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        admin.post(
            reverse("admin:auth_user_password_change", args=[translator.pk]),
            {"password1": "another-" + NEW_PASSWORD, "password2": "another-" + NEW_PASSWORD, "usable_password": "true"},
        )
    assert f"password changed: user_id={translator.pk} username='translator' by_user_id={admin_user.pk} ip=127.0.0.1" in (
        security_lines(caplog)
    )
    assert NEW_PASSWORD not in caplog.text and PASSWORD not in caplog.text


def test_a_hash_upgrade_at_login_is_not_logged_as_a_password_change(client, translator, settings, caplog):
    # The test settings hash with MD5 only; listing PBKDF2 first makes the login re-hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", *settings.PASSWORD_HASHERS]
    with caplog.at_level(logging.INFO):
        log_in(client, "translator")
    translator.refresh_from_db()
    assert translator.password.startswith("pbkdf2_sha256$")
    assert not [line for line in security_lines(caplog) if line.startswith("password changed")]


def test_a_refused_action_is_logged_with_user_path_and_project(client, project, document, people, caplog):
    client.force_login(people["translator"])
    path = reverse("document_edit", args=[project.slug, document.pk])
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert client.get(path).status_code == 403
    [record] = security_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        f"access refused: status=403 user_id={people['translator'].pk} path={path!r} project='recovered-notes' reason="
    )


def test_a_non_member_asking_for_a_project_is_logged_but_an_unknown_project_is_not(client, project, people, caplog):
    client.force_login(people["outsider"])
    path = reverse("project_dashboard", args=[project.slug])
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert client.get(path).status_code == 404
        assert client.get(reverse("project_dashboard", args=["no-such-project"])).status_code == 404
    [record] = security_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"access refused: status=404 user_id={people['outsider'].pk} path={path!r} "
        "project='recovered-notes' reason='not a member'"
    )


def test_a_non_member_deciding_from_the_review_queue_is_logged(client, project, segment, people, caplog):
    from translations import services

    translation = services.translation_create(segment=segment, user=people["translator"], language="en", text="T")
    client.force_login(people["outsider"])
    with caplog.at_level(logging.INFO):
        response = client.post(reverse("review_decide", args=[translation.pk]), {"decision": "approve", "version": "1"})
    assert response.status_code == 404
    assert [line for line in security_lines(caplog) if "status=404" in line and "'recovered-notes'" in line]


def test_security_events_reach_the_console_even_when_the_log_level_is_raised():
    result = in_production(
        """
        import logging
        logging.getLogger("interlinear.security").info("probe event")
        logging.getLogger("interlinear.other").info("not shown")
        """,
        LOG_LEVEL="WARNING",
    )
    assert "INFO interlinear.security probe event" in result.stderr
    assert "not shown" not in result.stderr

import pytest

from tests.factories import UserFactory, make_document, make_project
from translations.models import Role


@pytest.fixture(autouse=True)
def _fast_passwords_and_media(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """API rate-limit counts live in the cache, keyed by token id; ids repeat from test to
    test as transactions roll back, so a count must not outlive its test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    return UserFactory(username="siteadmin", is_staff=True, is_superuser=True)


@pytest.fixture
def people(db):
    """One user per role, plus an outsider who belongs to no project."""
    return {
        name: UserFactory(username=name)
        for name in ("translator", "translator2", "reviewer", "reviewer2", "manager", "auditor", "outsider")
    }


@pytest.fixture
def project(admin_user, people):
    return make_project(
        admin_user,
        slug="recovered-notes",
        members={
            people["translator"]: Role.TRANSLATOR,
            people["translator2"]: Role.TRANSLATOR,
            people["reviewer"]: Role.REVIEWER,
            people["reviewer2"]: Role.REVIEWER,
            people["manager"]: Role.MANAGER,
            people["auditor"]: Role.AUDITOR,
        },
    )


@pytest.fixture
def document(project, people):
    return make_document(project, people["manager"])


@pytest.fixture
def segment(document):
    return document.segments.order_by("position").first()

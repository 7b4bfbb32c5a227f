"""Test data. Users come from factory_boy; tracked material is made through the
services, as a real user would make it, so tests never create state that the
application itself could not."""

import factory
from django.contrib.auth import get_user_model

from translations import services


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_project(admin, *, slug="project", members=None, **policy):
    project = services.project_create(
        user=admin,
        name=slug.replace("-", " ").title(),
        slug=slug,
        source_language="ko",
        target_languages=["en"],
        **policy,
    )
    for member, role in (members or {}).items():
        services.membership_set(project=project, user=admin, member=member, role=role)
    return project


def make_document(project, user, *, title="Notebook", lines=("첫째 줄이다.", "둘째 줄이다.", "셋째 줄이다.")):
    document = services.document_create(project=project, user=user, title=title)
    services.segments_append_from_text(document=document, user=user, text="\n".join(lines))
    return document


"""Who a management command acts as, so its changes are attributed in history."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from ..history import system_user


def add_actor_argument(parser):
    parser.add_argument(
        "--user",
        dest="actor",
        help="Username to record in history as the author of the changes "
        "(default: the named system account).",
    )


def resolve_actor(options):
    username = options.get("actor")
    if not username:
        return system_user()
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No user named {username!r}.") from None

"""Path converters for the app's addresses.

`<id:...>` instead of Django's `<int:...>`: an id of at most 18 digits always fits a
64-bit primary key, so a guessed address like /p/x/s/10000000000000000000000000000/
is simply not found (404) instead of reaching the database, where SQLite refuses the
parameter and PostgreSQL an out-of-range bigint.
"""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


def register() -> None:
    register_converter(IdConverter, "id")

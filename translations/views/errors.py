"""The 500 handler: a lost database is a 503, not a server error.

Most pages first touch the database in middleware (the session, the user),
before any view runs, so ``DatabaseUnavailableMiddleware.process_exception``
never sees those failures; Django hands them to this handler instead.
"""

import sys

from django.views.defaults import server_error as default_server_error

from ..middleware import DATABASE_UNAVAILABLE, database_unavailable_response


def server_error(request, template_name="500.html"):
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE):
        return database_unavailable_response(request, error)
    return default_server_error(request, template_name=template_name)

"""The REST API (``/api/v1/``): the same services, selectors and permissions as the
web views, behind token or session authentication.

``auth`` (tokens, rate limits), ``errors`` (one error shape), ``base`` (project
scoping through ``translations.views.access``, cursor pagination), ``schema``
(OpenAPI documentation of both) are shared; each resource module is a thin layer
of serializers and views over a service or selector.
"""

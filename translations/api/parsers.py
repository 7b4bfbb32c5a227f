"""Request body parsers (their own module: DRF's APIView reads the default parsers
while it is being imported, as it does the paginator)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 for a body nested deeper than Python's
    decoder recurses (``[[[[…]]]]`` about 10 000 deep: 20 kB), which DRF lets through as a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None

"""Where a webhook may send: http(s), no credentials, public addresses only.

Checked when a hook is saved (``checked_url``) and again when each connection
is made: the socket connects to the very address that was just checked, so a
DNS answer that changes in between (rebinding) cannot point a delivery at the
internal network. ``settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` (default off;
tests and closed intranets turn it on) lifts the public-address rule.
"""

import http.client
import ipaddress
import os
import socket
import ssl
import threading
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from translations.exceptions import DomainError

MAX_URL_LENGTH = 500


class WebhookAddressRefused(DomainError):
    """The address is not one Interlinear will send project material to."""


def _private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False))


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64 or ip in _IPV4_COMPATIBLE:
            # IPv4 inside IPv6 (a NAT64 gateway would reach it): judge the IPv4 address.
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo's stream answers, refused whole if any of them is not public."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise WebhookAddressRefused(f"The host {host} cannot be resolved.") from None
    if not _private_allowed() and not all(_is_public(sockaddr[0]) for *_, sockaddr in answers):
        raise WebhookAddressRefused(
            f"{host} leads to a private, loopback or link-local address; webhooks go to public addresses only."
        )
    return answers


def checked_url(url, *, resolve: bool = True) -> str:
    """The address cleaned, or WebhookAddressRefused saying why not. `resolve`:
    also check where its host leads now (sending checks that at connection time)."""
    url = url.strip() if isinstance(url, str) else ""
    if not url:
        raise WebhookAddressRefused("Give the address to send events to.")
    if len(url) > MAX_URL_LENGTH:
        raise WebhookAddressRefused(f"The address is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise WebhookAddressRefused("The address contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise WebhookAddressRefused("The address is not a valid URL.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise WebhookAddressRefused("Only http:// and https:// addresses can receive webhooks.")
    if "@" in parts.netloc:
        raise WebhookAddressRefused("Put no user name or password in the address; verify the signature instead.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise WebhookAddressRefused("The address is not a valid URL.") from None
    if resolve and not _private_allowed():
        _resolve(parts.hostname, port)
    return url


_sending = threading.local()


@contextmanager
def deadline(seconds: float):
    """Cut every connection this thread opens inside the block once `seconds` have passed.

    The per-read timeout alone does not bound a send: a receiver that answers one byte
    every few seconds would hold the sender (and with it every project's deliveries)
    for as long as it likes. The connection is shut down through a duplicate of its
    descriptor, which also reaches a socket that TLS has since wrapped."""
    descriptors: list[int] = []
    _sending.descriptors = descriptors

    def cut():
        for fd in list(descriptors):
            try:
                with socket.socket(fileno=os.dup(fd)) as duplicate:
                    duplicate.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        _sending.descriptors = None


def _connect(host: str, port: int, timeout) -> socket.socket:
    """A socket to `host`, connected to an address checked here, at connection time."""
    error = None
    for family, kind, protocol, _, sockaddr in _resolve(host, port):
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            watched = getattr(_sending, "descriptors", None)
            if watched is not None:
                watched.append(sock.fileno())
            return sock
        except OSError as refused:
            sock.close()
            error = refused
    raise error or OSError(f"No address for {host}.")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = _connect(self.host, self.port, self.timeout)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        sock = _connect(self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, recorded as a failure; following it could lead anywhere."""

    def redirect_request(self, *args, **kwargs):
        return None


def opener() -> urllib.request.OpenerDirector:
    """http(s) only, no proxies from the environment, no redirects."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        _HTTPHandler(), _HTTPSHandler(context=ssl.create_default_context()), _NoRedirects(),
        urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor(), urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener

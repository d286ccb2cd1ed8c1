"""Fetch web pages and feeds without letting a link reach where it must not.

Every connection goes through :class:`GuardedTransport`: the host name is
resolved once, every address it resolves to must be public (no loopback,
link-local, private, shared or reserved range) unless private addresses are
allowed (SUMMITBOT_FETCH_ALLOW_PRIVATE, for tests and intranets), and the
connection is made to the address that was checked, so a second lookup cannot
swap in another. httpx sends each redirect hop through the same transport, so
every hop is checked again. Responses are streamed and cut off at a size cap
and a total time limit; only ``http``/``https`` links and the content types a
caller accepts are read. Every refusal is a :class:`FetchError` with one line
saying why.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from types import TracebackType

import httpx

from index.sources.errors import FetchError

logger = logging.getLogger(__name__)

USER_AGENT = "summitbot/0.1 (news question answering bot)"
SCHEMES = ("http", "https")
MAX_BYTES = 5_000_000  # the longest news page we met is under 2 MB with its markup
MAX_REDIRECTS = 5
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 15.0
TOTAL_TIMEOUT_SECONDS = 30.0  # a server dripping bytes under the read timeout is cut off here
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    *PAGE_TYPES,  # many sites serve feeds as text/html or text/plain; the feed parser decides
)
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetcher."""

    allow_private: bool = False
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    read_timeout: float = READ_TIMEOUT_SECONDS
    total_timeout: float = TOTAL_TIMEOUT_SECONDS


@dataclass(frozen=True)
class Fetched:
    """A response that passed every check."""

    url: str  # as asked
    final_url: str  # after redirects
    media_type: str  # "text/html", without parameters
    charset: str | None  # as declared in the Content-Type header, if it was
    body: bytes

    def text(self) -> str:
        """The body as text: the declared charset, else UTF-8 (undecodable bytes replaced)."""
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            return self.body.decode("utf-8", errors="replace")


def describe_size(size: int) -> str:
    """``5_000_000`` → ``"5 MB"``."""
    return f"{size / 1_000_000:g} MB"


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet (not loopback, private, link-local, reserved …)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve_checked(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to for ``host``; refuses a host any of whose addresses is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"cannot find the host {host}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    if not addresses:
        raise FetchError(f"cannot find the host {host}")
    if not allow_private:
        blocked = [address for address in addresses if not is_public(address)]
        if blocked:
            raise FetchError(
                f"{host} is a local or private address ({blocked[0]}); only public web sites can be fetched"
            )
    return str(addresses[0])


class GuardedTransport(httpx.BaseTransport):
    """An HTTP transport that connects only to checked addresses (one check per request, redirects included)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpx.HTTPTransport(trust_env=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Check the request's host, pin the connection to the checked address, send it."""
        url = request.url
        if url.scheme not in SCHEMES:
            raise FetchError(f"only http and https links can be fetched, not {url.scheme}")
        host = url.host
        address = resolve_checked(host, url.port or DEFAULT_PORTS[url.scheme], self.allow_private)
        # The Host header keeps the name; TLS verifies the certificate against it (sni_hostname).
        # The caller's request keeps the name too, so redirects and the final URL read as the site's.
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=address),
            headers=request.headers,
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
        return self._inner.handle_request(pinned)

    def close(self) -> None:
        self._inner.close()


def media_type_of(response: httpx.Response) -> str:
    """The response's media type, lower case, without parameters ("" when missing)."""
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def check_url(url: str) -> httpx.URL:
    """A parsed http(s) URL with a host, or a FetchError saying what is wrong with it."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError):
        raise FetchError(f"{url!r} is not a web address") from None
    if parsed.scheme not in SCHEMES:
        raise FetchError(f"only http and https links can be fetched, not {url!r}")
    if not parsed.host:
        raise FetchError(f"{url!r} has no host name")
    return parsed


class Fetcher:
    """Fetches pages and feeds under a :class:`FetchPolicy`; reuse one for a batch, then close it."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        timeout = httpx.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout)
        self._client = httpx.Client(
            transport=GuardedTransport(self.policy.allow_private),
            follow_redirects=True,
            max_redirects=self.policy.max_redirects,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
        )

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def fetch(self, url: str, accepted: tuple[str, ...] = PAGE_TYPES) -> Fetched:
        """GET ``url`` with every check; raises :class:`FetchError` with the reason it was refused."""
        check_url(url)
        try:
            with self._client.stream("GET", url.strip()) as response:
                return self._read(url, response, accepted)
        except httpx.TooManyRedirects:
            raise FetchError(f"{url} redirects too many times (more than {self.policy.max_redirects})") from None
        except httpx.TimeoutException:
            raise FetchError(f"{url} did not answer in time") from None
        except httpx.UnsupportedProtocol:
            raise FetchError(f"{url} redirects to something that is not an http or https link") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}") from None

    def _read(self, url: str, response: httpx.Response, accepted: tuple[str, ...]) -> Fetched:
        if response.status_code >= 400:
            raise FetchError(
                f"{url} answered {response.status_code} {response.reason_phrase}".rstrip(), response.status_code
            )
        media_type = media_type_of(response)
        if media_type not in accepted:
            shown = media_type or "of no declared type"
            raise FetchError(f"{url} is {shown}, not a web page: only HTML and plain text can be read")
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{url} is {describe_size(int(declared))}; the limit is {describe_size(limit)}")
        deadline = time.monotonic() + self.policy.total_timeout
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(f"{url} is larger than {describe_size(limit)}, the limit")
            if time.monotonic() > deadline:
                raise FetchError(f"{url} took longer than {self.policy.total_timeout:g} s to arrive")
            chunks.append(chunk)
        logger.debug("Fetched %s (%s, %d bytes)", url, media_type, size)
        return Fetched(
            url=url,
            final_url=str(response.url),
            media_type=media_type,
            charset=response.charset_encoding,
            body=b"".join(chunks),
        )

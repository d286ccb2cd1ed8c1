"""The safe fetcher against a local site: what it reads, and every way a link is refused with one line."""

from __future__ import annotations

import ipaddress
import re

import pytest

from index.sources import web
from index.sources.errors import FetchError
from index.sources.web import Fetcher, FetchPolicy
from news_site import NewsSite

LOCAL = FetchPolicy(allow_private=True)
QUICK = FetchPolicy(allow_private=True, read_timeout=0.5, connect_timeout=2)


@pytest.fixture(scope="module")
def site():
    with NewsSite() as running:
        yield running


@pytest.fixture
def fetcher():
    with Fetcher(LOCAL) as opened:
        yield opened


def test_a_news_page_is_read_with_its_type_and_final_address(site, fetcher):
    page = fetcher.fetch(site.url("/moved/2018/09/turkey-reinforces-idlib-posts"))
    assert page.media_type == "text/html" and page.charset == "utf-8"
    assert page.final_url == site.url("/2018/09/turkey-reinforces-idlib-posts")
    assert "Murat Kaya" in page.text()


def test_a_charset_declared_only_in_the_header_is_used(site, fetcher):
    page = fetcher.fetch(site.url("/2018/09/hatay-braces-for-arrivals"))
    assert page.charset == "windows-1254"
    assert "Ayşe Güler" in page.text() and "“İstanbul" in page.text()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "answered 404 Not Found"),
        ("/broken", "answered 500 Internal Server Error"),
        ("/loop", "redirects too many times"),
        ("/report.pdf", "is application/pdf, not a web page"),
        ("/feeds/world.rss", "is application/rss+xml, not a web page"),
    ],
)
def test_misbehaving_pages_are_refused_with_one_line(site, fetcher, path, reason):
    with pytest.raises(FetchError, match=re.escape(reason)) as refused:
        fetcher.fetch(site.url(path))
    assert "\n" not in str(refused.value)


def test_a_50_mb_body_is_cut_off_at_the_cap_without_reading_it_all(site, fetcher):
    with pytest.raises(FetchError, match="larger than 5 MB"):
        fetcher.fetch(site.url("/huge"))


def test_a_page_that_never_arrives_times_out(site):
    with Fetcher(QUICK) as quick, pytest.raises(FetchError, match="did not answer in time"):
        quick.fetch(site.url("/slow"))


@pytest.mark.parametrize("url", ["ftp://example.org/file.txt", "file:///etc/passwd", "javascript:alert(1)", "not a link"])
def test_only_http_and_https_links(fetcher, url):
    with pytest.raises(FetchError, match="only http and https|not a web address|no host"):
        fetcher.fetch(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://localhost:9/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://[::1]:9/",
        "http://[::ffff:127.0.0.1]:9/",
        "http://0.0.0.0:9/",
    ],
)
def test_local_and_private_addresses_are_refused_by_default(url):
    with Fetcher() as guarded, pytest.raises(FetchError, match="local or private address"):
        guarded.fetch(url)


def test_the_site_itself_is_refused_without_the_allow_private_setting(site):
    with Fetcher() as guarded, pytest.raises(FetchError, match="local or private address"):
        guarded.fetch(site.url("/2018/09/turkey-reinforces-idlib-posts"))


def test_every_redirect_hop_is_checked_again(site, monkeypatch):
    """A public page that redirects to the machine's own services is refused at the hop."""
    real = web.socket.getaddrinfo
    names = {"news.test": "127.0.0.1", "intranet.test": "127.0.0.2"}

    def resolve(host, *args, **kwargs):
        return real(names.get(host, host), *args, **kwargs)

    # For this test 127.0.0.1 plays a public address; 127.0.0.2 stays local.
    monkeypatch.setattr(web.socket, "getaddrinfo", resolve)
    monkeypatch.setattr(web, "is_public", lambda address: address == ipaddress.ip_address("127.0.0.1"))
    port = site.base_url.rsplit(":", 1)[1]
    with Fetcher() as guarded:
        page = guarded.fetch(f"http://news.test:{port}/2018/09/russia-turkey-agree-sochi-talks")
        assert "Irina Sokolova" in page.text()
        with pytest.raises(FetchError, match="intranet.test is a local or private address"):
            guarded.fetch(f"http://news.test:{port}/go?to=http://intranet.test:{port}/secret")

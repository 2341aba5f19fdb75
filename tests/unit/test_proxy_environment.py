"""One reading of the proxy environment: `environment_proxies` reads a mapping as httpx reads
`os.environ`, and `check_environment` (at `pulumi preview`) judges the proxies the real clients
will use, built the same way.

httpx itself is the reference here (its `get_environment_proxies` over the same variables), never
a stand-in for it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx._utils import get_environment_proxies  # the reference: what the real clients read

from ddm_resources.errors import ConfigurationError
from ddm_resources.http_options import HttpOptions, environment_proxies
from ddm_resources.settings import resolve_settings
from tests.local_tls import make_cert

READY = {"OS_TOKEN": "t", "OS_PROJECT_ID": "p"}
BAD = "ftp://user:proxy-pass@bad.test:21"  # a scheme httpx refuses; the password must never be shown
GOOD = "http://127.0.0.1:3128"


# environment -> {URL pattern: (variable, proxy URL or None)} that httpx makes of it
CASES: list[tuple[dict[str, str], dict[str, tuple[str, str | None]]]] = [
    ({"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"}, {"https://": ("https_proxy", "http://lower:2")}),
    ({"https_proxy": "http://lower:2", "HTTPS_PROXY": "http://upper:1"}, {"https://": ("https_proxy", "http://lower:2")}),
    ({"HTTPS_PROXY": "http://upper:1", "https_proxy": ""}, {}),  # an empty lower-case name unsets it
    ({"Https_Proxy": "http://mixed:3"}, {"https://": ("Https_Proxy", "http://mixed:3")}),
    ({"HTTP_PROXY": "bare:3128"}, {"http://": ("HTTP_PROXY", "http://bare:3128")}),
    ({"HTTP_PROXY": "http://cgi:1", "REQUEST_METHOD": "GET"}, {}),  # urllib's CGI rule
    ({"HTTP_PROXY": "http://cgi:1", "http_proxy": "http://lower:2", "REQUEST_METHOD": "GET"},
     {"http://": ("http_proxy", "http://lower:2")}),
    ({"ALL_PROXY": "socks5://s:1080", "NO_PROXY": "localhost, 127.0.0.1,::1,.example.com,example.org,http://x.test"},
     {"all://": ("ALL_PROXY", "socks5://s:1080"), "all://localhost": ("NO_PROXY", None),
      "all://127.0.0.1": ("NO_PROXY", None), "all://[::1]": ("NO_PROXY", None),
      "all://*.example.com": ("NO_PROXY", None), "all://*example.org": ("NO_PROXY", None),
      "http://x.test": ("NO_PROXY", None)}),
    ({"HTTPS_PROXY": "http://upper:1", "no_proxy": "a.test, *", "NO_PROXY": "b.test"}, {}),  # `*`: no proxy at all
]


@pytest.mark.parametrize("env, expected", CASES)
def test_environment_proxies_read_a_mapping_as_httpx_reads_the_environment(clean_env, env, expected):
    """Lower-case names win, an empty one unsets, `HTTP_PROXY` is ignored under CGI, `NO_PROXY`
    makes httpx's patterns: the same mounts as httpx's own reading of the same variables."""
    for name, value in env.items():
        clean_env.setenv(name, value)
    found = environment_proxies(env)
    assert {pattern: (m.variable, m.url) for pattern, m in found.items()} == expected
    assert {pattern: m.url for pattern, m in found.items()} == get_environment_proxies()


@pytest.mark.parametrize("env, refused", [
    ({"HTTPS_PROXY": BAD, "https_proxy": GOOD}, None),            # httpx uses https_proxy
    ({"HTTPS_PROXY": GOOD, "https_proxy": BAD}, "https_proxy"),
    ({"HTTPS_PROXY": BAD, "https_proxy": ""}, None),              # unset by the empty lower-case name
    ({"HTTP_PROXY": BAD, "REQUEST_METHOD": "GET"}, None),         # ignored under CGI
    ({"HTTPS_PROXY": BAD, "NO_PROXY": "*"}, None),                # no proxy at all
    ({"Https_Proxy": BAD}, "Https_Proxy"),                        # any case counts
    ({"ALL_PROXY": GOOD, "all_proxy": BAD}, "all_proxy"),
])
def test_the_settings_check_judges_the_variable_httpx_uses(env, refused):
    if refused is None:
        assert resolve_settings(lambda key: None, {**READY, **env}).http.verify
        return
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(lambda key: None, {**READY, **env})
    text = str(info.value)
    assert text.startswith(f"{refused} is not a proxy URL httpx supports") and "proxy-pass" not in text
    assert [name for name in env if name != refused and name in text] == []


def test_a_client_that_cannot_be_set_up_names_only_the_variables_httpx_uses():
    """An unparsable `NO_PROXY` entry breaks the client: the message names it and the proxy used,
    not the upper-case twin httpx ignores."""
    env = {**READY, "HTTPS_PROXY": GOOD, "https_proxy": GOOD, "no_proxy": "example.com,:bad"}
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(lambda key: None, env)
    assert str(info.value).startswith("the HTTP client cannot be set up from https_proxy, no_proxy: ")


def _mounts(kwargs: dict[str, Any]) -> dict[str, Any]:
    """{pattern: None, or (proxy URL, context of the TLS to the proxy, context to the endpoint)}
    of the `httpx.Client` made with `kwargs` (httpx and httpcore keep these private)."""
    with httpx.Client(**kwargs) as client:
        return {str(pattern.pattern): None if transport is None else (
            bytes(transport._pool._proxy_url).decode(), getattr(transport._pool, "_proxy_ssl_context", None),
            transport._pool._ssl_context) for pattern, transport in client._mounts.items()}


@pytest.mark.parametrize("env, tls_proxies", [
    ({"HTTPS_PROXY": "https://upper.test:1", "https_proxy": "https://lower.test:2", "HTTP_PROXY": "plain.test:3",
      "NO_PROXY": "127.0.0.1,.example.com"}, ["https://lower.test:2/"]),
    ({"ALL_PROXY": "socks5://s.test:1080", "http_proxy": "https://h.test:4", "HTTP_PROXY": "http://cgi.test:5",
      "REQUEST_METHOD": "GET"}, ["https://h.test:4/"]),
    ({"HTTPS_PROXY": "https://upper.test:1", "no_proxy": "*"}, []),
])
def test_the_checked_client_has_the_mounts_of_the_real_ones(clean_env, tmp_path: Path, env, tls_proxies):
    """For the same environment, `client_kwargs` for os.environ (httpx reads it, an https:// proxy's
    transport is ours) and for `environment_proxies` of a copy of it (what the check builds) give
    the same mounts: patterns, proxy URLs, and the configured CA for the TLS to an https:// proxy."""
    for name, value in env.items():
        clean_env.setenv(name, value)
    options = HttpOptions(cacert=str(make_cert(tmp_path, "ca")[0]))
    real = _mounts(options.client_kwargs())
    assert real == _mounts(options.client_kwargs(proxies=environment_proxies(dict(os.environ))))
    over_tls = {mount[0]: mount[1] for mount in real.values() if mount and mount[0].startswith("https://")}
    assert over_tls == dict.fromkeys(tls_proxies, options.ssl_context())

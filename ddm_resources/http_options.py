"""TLS and proxy options for the provider's `httpx.Client`s (DDM and IAM alike).

`HttpOptions` holds what the settings decided: a CA bundle (`ddm:cacert`, `OS_CACERT`,
clouds.yaml `cacert`, else `SSL_CERT_FILE`), a CA directory (`SSL_CERT_DIR`), whether to
verify certificates at all (`ddm:insecure`, `OS_INSECURE`, clouds.yaml `verify: false` or
`insecure: true`), and whether to trust the operating system's certificate store (the
`truststore` package, `pip install 'ddm-resources[truststore]'`). Proxies come from the
environment as httpx reads them (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`; read
for the clients and for the check alike by `environment_proxies`); a
proxy reached over TLS is verified with the same CA setting as the endpoint (else certifi's
bundle, also with verification off); a SOCKS proxy needs `pip install 'ddm-resources[socks]'`.
The credentials in proxy URLs are held as secrets (`hold_proxy_secrets`), so no server text shows them.

`check_environment` turns every client-setup problem into a `ConfigurationError` that names
the variable (never its value: a proxy URL may hold a password), so `pulumi preview` fails in
one line instead of a traceback.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import ipaddress
import os
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .errors import ConfigurationError
from .sanitize import hold_secret

__all__ = ["DEFAULT_HTTP_OPTIONS", "PROXY_VARIABLES", "HttpOptions", "NoProxyNetworks", "ProxyMount",
           "check_environment", "environment_proxies", "hold_proxy_secrets", "no_proxy_networks",
           "no_proxy_variable", "opens_tls"]

PROXY_VARIABLES = {key: (f"{key}_proxy", f"{key.upper()}_PROXY") for key in ("https", "http", "all", "no")}
"""The variables httpx reads for proxies (with `trust_env`, its default), by urllib's key:
(lower-case name, upper-case name). Where both are set, the lower-case one is used."""


@dataclass(frozen=True)
class ProxyMount:
    """One mount httpx makes from the environment: the variable it comes from (e.g. `https_proxy`)
    and the proxy URL, or None for a `NO_PROXY` host (connect directly)."""

    variable: str
    url: str | None


def environment_proxies(environ: Mapping[str, str]) -> dict[str, ProxyMount]:
    """The proxy mounts httpx makes from `environ`, by URL pattern in httpx's terms (`"https://"`,
    `"all://*.example.com"`), in httpx's order; empty when `NO_PROXY` holds `*`.

    The same as httpx's `get_environment_proxies` (0.27 and 0.28 alike) on POSIX, but for the
    mapping given instead of `os.environ`: `http://` is added to a bare `host:port`, and each
    `NO_PROXY` host becomes a pattern as httpx makes it. The variables are picked as
    `urllib.request.getproxies_environment` picks them (`_picked_variables`). Unlike httpx on
    macOS and Windows, the system's proxy settings are not read when no variable is set.
    """
    picked = _picked_variables(environ)
    mounts = {}
    for key in ("http", "https", "all"):
        if key in picked:
            name, value = picked[key]
            mounts[f"{key}://"] = ProxyMount(name, value if "://" in value else f"http://{value}")
    name, value = picked.get("no", ("", ""))
    for host in (host.strip() for host in value.split(",")):
        if host == "*":
            return {}
        if host and _network(host) is None:  # a network (`10.0.0.0/8`) is `no_proxy_networks`'
            mounts[_no_proxy_pattern(host)] = ProxyMount(name, None)
    return mounts


def no_proxy_networks(environ: Mapping[str, str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The address networks (CIDR entries such as `127.0.0.0/8` or `fd00::/8`) of the `NO_PROXY`
    variable that `environ` picks: a request to an address in one of them connects directly, as
    curl and requests read them. httpx reads no such entry (its pattern for it matches nothing), so
    the clients honour them themselves (`HttpOptions.client_kwargs`, `NoProxyNetworks`). Only a
    URL whose host is an address is matched (a name is not resolved to decide)."""
    _, value = _picked_variables(environ).get("no", ("", ""))
    found = (_network(host.strip()) for host in value.split(","))
    return tuple(network for network in found if network is not None)


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network a `NO_PROXY` entry such as `10.0.0.0/8` names (host bits allowed), else None."""
    if "/" not in entry or "://" in entry:
        return None
    try:
        return ipaddress.ip_network(entry.replace("[", "").replace("]", ""), strict=False)
    except ValueError:
        return None


class NoProxyNetworks(httpx.BaseTransport):
    """A proxy's transport that sends a request to an address in one of `networks` (the CIDR
    entries of `NO_PROXY`) directly instead, through `direct`."""

    def __init__(self, proxy: httpx.BaseTransport, direct: httpx.BaseTransport,
                 networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> None:
        self.proxy = proxy
        self.direct = direct
        self.networks = networks

    @property
    def transports(self) -> tuple[httpx.BaseTransport, httpx.BaseTransport]:
        """Both transports (`http_boundary.bound_client` bounds each)."""
        return self.proxy, self.direct

    def bypasses(self, url: httpx.URL) -> bool:
        """Whether a request to `url` goes directly: its host is an address in one of the networks."""
        try:
            address = ipaddress.ip_address(url.host)
        except ValueError:
            return False
        return any(address.version == network.version and address in network for network in self.networks)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return (self.direct if self.bypasses(request.url) else self.proxy).handle_request(request)

    def close(self) -> None:
        self.proxy.close()
        self.direct.close()


def hold_proxy_secrets(environ: Mapping[str, str]) -> None:
    """Hold (`sanitize.hold_secret`) the credentials of every proxy URL in `environ`: of each variable
    ending in `_proxy` (any case, set or not picked), its password as written and percent-decoded,
    `user:password` in both spellings, and the base64 of those that a `Proxy-Authorization: Basic`
    header carries. A proxy's 407 page or a CONNECT refusal that quotes them shows none."""
    _hold_proxy_urls(tuple(sorted(value for name, value in environ.items()
                                  if name.lower().endswith("_proxy") and "@" in value)))


@functools.lru_cache(maxsize=16)
def _hold_proxy_urls(values: tuple[str, ...]) -> None:
    for value in values:
        userinfo = value.split("://", 1)[-1].rpartition("@")[0]
        user, _, password = userinfo.partition(":")
        if not password:
            continue
        for user_text, password_text in ((user, password),
                                         (urllib.parse.unquote(user), urllib.parse.unquote(password))):
            pair = f"{user_text}:{password_text}"
            for secret in (password_text, pair, base64.b64encode(pair.encode()).decode()):
                hold_secret(secret)


def _picked_variables(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """{urllib key: (variable, value)} for the keys of `PROXY_VARIABLES`, picked as urllib does:
    a name ending in `_proxy` in any case counts, a set one ending in lower-case `_proxy` (e.g.
    `https_proxy`) wins, an empty one of those unsets the key, and with `REQUEST_METHOD` set (a
    CGI script) the `http` key comes only from such a name (`HTTP_PROXY` may come from a client's
    `Proxy:` header)."""
    picked: dict[str, tuple[str, str]] = {}
    for name, value in environ.items():
        if value and name.lower().endswith("_proxy"):
            picked[name.lower()[:-6]] = (name, value)
    if "REQUEST_METHOD" in environ:
        picked.pop("http", None)
    for name, value in environ.items():
        if name.endswith("_proxy"):
            if value:
                picked[name.lower()[:-6]] = (name, value)
            else:
                picked.pop(name.lower()[:-6], None)
    return {key: picked[key] for key in PROXY_VARIABLES if key in picked}


def no_proxy_variable(environ: Mapping[str, str]) -> str:
    """The variable to which a host must be added to reach it directly: `no_proxy` when it is
    present (set, even empty, it decides alone, as `_picked_variables` reads it), else `NO_PROXY`."""
    lower, upper = PROXY_VARIABLES["no"]
    return lower if lower in environ else upper


def _no_proxy_pattern(host: str) -> str:
    """httpx's mount pattern for one `NO_PROXY` entry (curl's rules: `example.com` also covers its
    subdomains, `.example.com` only those; addresses and `localhost` only themselves)."""
    if "://" in host:
        return host
    if _is_address(ipaddress.IPv4Address, host) or host.lower() == "localhost":
        return f"all://{host}"
    if _is_address(ipaddress.IPv6Address, host):
        return f"all://[{host}]"
    return f"all://*{host}"


def _is_address(kind: type[ipaddress.IPv4Address | ipaddress.IPv6Address], host: str) -> bool:
    """Whether `host` (a network like `10.0.0.0/8` counts by its address) is an address of `kind`."""
    try:
        kind(host.split("/")[0])
    except ValueError:
        return False
    return True


_SOCKS_SCHEMES = ("socks5", "socks5h", "socks4", "socks4a")


@dataclass(frozen=True)
class HttpOptions:
    """How the provider's HTTP clients verify servers. Paths are local file names."""

    cacert: str | None = None
    """A PEM bundle of CA certificates to trust instead of certifi's."""
    capath: str | None = None
    """A directory of hashed CA certificates (`SSL_CERT_DIR`), trusted besides the bundle."""
    verify: bool = True
    """False turns certificate verification off (a warning line says so)."""
    system_trust_store: bool = False
    """Trust the operating system's store (with `truststore`) instead of certifi's bundle."""

    def client_kwargs(self, *, tls: bool = True, proxies: Mapping[str, ProxyMount] | None = None) -> dict[str, Any]:
        """Keyword arguments for `httpx.Client`: `verify`, `trust_env` and maybe `mounts`.

        Proxies are those of `environment_proxies`. By default those of `os.environ`, which httpx
        reads itself (`trust_env`; so a client given its own `transport` uses none, as in httpx):
        only an `https://` proxy meeting a CA setting gets its transport here (`mounts`), whose
        TLS to the proxy trusts that CA too (httpcore would use certifi's bundle). With `proxies`
        (`check_environment`'s, read from another mapping), or when `NO_PROXY` of `os.environ` names
        networks (`no_proxy_networks`, which httpx does not read), httpx reads no environment, and
        every mount is made here as httpx makes it, with the same CA rule; each proxy's transport
        then sends a request to an address in those networks directly (`NoProxyNetworks`).

        With no CA setting and the default store the context is httpx's own default (certifi's
        bundle). `tls=False` is for a client that opens no TLS connection with its context: one
        whose base URL is plain `http://` (`opens_tls`) or one that sends nothing. It gets a
        context that trusts no certificate, so no bundle is loaded (about 35 ms of CPU each), and
        a TLS handshake through it would fail, never pass unverified.
        Raises `ConfigurationError` when a CA file cannot be loaded or `truststore` is missing;
        with `proxies`, also what httpx raises for a proxy it cannot use (e.g. `ValueError` for an
        unsupported scheme, `ImportError` for SOCKS without socksio).
        """
        hold_proxy_secrets(os.environ if proxies is None else {})
        if not tls:
            verify: ssl.SSLContext | bool = _trusting_nothing()
        elif not self.verify:
            verify = False
        elif not self._own_trust:
            verify = _default_context()
        else:
            verify = self.ssl_context()
        networks = no_proxy_networks(os.environ) if proxies is None else ()
        if proxies is not None or networks:
            mounts: dict[str, httpx.BaseTransport | None] = {
                pattern: None if mount.url is None else self._proxy_transport(verify, mount.url, networks)
                for pattern, mount in (proxies if proxies is not None else environment_proxies(os.environ)).items()}
            return {"verify": verify, "trust_env": False, "mounts": mounts}
        tls_mounts = self._tls_proxy_mounts(verify)
        return {"verify": verify, "trust_env": True, **({"mounts": tls_mounts} if tls_mounts else {})}

    @property
    def _own_trust(self) -> bool:
        """Whether a CA setting or the system store replaces certifi's bundle."""
        return bool(self.cacert or self.capath or self.system_trust_store)

    def _tls_proxy_mounts(self, verify: ssl.SSLContext | bool) -> dict[str, httpx.BaseTransport | None]:
        """With a CA setting: the transports of the `https://` proxies of `os.environ`. They replace
        httpx's own for the same pattern; the other mounts (`NO_PROXY` too) stay httpx's."""
        if not self._own_trust:
            return {}
        mounts: dict[str, httpx.BaseTransport | None] = {}
        for pattern, mount in environment_proxies(os.environ).items():
            if mount.url and mount.url.lower().startswith("https://"):
                try:
                    mounts[pattern] = self._proxy_transport(verify, mount.url)
                except Exception:  # a bad URL: httpx refuses it itself, and `check_environment` names the variable
                    continue
        return mounts

    def _proxy_transport(self, verify: ssl.SSLContext | bool, url: str,
                         networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
                         ) -> httpx.BaseTransport:
        """The transport httpx makes for the proxy at `url`, but that the TLS to an `https://`
        proxy trusts a CA setting (or the system store) as the endpoint's does; with `networks`,
        one that connects directly to an address in them (`NoProxyNetworks`)."""
        tls_proxy = self._own_trust and url.lower().startswith("https://")
        proxy = httpx.Proxy(url, ssl_context=self.ssl_context() if tls_proxy else None)
        transport = httpx.HTTPTransport(verify=verify, proxy=proxy)
        return NoProxyNetworks(transport, httpx.HTTPTransport(verify=verify), networks) if networks else transport

    def ssl_context(self) -> ssl.SSLContext:
        """The system store (with `truststore`) plus `cacert` / `capath`, or only those two.

        Only the given bundle is trusted, as with `SSL_CERT_FILE` in httpx and OpenSSL. Made
        once per process and options (loading a bundle costs tens of milliseconds of CPU, and
        every client and settings check needs it); a failure is not remembered.
        """
        return _context_for(self)

    def _new_ssl_context(self) -> ssl.SSLContext:
        if self.system_trust_store:
            if importlib.util.find_spec("truststore") is None:
                raise ConfigurationError(
                    "ddm:systemTrustStore / DDM_SYSTEM_TRUST_STORE needs the truststore package: "
                    "pip install 'ddm-resources[truststore]'")
            import truststore

            context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        for field, path in (("cacert", self.cacert), ("capath", self.capath)):
            if not path:
                continue
            try:
                context.load_verify_locations(**{"cafile" if field == "cacert" else "capath": path})
            except (OSError, ssl.SSLError) as exc:
                raise _CaLoadError(field, path, exc) from None
        return context


class _CaLoadError(ConfigurationError):
    """A CA bundle (`field` `"cacert"`) or directory (`"capath"`) that exists but cannot be loaded:
    what it is and why, e.g. `could not load the CA bundle /x.pem: it holds no PEM certificate`.
    `check_environment` puts the setting it came from before it and says to fix or unset that."""

    def __init__(self, field: str, path: str, exc: BaseException) -> None:
        self.field = field
        reason = getattr(exc, "reason", None)
        if isinstance(exc, ssl.SSLError) and reason == "NO_CERTIFICATE_OR_CRL_FOUND":
            why = "it holds no PEM certificate"
        elif isinstance(exc, ssl.SSLError):
            why = f"it is not a bundle of PEM certificates ({type(exc).__name__}{' ' + reason if reason else ''})"
        else:
            why = f"it cannot be read ({type(exc).__name__})"
        super().__init__(f"could not load the CA {'bundle' if field == 'cacert' else 'directory'} {path}: {why}")


@functools.cache
def _context_for(options: HttpOptions) -> ssl.SSLContext:
    return options._new_ssl_context()


@functools.cache
def _default_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's bundle), made once per process: loading the
    bundle costs tens of milliseconds of CPU, and every `https://` client needs it."""
    return httpx.create_ssl_context()


@functools.cache
def _trusting_nothing() -> ssl.SSLContext:
    """A verifying TLS client context with no trusted certificate: every handshake fails."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def opens_tls(base_url: str) -> bool:
    """Whether an `httpx.Client` with `base_url` can open TLS with its own context: False only
    for a plain `http://` URL. Such a client follows no redirects, every request is a path
    under that URL, and an `https://` proxy is verified with a context of its own (`client_kwargs`)."""
    try:
        return httpx.URL(base_url).scheme != "http"
    except Exception:  # httpx raises several kinds for malformed URLs; the client will refuse it too
        return True


DEFAULT_HTTP_OPTIONS = HttpOptions()
"""httpx's defaults: certifi's bundle, verification on, proxies from the environment."""


def check_environment(environ: Mapping[str, str], options: HttpOptions, origins: Mapping[str, str],
                      *, tls: bool = True) -> None:
    """Raise `ConfigurationError` naming the setting if an HTTP client cannot be set up.

    The client checked is the one `client_kwargs` makes for the proxies of `environ` (read by
    `environment_proxies`, as httpx reads `os.environ`): only the proxy variables httpx will
    use are judged. `origins` maps `cacert` / `capath` to where the value came from (e.g.
    `OS_CACERT`). `tls` says whether any client of these settings opens TLS (`opens_tls` of its
    base URL): only then is a CA setting loaded (and a bad one refused) here, unless an
    `https://` proxy needs it; its files must exist either way. A passing check is remembered
    for the same options and proxies (it builds a client); a failing one is checked again
    every time.
    """
    hold_proxy_secrets(environ)
    proxies = tuple(environment_proxies(environ).items())
    _check(proxies, options, tuple((k, origins[k]) for k in ("cacert", "capath") if k in origins), tls)


def _ca_path_problem(field: str, path: str) -> str | None:
    """Why `path` cannot be the CA bundle (`field` `"cacert"`: a regular file) or the CA directory
    (`"capath"`), or `None`: it does not exist, or it is the other kind, or a device or a pipe (reading
    `/dev/zero` would never end)."""
    where = Path(path)
    kind = "directory" if field == "capath" else "file"
    if not where.exists():
        return f"names a CA {kind} that does not exist: {path}"
    if field == "capath":
        if where.is_dir():
            return None
        return (f"names {path} as a CA directory, but it is not a directory (a bundle file is set with "
                "ddm:cacert, OS_CACERT or SSL_CERT_FILE)")
    if where.is_file():
        return None
    if where.is_dir():
        return (f"names {path} as a CA file, but it is a directory, not a file (a directory of hashed "
                "certificates is set with SSL_CERT_DIR)")
    return f"names {path} as a CA file, but it is not a regular file (a device, a pipe or a socket)"


@functools.lru_cache(maxsize=32)
def _check(proxies: tuple[tuple[str, ProxyMount], ...], options: HttpOptions,
           origin_pairs: tuple[tuple[str, str], ...], tls: bool) -> None:
    origins = dict(origin_pairs)
    for field, path in (("cacert", options.cacert), ("capath", options.capath)):
        problem = _ca_path_problem(field, path) if path else None
        if problem is not None:
            origin = origins.get(field, field)
            raise ConfigurationError(f"{origin} {problem}; fix the path or unset {origin}")
    for _, mount in proxies:
        if mount.url is None:
            continue
        name, scheme = mount.variable, mount.url.split("://", 1)[0].lower()
        if scheme in _SOCKS_SCHEMES:
            if importlib.util.find_spec("socksio") is None:
                raise ConfigurationError(
                    f"{name} names a SOCKS proxy, which needs the socksio package: "
                    f"pip install 'ddm-resources[socks]' (or use an HTTP proxy, or unset {name})")
        elif scheme not in ("http", "https"):
            raise ConfigurationError(
                f"{name} is not a proxy URL httpx supports (http://, https://, socks5://); fix or unset it")
    variables = list(dict.fromkeys(mount.variable for _, mount in proxies))
    try:
        with httpx.Client(**options.client_kwargs(tls=tls, proxies=dict(proxies))):  # it sends nothing
            pass
    except _CaLoadError as exc:
        origin = origins.get(exc.field, exc.field)
        raise ConfigurationError(f"{origin}: {exc}; fix the path or unset {origin}") from None
    except ConfigurationError as exc:
        names = " / ".join(dict.fromkeys(origins.get(f, f) for f in ("cacert", "capath") if getattr(options, f)))
        raise ConfigurationError(f"{names or 'ddm:systemTrustStore'}: {exc}") from None
    except Exception as exc:  # httpx raises several kinds for a bad proxy URL
        raise ConfigurationError(
            f"the HTTP client cannot be set up from {', '.join(variables) or 'the TLS settings'}: "
            f"{type(exc).__name__}; fix or unset {'it' if len(variables) == 1 else 'them'}") from None

"""TLS and proxy options for the provider's `httpx.Client`s (DDM and IAM alike).

`HttpOptions` holds what the settings decided: a CA bundle (`ddm:cacert`, `OS_CACERT`,
clouds.yaml `cacert`, else `SSL_CERT_FILE`), a CA directory (`SSL_CERT_DIR`), whether to
verify certificates at all (`ddm:insecure`, `OS_INSECURE`, clouds.yaml `verify: false` or
`insecure: true`), and whether to trust the operating system's certificate store (the
`truststore` package, `pip install 'ddm-resources[truststore]'`). Proxies come from the
environment as httpx reads them (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`); a
proxy reached over TLS is verified with the same CA setting as the endpoint (else certifi's
bundle, also with verification off); a SOCKS proxy needs `pip install 'ddm-resources[socks]'`.

`check_environment` turns every client-setup problem into a `ConfigurationError` that names
the variable (never its value: a proxy URL may hold a password), so `pulumi preview` fails in
one line instead of a traceback.
"""

from __future__ import annotations

import functools
import importlib.util
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .errors import ConfigurationError

__all__ = ["DEFAULT_HTTP_OPTIONS", "PROXY_VARIABLES", "HttpOptions", "check_environment", "opens_tls"]

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
"""The proxy variables httpx reads (with `trust_env`, its default)."""

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

    def client_kwargs(self, *, tls: bool = True) -> dict[str, Any]:
        """Keyword arguments for `httpx.Client` (`verify`, `trust_env`; `mounts` when a CA setting
        meets an `https://` proxy in the environment, so that the proxy's TLS trusts it too).

        With no CA setting and the default store this is httpx's own default (certifi's bundle).
        `tls=False` is for a client that opens no TLS connection with its context: one whose base
        URL is plain `http://` (`opens_tls`) or one that sends nothing. It gets a context that
        trusts no certificate, so no bundle is loaded (about 35 ms of CPU each), and a TLS
        handshake through it would fail, never pass unverified.
        Raises `ConfigurationError` when a CA file cannot be loaded or `truststore` is missing.
        """
        if not tls:
            verify: ssl.SSLContext | bool = _trusting_nothing()
        elif not self.verify:
            verify = False
        elif not (self.cacert or self.capath or self.system_trust_store):
            return {"verify": _default_context(), "trust_env": True}
        else:
            verify = self.ssl_context()
        mounts = self._tls_proxy_mounts(verify)
        return {"verify": verify, "trust_env": True, **({"mounts": mounts} if mounts else {})}

    def _tls_proxy_mounts(self, verify: ssl.SSLContext | bool) -> dict[str, httpx.HTTPTransport]:
        """With a CA setting: transports for the `https://` proxies of the environment (read as
        httpx reads them, with `urllib.request.getproxies`) whose TLS to the proxy trusts that
        CA too; httpcore would verify the proxy with certifi's bundle. They replace httpx's own
        for the same scheme, so `NO_PROXY` still applies. Empty without a CA setting."""
        if not (self.cacert or self.capath or self.system_trust_store):
            return {}
        found = urllib.request.getproxies()
        if "*" in (host.strip() for host in found.get("no", "").split(",")):
            return {}  # httpx uses no proxy at all then
        mounts = {}
        for scheme in ("http", "https", "all"):
            url = found.get(scheme, "")
            if url.lower().startswith("https://"):
                try:
                    proxy = httpx.Proxy(url, ssl_context=self.ssl_context())
                except Exception:  # a bad URL: httpx refuses it itself, and `check_environment` names the variable
                    continue
                mounts[f"{scheme}://"] = httpx.HTTPTransport(verify=verify, proxy=proxy)
        return mounts

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
        if self.cacert or self.capath:
            try:
                context.load_verify_locations(cafile=self.cacert, capath=self.capath)
            except (OSError, ssl.SSLError) as exc:
                what = f"CA bundle {self.cacert}" if self.cacert else f"CA directory {self.capath}"
                raise ConfigurationError(f"could not load the {what}: {type(exc).__name__}") from None
        return context


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

    `origins` maps `cacert` / `capath` to where the value came from (e.g. `OS_CACERT`). `tls`
    says whether any client of these settings opens TLS (`opens_tls` of its base URL): only
    then is a CA setting loaded (and a bad one refused) here; its files must exist either way.
    A passing check is remembered for the same options and variables (it builds a client);
    a failing one is checked again every time.
    """
    proxies = tuple((name, environ.get(name, "")) for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"))
    _check(proxies, options, tuple((k, origins[k]) for k in ("cacert", "capath") if k in origins), tls)


Pairs = tuple[tuple[str, str], ...]


@functools.lru_cache(maxsize=32)
def _check(proxies: Pairs, options: HttpOptions, origin_pairs: Pairs, tls: bool) -> None:
    environ = dict(proxies)
    origins = dict(origin_pairs)
    for field, path in (("cacert", options.cacert), ("capath", options.capath)):
        if path and not (Path(path).is_dir() if field == "capath" else Path(path).is_file()):
            kind = "directory" if field == "capath" else "file"
            raise ConfigurationError(
                f"{origins.get(field, field)} names a CA {kind} that does not exist: {path}; "
                "fix the path or unset it")
    for name in PROXY_VARIABLES:
        value = environ.get(name, "").strip()
        if not value:
            continue
        scheme = value.split("://", 1)[0].lower() if "://" in value else "http"
        if scheme in _SOCKS_SCHEMES:
            if importlib.util.find_spec("socksio") is None:
                raise ConfigurationError(
                    f"{name} names a SOCKS proxy, which needs the socksio package: "
                    f"pip install 'ddm-resources[socks]' (or use an HTTP proxy, or unset {name})")
        elif scheme not in ("http", "https"):
            raise ConfigurationError(
                f"{name} is not a proxy URL httpx supports (http://, https://, socks5://); fix or unset it")
    try:
        kwargs = options.client_kwargs(tls=tls)  # this client sends nothing: it loads what the others will
        kwargs.pop("mounts", None)  # the proxies of `environ` are checked below, not os.environ's
    except ConfigurationError as exc:
        names = " / ".join(dict.fromkeys(origins.get(f, f) for f in ("cacert", "capath") if getattr(options, f)))
        raise ConfigurationError(f"{names or 'ddm:systemTrustStore'}: {exc}") from None
    variables = [n for n in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy") if environ.get(n)]
    try:
        with httpx.Client(**kwargs, mounts=_env_mounts(environ)):
            pass
    except Exception as exc:  # httpx raises several kinds for a bad proxy URL
        raise ConfigurationError(
            f"the HTTP client cannot be set up from {', '.join(variables) or 'the TLS settings'}: "
            f"{type(exc).__name__}; fix or unset {'it' if len(variables) == 1 else 'them'}") from None


def _env_mounts(environ: Mapping[str, str]) -> dict[str, httpx.HTTPTransport | None]:
    """The proxy mounts httpx would build from `environ` (checked without touching os.environ)."""
    mounts: dict[str, httpx.HTTPTransport | None] = {}
    for scheme in ("https", "http", "all"):
        url = environ.get(f"{scheme.upper()}_PROXY") or environ.get(f"{scheme}_proxy")
        if url:
            url = url if "://" in url else f"http://{url}"
            mounts["all://" if scheme == "all" else f"{scheme}://"] = httpx.HTTPTransport(proxy=url)
    return mounts

"""Provider settings from stack config, OS_* variables and clouds.yaml; IAM token handling."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import httpx
import pytest
from pydantic import SecretStr

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PASSWORD, DEMO_PROJECT_ID, DEMO_PROJECT_NAME, DEMO_USER_NAME
from ddm_resources.auth import PasswordToken
from ddm_resources.errors import AuthenticationError, ConfigurationError
from ddm_resources.settings import resolve_settings
from tests.local_tls import LocalTlsServer, make_cert

PASSWORD = "s3cr3t-Passw0rd!"

CLOUDS = """
clouds:
  otc:
    auth:
      auth_url: https://iam.eu-nl.otc.t-systems.com/v3
      username: alice
      user_domain_name: OTC00000000001000000001
      project_name: eu-nl_dr
    region_name: eu-nl
  other:
    auth: {token: abc}
"""
SECURE = f"""
clouds:
  otc:
    auth:
      password: {PASSWORD}
"""


def settings(config=None, env=None):
    config = config or {}
    return resolve_settings(config.get, env or {})


def test_ready_token_with_project_id():
    s = settings(env={"OS_TOKEN": "gAAAAA-ready-token", "OS_PROJECT_ID": "p1"})
    assert (s.token.get_secret_value(), s.project_id) == ("gAAAAA-ready-token", "p1")
    assert (s.region, s.endpoint) == ("eu-de", "https://ddm.eu-de.otc.t-systems.com")
    assert "gAAAAA" not in repr(s)


def test_stack_config_wins_over_environment():
    s = settings({"ddm:token": "from-config", "ddm:projectId": "p-config", "ddm:endpoint": "http://127.0.0.1:1/"},
                 {"OS_TOKEN": "from-env", "OS_PROJECT_ID": "p-env", "DDM_ENDPOINT": "http://elsewhere"})
    assert (s.token.get_secret_value(), s.project_id, s.endpoint) == ("from-config", "p-config", "http://127.0.0.1:1")


def test_password_login_from_os_variables():
    env = {"OS_AUTH_URL": "https://iam.eu-de.otc.t-systems.com/v3", "OS_USERNAME": "bob", "OS_PASSWORD": PASSWORD,
           "OS_USER_DOMAIN_NAME": "OTC0001", "OS_PROJECT_NAME": "eu-de", "OS_REGION_NAME": "eu-de"}
    s = settings(env=env)
    assert s.token is None and (s.username, s.domain_name, s.project_name) == ("bob", "OTC0001", "eu-de")
    assert s.project_id is None
    assert PASSWORD not in repr(s) and PASSWORD not in str(s)


def test_clouds_yaml_and_secure_yaml(tmp_path, monkeypatch):
    (tmp_path / "clouds.yaml").write_text(CLOUDS)
    (tmp_path / "secure.yaml").write_text(SECURE)
    monkeypatch.chdir(tmp_path)
    s = settings(env={"OS_CLOUD": "otc"})
    assert (s.username, s.domain_name) == ("alice", "OTC00000000001000000001")
    assert (s.project_name, s.region) == ("eu-nl_dr", "eu-nl")
    assert s.password.get_secret_value() == PASSWORD
    assert s.auth_url == "https://iam.eu-nl.otc.t-systems.com/v3"
    assert s.endpoint == "https://ddm.eu-nl.otc.t-systems.com"
    overridden = settings({"ddm:username": "carol"}, {"OS_CLOUD": "otc", "OS_REGION_NAME": "eu-de"})
    assert (overridden.username, overridden.region) == ("carol", "eu-de")


def test_unknown_cloud_names_the_known_ones(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(CLOUDS)
    with pytest.raises(ConfigurationError, match="clouds there: otc, other"):
        settings({"ddm:cloud": "prod"}, {"OS_CLIENT_CONFIG_FILE": str(path)})


def test_region_defaults_from_project_name():
    s = settings(env={"OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_DOMAIN_NAME": "d", "OS_PROJECT_NAME": "eu-nl_sub"})
    assert s.region == "eu-nl" and s.auth_url == "https://iam.eu-nl.otc.t-systems.com/v3"


@pytest.mark.parametrize(
    "env, words",
    [
        ({}, ["ddm:token", "OS_TOKEN", "OS_USERNAME", "OS_PASSWORD", "OS_DOMAIN_NAME", "OS_PROJECT_NAME"]),
        ({"OS_TOKEN": "t"}, ["OS_PROJECT_ID"]),
        ({"OS_USERNAME": "u", "OS_PASSWORD": PASSWORD, "OS_DOMAIN_NAME": "d"}, ["OS_PROJECT_NAME"]),
    ],
)
def test_incomplete_credentials_say_what_to_set_without_secrets(env, words):
    with pytest.raises(ConfigurationError) as info:
        settings(env=env)
    for word in words:
        assert word in str(info.value)
    assert PASSWORD not in str(info.value)


# every validated setting: (stack config key, environment variable, a refused value, the accepted range as the
# message words it in the user's units, the example's value)
REFUSED = [
    ("pollInterval", "DDM_POLL_INTERVAL", "0", "a number of seconds above 0 and at most 300", "30"),
    ("pollInterval", "DDM_POLL_INTERVAL", "nan", "a number of seconds above 0 and at most 300", "30"),
    ("pollInterval", "DDM_POLL_INTERVAL", "301", "a number of seconds above 0 and at most 300", "30"),
    ("pollInterval", "DDM_POLL_INTERVAL", "5m", "a number of seconds above 0 and at most 300", "30"),
    ("pollInterval", "DDM_POLL_INTERVAL", "\u0663\u0660", "a number of seconds above 0 and at most 300", "30"),  # ٣٠
    ("adoptWindow", "DDM_ADOPT_WINDOW", "700h", "at most 696h (29 days)", "24h"),
    ("adoptWindow", "DDM_ADOPT_WINDOW", "0", "above zero and at most 696h", "24h"),
    ("adoptWindow", "DDM_ADOPT_WINDOW", "\u0663\u0666\u0660\u0660", "above zero and at most 696h", "24h"),  # ٣٦٠٠
    ("adoptWindow", "DDM_ADOPT_WINDOW", "a day", "a duration (such as 36h or 90m) or a number of seconds", "24h"),
    ("preflight", "DDM_PREFLIGHT", "maybe", "true or false", "false"),
    ("insecure", "OS_INSECURE", "maybe", "true or false", "false"),
    ("systemTrustStore", "DDM_SYSTEM_TRUST_STORE", "maybe", "true or false", "true"),
]


@pytest.mark.parametrize("where", ["config", "environment"])
@pytest.mark.parametrize(("key", "variable", "value", "accepted", "example"), REFUSED)
def test_a_refused_setting_is_named_as_written_with_its_range_and_an_example(where, key, variable, value, accepted,
                                                                            example):
    config, env = ({f"ddm:{key}": value}, READY) if where == "config" else ({}, {**READY, variable: value})
    with pytest.raises(ConfigurationError) as info:
        settings(config, env)
    message = str(info.value)
    named = f"ddm:{key}" if where == "config" else variable
    how = f"`pulumi config set ddm:{key} {example}`" if where == "config" else f"{variable}={example}"
    assert message.startswith(f"{named} must be ")
    assert accepted in message and message.endswith(f"for example {how}")
    assert f", not {value!r}; " in message
    assert "_" not in message.replace(variable, "")  # no internal field name (poll_interval, adopt_window)
    assert "settings" not in message.lower() and "Input should" not in message and "2505600" not in message


def test_two_refused_settings_are_both_named_in_one_line():
    with pytest.raises(ConfigurationError) as info:
        settings({"ddm:pollInterval": "0"}, {**READY, "DDM_ADOPT_WINDOW": "700h"})
    assert "\n" not in str(info.value)
    assert "ddm:pollInterval must be" in str(info.value) and "; DDM_ADOPT_WINDOW must be" in str(info.value)


def test_accepted_edge_values_of_the_validated_settings():
    s = settings({"ddm:pollInterval": "300", "ddm:adoptWindow": "696h", "ddm:preflight": "off"}, READY)
    assert (s.poll_interval, s.adopt_window, s.preflight) == (300.0, 696 * 3600.0, False)


def manager(emulator, password=DEMO_PASSWORD):
    return PasswordToken(auth_url=f"{emulator.url}/v3", username=DEMO_USER_NAME, password=SecretStr(password),
                           domain_name=DEMO_DOMAIN_NAME, project_name=DEMO_PROJECT_NAME, timeout=httpx.Timeout(2.0))


def test_iam_login_caches_the_token_and_learns_the_project(emulator):
    tokens = manager(emulator)
    assert tokens.project_id == DEMO_PROJECT_ID
    assert tokens.get() == tokens.get()
    [login] = emulator.backend.requests(method="POST", path_contains="/auth/tokens")
    assert DEMO_PASSWORD not in str(login.body)
    assert DEMO_PASSWORD not in repr(tokens)


def test_iam_wrong_password_is_an_authentication_error_without_the_password(emulator):
    with pytest.raises(AuthenticationError) as info:
        manager(emulator, password=PASSWORD).get()
    assert info.value.status_code == 401
    assert PASSWORD not in str(info.value)


# credentials as they arrive from .env files and pasted values (issue 8 item 2) -----------------

TOKEN_CR = "MIIsecretTOKEN42"


def test_surrounding_line_breaks_and_spaces_are_stripped():
    s = settings(env={"OS_TOKEN": f"{TOKEN_CR}\r", "OS_PROJECT_ID": " p1\r\n", "DDM_ENDPOINT": "http://127.0.0.1:1\r"})
    assert (s.token.get_secret_value(), s.project_id, s.endpoint) == (TOKEN_CR, "p1", "http://127.0.0.1:1")
    assert s.origins["token"] == "OS_TOKEN"


def test_a_password_keeps_its_spaces_but_loses_its_line_ending():
    env = {"OS_USERNAME": "u\r", "OS_PASSWORD": f" {PASSWORD} \r\n", "OS_DOMAIN_NAME": "d", "OS_PROJECT_NAME": "eu-de"}
    assert settings(env=env).password.get_secret_value() == f" {PASSWORD} "


@pytest.mark.parametrize("config, env, name", [
    ({}, {"OS_TOKEN": "MIIsecret\nTOKEN42", "OS_PROJECT_ID": "p"}, "OS_TOKEN"),
    ({"ddm:token": "MIIsecret\x1b[2JTOKEN42"}, {"OS_PROJECT_ID": "p"}, "ddm:token"),
    ({}, {"OS_USERNAME": "u", "OS_PASSWORD": "MIIsecret\r\nTOKEN42", "OS_DOMAIN_NAME": "d", "OS_PROJECT_ID": "p"},
     "OS_PASSWORD"),
])
def test_a_line_break_inside_a_credential_is_refused_naming_the_variable_not_the_value(config, env, name):
    with pytest.raises(ConfigurationError) as info:
        settings(config, env)
    assert name in str(info.value) and "line break" in str(info.value)
    assert "MIIsecret" not in str(info.value) and "TOKEN42" not in str(info.value)


def test_a_token_with_a_windows_line_ending_works_against_the_api(emulator):
    """The stripped token reaches DDM: one request, no retry, no 401 (was: retried as an outage)."""
    from ddm_resources.client import DdmClient
    from tests.conftest import TOKEN

    s = settings(env={"OS_TOKEN": f"{TOKEN}\r", "OS_PROJECT_ID": DEMO_PROJECT_ID, "DDM_ENDPOINT": emulator.url})
    with DdmClient(s.endpoint, s.project_id, s.token.get_secret_value(), http_options=s.http) as client:
        assert client.restorable_instances("1f5c9fd6cd984056ba89c8c87cc03278in09") is not None
    assert [r.status for r in emulator.backend.requests()] == [200]


# TLS and proxy settings (issue 8 items 5 and 6) --------------------------------------------------

READY = {"OS_TOKEN": "t", "OS_PROJECT_ID": "p"}


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key, made with openssl."""
    return make_cert(tmp_path_factory.mktemp("tls"), "127.0.0.1")


def test_os_cacert_and_insecure_reach_the_http_options(tls, capsys):
    bundle = tls[0]
    s = settings(env={**READY, "OS_CACERT": str(bundle)})
    assert (s.http.cacert, s.http.verify, s.origins["cacert"]) == (str(bundle), True, "OS_CACERT")
    insecure = settings({"ddm:insecure": "true"}, READY)
    assert insecure.http.verify is False and insecure.http.client_kwargs()["verify"] is False
    assert "TLS certificate verification is off (ddm:insecure)" in capsys.readouterr().out


def test_clouds_yaml_cacert_and_verify_false(tmp_path, tls, capsys):
    bundle = tls[0]
    path = tmp_path / "clouds.yaml"
    path.write_text(f"clouds:\n  corp:\n    auth: {{token: t, project_id: p}}\n    cacert: {bundle}\n"
                    "  lab:\n    auth: {token: t, project_id: p}\n    verify: false\n")
    corp = settings({"ddm:cloud": "corp"}, {"OS_CLIENT_CONFIG_FILE": str(path)})
    assert corp.http.cacert == str(bundle) and corp.http.verify
    lab = settings({"ddm:cloud": "lab"}, {"OS_CLIENT_CONFIG_FILE": str(path)})
    assert lab.http.verify is False
    assert "verification is off (`verify: false` in clouds.yaml cloud 'lab'); " in capsys.readouterr().out


def test_clouds_yaml_insecure_true_is_named_as_written(tmp_path, capsys):
    path = tmp_path / "clouds.yaml"
    path.write_text("clouds:\n  lab2:\n    auth: {token: t, project_id: p}\n    insecure: true\n")
    assert settings({"ddm:cloud": "lab2"}, {"OS_CLIENT_CONFIG_FILE": str(path)}).http.verify is False
    assert "verification is off (`insecure: true` in clouds.yaml cloud 'lab2'); " in capsys.readouterr().out


def test_a_ca_file_that_is_no_certificate_is_named(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match="^OS_CACERT: could not load the CA bundle"):
        settings(env={**READY, "OS_CACERT": str(bundle)})


@pytest.fixture
def https_emulator(tls):
    """The emulator app served over HTTPS with the self-signed certificate."""
    from werkzeug.serving import make_server

    from ddm_emulator import DdmBackend
    from ddm_emulator.app import EmulatorApp
    from tests.conftest import TOKEN

    backend = DdmBackend(job_seconds=0.3)
    backend.add_static_token(TOKEN, DEMO_PROJECT_ID)
    server = make_server("127.0.0.1", 0, EmulatorApp(backend), ssl_context=(str(tls[0]), str(tls[1])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.port}", backend
    server.shutdown()
    thread.join()


@pytest.mark.real_socket
@pytest.mark.parametrize("extra, works", [({}, False), ("cacert", True), ({"OS_INSECURE": "1"}, True)])
def test_a_private_ca_is_trusted_only_when_configured(https_emulator, tls, extra, works):
    """Against a real TLS server: certifi refuses the private CA, OS_CACERT or OS_INSECURE make it work."""
    from tests.conftest import TOKEN

    url, backend = https_emulator
    extra = {"OS_CACERT": str(tls[0])} if extra == "cacert" else extra
    s = settings(env={"OS_TOKEN": TOKEN, "OS_PROJECT_ID": DEMO_PROJECT_ID, "DDM_ENDPOINT": url, **extra})
    _assert_verifies(s, backend, works)


@pytest.fixture(scope="module")
def trust_files(tls, tmp_path_factory):
    """The server's CA in a hashed directory (as `SSL_CERT_DIR` wants it), and an unrelated CA file."""
    folder = tmp_path_factory.mktemp("trust")
    (folder / "dir").mkdir()
    (folder / "dir" / "server-ca.pem").write_bytes(tls[0].read_bytes())
    subprocess.run(["openssl", "rehash", str(folder / "dir")], check=True, capture_output=True)
    unrelated, _ = make_cert(folder, "unrelated")
    return {"server": str(tls[0]), "dir": str(folder / "dir"), "unrelated": str(unrelated)}


@pytest.mark.real_socket
@pytest.mark.parametrize(("env", "works"), [
    ({"SSL_CERT_DIR": "dir", "OS_CACERT": "unrelated"}, True),   # the directory is trusted besides the bundle
    ({"SSL_CERT_DIR": "dir", "ddm:cacert": "unrelated"}, True),
    ({"SSL_CERT_DIR": "dir"}, True),
    ({"SSL_CERT_FILE": "server", "OS_CACERT": "unrelated"}, False),  # SSL_CERT_FILE only when no bundle is set
    ({"SSL_CERT_FILE": "server"}, True),
    ({"OS_CACERT": "unrelated"}, False),
])
def test_what_the_readme_says_is_trusted(https_emulator, trust_files, env, works):
    """docs/configuration.md's "TLS and proxies" list, against a real TLS server whose CA is `trust_files["server"]`."""
    from tests.conftest import TOKEN

    url, backend = https_emulator
    config = {k: trust_files[v] for k, v in env.items() if k.startswith("ddm:")}
    variables = {k: trust_files[v] for k, v in env.items() if not k.startswith("ddm:")}
    s = settings(config, {"OS_TOKEN": TOKEN, "OS_PROJECT_ID": DEMO_PROJECT_ID, "DDM_ENDPOINT": url, **variables})
    _assert_verifies(s, backend, works)


@pytest.mark.real_socket
def test_the_context_of_a_plain_http_client_trusts_nothing(https_emulator, tls):
    """A client built for a plain http:// endpoint loads no CA bundle; should it ever shake hands
    over TLS, the handshake fails, even with the right CA configured and verification off."""
    import httpx

    url, backend = https_emulator
    for env in ({}, {"OS_CACERT": str(tls[0])}, {"OS_INSECURE": "1"}):
        s = settings(env={**READY, "DDM_ENDPOINT": "http://127.0.0.1:1", **env})
        with httpx.Client(**s.http.client_kwargs(tls=False)) as client, \
                pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(url)
    assert backend.requests() == []


def test_a_bad_ca_bundle_is_refused_when_a_client_opens_tls_and_ignored_otherwise(tmp_path):
    """Plain http:// DDM with a ready token: no client opens TLS, so the bundle is not read.
    With the IAM login (https:// auth URL) it is, and a bad one fails the settings at once."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate")
    plain = {"DDM_ENDPOINT": "http://127.0.0.1:8080", "OS_CACERT": str(bundle)}
    assert settings(env={**READY, **plain}).http.cacert == str(bundle)
    login = {"OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_DOMAIN_NAME": "d", "OS_PROJECT_ID": "p"}
    with pytest.raises(ConfigurationError, match="^OS_CACERT: could not load the CA bundle"):
        settings(env={**login, **plain})
    with pytest.raises(ConfigurationError, match="^OS_CACERT: could not load the CA bundle"):
        settings(env={**READY, **plain, "DDM_ENDPOINT": "https://127.0.0.1:8080"})


@pytest.mark.parametrize("name", ["OS_CACERT", "SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_a_missing_ca_file_is_a_settings_error_naming_the_variable(tmp_path, name):
    with pytest.raises(ConfigurationError, match=f"^{name} names a CA .* that does not exist"):
        settings(env={**READY, name: str(tmp_path / "missing.pem")})


def test_socks_proxy_is_supported_with_socksio():
    s = settings(env={**READY, "ALL_PROXY": "socks5://127.0.0.1:1080", "NO_PROXY": "127.0.0.1"})
    assert s.http.verify


def test_socks_proxy_without_socksio_names_the_variable_and_the_extra(monkeypatch):
    from ddm_resources import http_options

    real = http_options.importlib.util.find_spec
    monkeypatch.setattr(http_options.importlib.util, "find_spec", lambda n, *a: None if n == "socksio" else real(n, *a))
    with pytest.raises(ConfigurationError) as info:
        settings(env={**READY, "ALL_PROXY": "socks5://user:proxy-pass@127.0.0.1:1080"})
    assert "ALL_PROXY" in str(info.value) and "ddm-resources[socks]" in str(info.value)
    assert "proxy-pass" not in str(info.value)


@pytest.mark.parametrize("value", ["ftp://user:proxy-pass@host:21", "http://user:proxy-pass@[::1"])
def test_a_bad_proxy_url_names_the_variable_not_the_value(value):
    with pytest.raises(ConfigurationError) as info:
        settings(env={**READY, "HTTPS_PROXY": value})
    assert "HTTPS_PROXY" in str(info.value) and "proxy-pass" not in str(info.value)


class TlsProxy(LocalTlsServer):
    """A forward proxy reached over TLS (an `https://` proxy URL) on 127.0.0.1, with `cert` / `key`.

    `CONNECT host:port` opens a tunnel (the client then speaks TLS to the target through it);
    any other request (absolute-form, for an `http://` target) is passed on to its host as sent.
    `heads` records the first line of every request the proxy read after its TLS handshake."""

    def __init__(self, cert, key) -> None:
        self.heads: list[str] = []
        super().__init__(cert, key)

    def handle(self, conn: socket.socket) -> None:
        threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, raw: socket.socket) -> None:
        import ssl
        from urllib.parse import urlsplit

        raw.settimeout(5.0)
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):  # the client refused our certificate
            raw.close()
            return
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode()
            self.heads.append(line)
            method, target, _ = line.split(" ", 2)
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                upstream = socket.create_connection((host, int(port)), timeout=5.0)
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                url = urlsplit(target)
                upstream = socket.create_connection((url.hostname, url.port or 80), timeout=5.0)
                upstream.sendall(head)
            with upstream:
                self._pipe(conn, upstream)

    def _pipe(self, conn, upstream: socket.socket) -> None:
        import select

        while not self.stopping.is_set():
            ready = [conn] if conn.pending() else select.select([conn, upstream], [], [], 0.1)[0]
            for source in ready:
                try:
                    data = source.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                (upstream if source is conn else conn).sendall(data)


@pytest.fixture
def tls_proxy(tls, monkeypatch):
    from ddm_resources.http_options import PROXY_VARIABLES

    for name in (name for names in PROXY_VARIABLES.values() for name in names):
        monkeypatch.delenv(name, raising=False)
    proxy = TlsProxy(*tls)
    yield proxy
    proxy.close()


@pytest.mark.real_socket
@pytest.mark.parametrize("endpoint", ["https", "http"])
@pytest.mark.parametrize("trusted", [False, True])
def test_an_https_proxy_is_verified_with_the_configured_ca(tls_proxy, tls, https_emulator, emulator, monkeypatch,
                                                           endpoint, trusted):
    """A proxy reached over TLS (`HTTPS_PROXY` / `HTTP_PROXY=https://...`) whose certificate comes from
    the private CA of OS_CACERT: the proxy's TLS trusts that CA as the endpoint's does (a CONNECT
    tunnel to an https:// endpoint, a forwarded request to an http:// one); without it, certifi
    refuses the proxy and nothing reaches the service."""
    from tests.conftest import TOKEN

    url, backend = https_emulator if endpoint == "https" else (emulator.url, emulator.backend)
    monkeypatch.setenv("HTTPS_PROXY" if endpoint == "https" else "HTTP_PROXY", tls_proxy.url)
    env = {"OS_TOKEN": TOKEN, "OS_PROJECT_ID": DEMO_PROJECT_ID, "DDM_ENDPOINT": url}
    s = settings(env={**env, "OS_CACERT": str(tls[0])} if trusted else env)
    _assert_verifies(s, backend, trusted)
    host = url.split("://", 1)[1]
    expected = f"CONNECT {host} HTTP/1.1" if endpoint == "https" else f"GET {url}/v3/"
    assert [line[:len(expected)] for line in tls_proxy.heads] == ([expected] if trusted else [])


@pytest.mark.real_socket
@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*"])
def test_no_proxy_still_bypasses_an_https_proxy_with_a_ca_setting(tls_proxy, tls, https_emulator, monkeypatch,
                                                                  no_proxy):
    from ddm_resources.client import DdmClient
    from tests.conftest import SOURCE, TOKEN

    url, backend = https_emulator
    monkeypatch.setenv("HTTPS_PROXY", tls_proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    env = {"OS_TOKEN": TOKEN, "OS_PROJECT_ID": DEMO_PROJECT_ID, "DDM_ENDPOINT": url}
    s = settings(env={**env, "OS_CACERT": str(tls[0])})
    with DdmClient(s.endpoint, s.project_id, TOKEN, http_options=s.http) as client:
        client.restorable_instances(SOURCE)
    assert len(backend.requests()) == 1 and tls_proxy.heads == []


def test_system_trust_store_uses_truststore():
    s = settings({"ddm:systemTrustStore": "true"}, READY)
    import truststore

    assert isinstance(s.http.client_kwargs()["verify"], truststore.SSLContext)


# clouds.yaml as users write it, read by openstack.config (issue 10 item 4) ----------------------

USER_FILES = """
clouds:
  flat:                      # auth keys at the cloud's top level, domain by ID, a regions list
    auth_url: https://iam.eu-nl.otc.t-systems.com/v3
    username: alice
    password: flat-Passw0rd
    user_domain_id: 0123456789abcdef0123456789abcdef
    project_domain_id: 0123456789abcdef0123456789abcdef
    project_name: eu-nl_dr
    regions: [eu-nl, eu-de]
  profiled:                  # the OTC vendor profile supplies the IAM URL for the region
    profile: otc
    region_name: eu-de
    auth:
      username: bob
      password: prof-Passw0rd
      user_domain_name: OTC00000000001000000001
      project_id: 0123456789abcdef0123456789abcdef
    cacert: /etc/ssl/certs/ca-certificates.crt
  keys:                      # an access key pair, as otcextensions reads it
    region_name: eu-de
    auth:
      ak: AKEXAMPLE0000000
      sk: sk-Secret0000
      project_id: 0123456789abcdef0123456789abcdef
"""


@pytest.fixture
def user_files(tmp_path):
    path = tmp_path / "clouds.yaml"
    path.write_text(USER_FILES)
    return {"OS_CLIENT_CONFIG_FILE": str(path)}


def test_clouds_yaml_auth_at_top_level_with_domain_id_and_regions(user_files):
    s = settings(env={**user_files, "OS_CLOUD": "flat"})
    assert (s.username, s.password.get_secret_value()) == ("alice", "flat-Passw0rd")
    assert s.domain_id == "0123456789abcdef" * 2
    assert (s.project_name, s.region, s.auth_url) == ("eu-nl_dr", "eu-nl", "https://iam.eu-nl.otc.t-systems.com/v3")
    assert s.origins["password"] == "`password` in clouds.yaml cloud 'flat'"
    assert settings({"ddm:region": "eu-de"}, {**user_files, "OS_CLOUD": "flat"}).region == "eu-de"


def test_clouds_yaml_vendor_profile_and_cacert(user_files):
    s = settings(env={**user_files, "OS_CLOUD": "profiled"})
    assert s.auth_url == "https://iam.eu-de.otc.t-systems.com/v3"
    assert (s.domain_name, s.http.cacert) == ("OTC00000000001000000001", "/etc/ssl/certs/ca-certificates.crt")


def test_clouds_yaml_access_keys(user_files):
    s = settings(env={**user_files, "OS_CLOUD": "keys"})
    assert (s.access_key, s.secret_key.get_secret_value()) == ("AKEXAMPLE0000000", "sk-Secret0000")
    assert "sk-Secret0000" not in repr(s)


@pytest.mark.parametrize("env, words", [
    ({"OS_CLOUD": "prod"}, "cloud 'prod' is not in"),
    ({"OS_CLOUD": "flat", "OS_CLIENT_CONFIG_FILE": "/nonexistent/clouds.yaml"}, "no clouds.yaml was found"),
])
def test_a_cloud_that_cannot_work_fails_in_one_line(user_files, env, words):
    with pytest.raises(ConfigurationError) as info:
        settings(env={**user_files, **env})
    assert words in str(info.value) and "\n" not in str(info.value)


def test_clouds_yaml_without_openstacksdk_names_the_extra(user_files, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "openstack", None)  # import openstack fails as if not installed
    with pytest.raises(ConfigurationError, match=r"needs openstacksdk, pip install 'ddm-resources\[clouds\]'"):
        settings(env={**user_files, "OS_CLOUD": "flat"})


def test_openstacksdk_is_imported_only_when_a_cloud_is_named():
    code = ("import sys; from ddm_resources.settings import resolve_settings; "
            "resolve_settings({}.get, {'OS_TOKEN': 't', 'OS_PROJECT_ID': 'p'}); print('openstack' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# endpoints from the IAM catalog, IAM messages (issue 10 items 5 and 6) ----------------------------

def login_env(emulator, **extra):
    return {"OS_AUTH_URL": f"{emulator.url}/v3", "OS_USERNAME": DEMO_USER_NAME, "OS_PASSWORD": DEMO_PASSWORD,
            "OS_USER_DOMAIN_NAME": DEMO_DOMAIN_NAME, "OS_PROJECT_NAME": DEMO_PROJECT_NAME, **extra}


def test_the_ddm_endpoint_comes_from_the_iam_catalog_when_unset(emulator):
    from ddm_resources.auth import ddm_endpoint, token_source

    s = settings(env=login_env(emulator))
    assert s.endpoint == "https://ddm.eu-de.otc.t-systems.com"  # the pattern, before any login
    assert ddm_endpoint(s, token_source(s, timeout=httpx.Timeout(2.0))) == emulator.url
    pinned = settings(env=login_env(emulator, DDM_ENDPOINT="http://127.0.0.1:9"))
    assert ddm_endpoint(pinned, token_source(pinned, timeout=httpx.Timeout(2.0))) == "http://127.0.0.1:9"


def test_no_catalog_entry_falls_back_to_the_host_pattern(emulator):
    from ddm_resources.auth import ddm_endpoint, token_source

    s = settings(env=login_env(emulator, OS_REGION_NAME="eu-nl"))  # the catalog lists eu-de only
    assert ddm_endpoint(s, token_source(s, timeout=httpx.Timeout(2.0))) == "https://ddm.eu-nl.otc.t-systems.com"


def test_login_by_domain_id(emulator):
    from ddm_emulator.seed import DEMO_DOMAIN_ID
    from ddm_resources.auth import token_source

    env = login_env(emulator, OS_USER_DOMAIN_ID=DEMO_DOMAIN_ID)
    del env["OS_USER_DOMAIN_NAME"]
    assert token_source(settings(env=env), timeout=httpx.Timeout(2.0)).project_id == DEMO_PROJECT_ID


def test_an_iam_failure_names_iam_the_url_the_user_and_the_origins(emulator):
    from ddm_resources.auth import token_source

    s = settings({"ddm:username": DEMO_USER_NAME}, login_env(emulator, OS_PASSWORD=PASSWORD))
    with pytest.raises(AuthenticationError) as info:
        token_source(s, timeout=httpx.Timeout(2.0)).get()
    text = str(info.value)
    assert f"IAM login at {emulator.url}/v3 for user 'demo'" in text
    assert "user from ddm:username" in text and "password from OS_PASSWORD" in text
    assert "(POST /v3/auth/tokens)" in text  # the path the request went to, not the one under the auth URL
    assert PASSWORD not in text


@pytest.mark.real_socket
def test_an_unreachable_iam_names_its_url():
    from ddm_resources.auth import token_source
    from ddm_resources.errors import TransportError

    s = settings(env={"OS_AUTH_URL": "http://127.0.0.1:9/v3", "OS_USERNAME": "u", "OS_PASSWORD": PASSWORD,
                      "OS_DOMAIN_NAME": "d", "OS_PROJECT_ID": "p"})
    tokens = token_source(s, timeout=httpx.Timeout(1.0))
    tokens._retry_policy = type(tokens._retry_policy)(max_attempts=1)
    with pytest.raises(TransportError, match=r"IAM login at http://127.0.0.1:9/v3 .*IAM did not answer"):
        tokens.get()


@pytest.mark.real_socket
def test_a_connection_error_names_the_host():
    from ddm_resources.client import DdmClient
    from ddm_resources.errors import TransportError
    from ddm_resources.retry import RetryPolicy

    with DdmClient("http://user:proxy-pass@127.0.0.1:9", "p", "t", retry_policy=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(TransportError) as info:
            client.restorable_instances("1f5c9fd6cd984056ba89c8c87cc03278in09")
    assert "at http://127.0.0.1:9: ConnectError" in str(info.value) and "proxy-pass" not in str(info.value)


def test_api_not_published_says_ddm_is_not_at_that_host_and_how_to_set_the_endpoint(emulator):
    """APIGW.0101 (the emulator answers it for paths it does not publish): no retry, no "skip preflight"."""
    from ddm_resources.client import DdmClient
    from ddm_resources.errors import NotFoundError
    from ddm_resources.preflight import preflight_unavailable
    from tests.conftest import TOKEN

    with DdmClient(f"{emulator.url}/not-ddm", DEMO_PROJECT_ID, TOKEN) as client:
        with pytest.raises(NotFoundError) as info:
            client.restorable_instances("1f5c9fd6cd984056ba89c8c87cc03278in09")
    text = str(info.value)
    assert f"the DDM API is not available at {emulator.url}" in text and "ddm:endpoint" in text
    assert len(emulator.backend.requests()) == 1
    reason = preflight_unavailable(info.value).reason
    assert "ddm:endpoint" in reason and "preflight false" not in reason and "Retry" not in reason


# AK/SK request signing (issue 10 item 7) ----------------------------------------------------------

AK, SK = "AKEXAMPLE0000000", "sk-Secret0000-0123456789"


@pytest.mark.parametrize("secret, works", [(SK, True), ("sk-wrong", False)])
def test_access_key_signing_is_verified_by_the_emulator(emulator, secret, works):
    """Signed with huaweicloudsdkcore's signer, verified by the emulator's own implementation."""
    from ddm_resources.auth import AkSkSigner, token_source
    from ddm_resources.client import DdmClient

    emulator.backend.add_access_key(AK, SK, DEMO_PROJECT_ID)
    s = settings(env={"OS_ACCESS_KEY": AK, "OS_SECRET_KEY": secret, "OS_PROJECT_ID": DEMO_PROJECT_ID,
                      "DDM_ENDPOINT": emulator.url})
    signer = token_source(s, timeout=httpx.Timeout(2.0))
    assert isinstance(signer, AkSkSigner) and secret not in repr(signer)
    with DdmClient(s.endpoint, s.project_id, signer) as client:
        if works:  # a GET with a query and a POST with a body, both signed
            assert client.restorable_instances("1f5c9fd6cd984056ba89c8c87cc03278in09") is not None
            from tests.unit.test_client import EXAMPLE

            assert client.restore_metadata(*EXAMPLE)
        else:
            with pytest.raises(AuthenticationError):
                client.restorable_instances("1f5c9fd6cd984056ba89c8c87cc03278in09")
    statuses = [r.status for r in emulator.backend.requests()]
    assert statuses == ([200, 202] if works else [401])
    assert not [r for r in emulator.backend.requests() if r.has_auth_token]


def test_an_access_key_without_its_secret_is_refused():
    with pytest.raises(ConfigurationError, match="OS_SECRET_KEY"):
        settings(env={"OS_ACCESS_KEY": AK, "OS_PROJECT_ID": "p"})


def test_access_keys_without_the_signer_package_name_the_extra(monkeypatch):
    from ddm_resources.auth import token_source

    for name in [n for n in sys.modules if n.startswith("huaweicloudsdkcore")] + ["huaweicloudsdkcore"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    s = settings(env={"OS_ACCESS_KEY": AK, "OS_SECRET_KEY": SK, "OS_PROJECT_ID": "p"})
    with pytest.raises(ConfigurationError, match=r"ddm-resources\[aksk\]"):
        token_source(s, timeout=httpx.Timeout(2.0))


def _assert_verifies(s, backend, works: bool) -> None:
    """One lookup with settings `s` against the TLS emulator `backend`: it reaches the server only
    when the server's certificate verifies (`works`), else fails with CERTIFICATE_VERIFY_FAILED."""
    from ddm_resources.client import DdmClient
    from ddm_resources.errors import TransportError
    from ddm_resources.retry import RetryPolicy
    from tests.conftest import SOURCE, TOKEN

    before = len(backend.requests())
    with DdmClient(s.endpoint, s.project_id, TOKEN, http_options=s.http, retry_policy=RetryPolicy(max_attempts=1)) as c:
        if works:
            c.restorable_instances(SOURCE)
        else:
            with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
                c.restorable_instances(SOURCE)
    assert len(backend.requests()) - before == (1 if works else 0)

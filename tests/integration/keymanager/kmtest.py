"""Shared helpers of the key-manager integration tests (docs/keymanager.md).

Each test module starts the real processes it needs in a fresh temp dir:
  KeyManager  `postern keymanager --config km.yaml` on a free 127.0.0.1 port (and its CLI)
  Echo        `postern echo`, the backend behind the gateway
  Gateway     `postern run <project>`, the resource server, with the key manager as issuer
Every process is started by this module and stopped by its PID (SIGTERM, then SIGKILL),
at class clean-up and, as a backstop, when the interpreter exits. Every wait is bounded.

The binary under test is $POSTERN_BINARY (ctest sets it), else build/postern of this tree.
Clients are the Debian packages python3-requests-oauthlib (with python3-oauthlib),
python3-requests, python3-jwt and python3-cryptography; run with /usr/bin/python3.
"""
import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
POSTERN = os.environ.get("POSTERN_BINARY") or os.path.normpath(os.path.join(HERE, "..", "..", "..", "build", "postern"))

# The key manager listens on plain HTTP on loopback (km.yaml allows it only there);
# oauthlib refuses http:// token URLs unless told that this is deliberate.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def free_port():
    """A port nothing listens on right now (bind to 0, read it, close)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def eventually(predicate, timeout=10.0, interval=0.05):
    """Polls predicate until it is truthy or timeout passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def write(path, text, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def tail(path, lines=60):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------------------
# Processes

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer")


def sanitizer_report(text):
    """The first sanitizer report in a log (under the ASan+UBSan build), or ""."""
    for marker in SANITIZER_MARKERS:
        at = text.find(marker)
        if at >= 0:
            start = text.rfind("\n", 0, at) + 1
            return text[start:start + 3000]
    return ""


_live = []  # every Process not yet stopped; stopped at exit even if a test forgot


class Process:
    def __init__(self, argv, log_path, cwd=None):
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                      cwd=cwd)
        self.pid = self.popen.pid
        _live.append(self)

    def alive(self):
        return self.popen.poll() is None

    def stop(self, grace=5.0):
        """SIGTERM by PID, SIGKILL after `grace` seconds; always reaps. Returns the exit code."""
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=grace)
            except ProcessLookupError:
                pass
        if self in _live:
            _live.remove(self)
        self._log.close()
        return self.popen.returncode

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


@atexit.register
def _stop_leftovers():
    for p in list(_live):
        p.stop(grace=2.0)


def _start_listening(make_argv, log_path, ready, what, attempts=3, timeout=20.0, cwd=None):
    """Starts a server on a fresh port (retrying if someone took the port first); waits
    until ready(port) is true. Returns (process, port)."""
    for _ in range(attempts):
        port = free_port()
        proc = Process(make_argv(port), log_path, cwd=cwd)
        if eventually(lambda: not proc.alive() or ready(port), timeout=timeout) and proc.alive():
            return proc, port
        proc.stop(grace=1.0)
    raise RuntimeError(f"{what} did not start:\n{tail(log_path)}")


def _http_ready(url):
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


class TempDir:
    def __init__(self, prefix="postern-km-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def __truediv__(self, rel):
        return os.path.join(self.path, rel)

    def remove(self):
        if os.environ.get("POSTERN_TEST_KEEP") == "1":
            print(f"kept {self.path}", file=sys.stderr)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


# --------------------------------------------------------------------------------------
# The key manager


class KeyManager:
    """`postern keymanager` with a km.yaml in `directory`. Its port is chosen up front, so
    a gateway project can name the key manager before it runs, and the management CLI
    works before start() (it only needs the store)."""

    def __init__(self, directory, project=None, publish_ahead="10m", access_lifetime="1h", refresh_lifetime="24h",
                 failed_auth_max=1000, failed_auth_window="60s", admin_token=None):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        self.config = os.path.join(directory, "km.yaml")
        write(os.path.join(directory, "mk"), secrets.token_hex(32) + "\n", mode=0o600)
        self.admin_token = admin_token
        if admin_token:
            write(os.path.join(directory, "admin-token"), admin_token + "\n", mode=0o600)
        self.settings = dict(project=project, publish_ahead=publish_ahead, access_lifetime=access_lifetime,
                             refresh_lifetime=refresh_lifetime, failed_auth_max=failed_auth_max,
                             failed_auth_window=failed_auth_window)
        self._write_config()
        self.proc = None

    def _write_config(self):
        s = self.settings
        write(self.config,
              f"listen: 127.0.0.1:{self.port}\n"
              "store: km.db\n"
              "master_key_file: mk\n" + (f"project: {s['project']}\n" if s["project"] else "") +
              ("admin_token_file: admin-token\n" if self.admin_token else "") +
              f"signing: {{alg: ES256, publish_ahead: {s['publish_ahead']}}}\n"
              f"tokens: {{access_lifetime: {s['access_lifetime']}, refresh_lifetime: {s['refresh_lifetime']}}}\n"
              f"failed_auth: {{max: {s['failed_auth_max']}, window: {s['failed_auth_window']}}}\n")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self):
        return self.url + "/oauth2/token"

    @property
    def log_path(self):
        return os.path.join(self.dir, "keymanager.log")

    def start(self):
        self.proc = Process([POSTERN, "keymanager", "--config", self.config], self.log_path, cwd=self.dir)
        if not eventually(lambda: not self.proc.alive() or _http_ready(self.url + "/ready"), timeout=20) or \
                not self.proc.alive():
            raise RuntimeError("postern keymanager did not become ready:\n" + tail(self.log_path))
        return self

    def stop(self):
        if self.proc:
            return self.proc.stop()

    def run_cli(self, *args, stdin=None, timeout=30):
        """`postern keymanager --config km.yaml ARGS`; the CompletedProcess (text)."""
        r = subprocess.run([POSTERN, "keymanager", "--config", self.config, *args], input=stdin,
                           capture_output=True, text=True, timeout=timeout)
        report = sanitizer_report(r.stderr)
        if report:
            raise AssertionError(f"sanitizer report from postern keymanager {' '.join(args)}:\n{report}")
        return r

    def cli(self, *args, stdin=None):
        """Runs a management command that must succeed; its JSON answer."""
        r = self.run_cli(*args, stdin=stdin)
        if r.returncode != 0:
            raise AssertionError(f"postern keymanager {' '.join(args)} exited {r.returncode}:\n{r.stderr}{r.stdout}")
        return json.loads(r.stdout)

    # Shorthands for the usual set-up.
    def create_app(self, name, tier="Unlimited", owner=None):
        args = ["app", "create", "--name", name, "--tier", tier]
        if owner:
            args += ["--owner", owner]
        return self.cli(*args)

    def subscribe(self, app, api, tier="Gold"):
        return self.cli("subscribe", "--app", app, "--api", api, "--tier", tier)

    def create_client(self, app, keytype=None, public_key_file=None):
        args = ["client", "create", "--app", app]
        if keytype:
            args += ["--keytype", keytype]
        if public_key_file:
            args += ["--public-key", public_key_file]
        return self.cli(*args)

    def add_user(self, username, password):
        return self.cli("user", "add", "--username", username, stdin=password + "\n")

    def jwks(self):
        r = requests.get(self.url + "/oauth2/jwks", timeout=5)
        r.raise_for_status()
        return r.json()


# --------------------------------------------------------------------------------------
# The echo backend and the gateway


class Echo:
    def __init__(self, directory):
        self.proc, self.port = _start_listening(lambda p: [POSTERN, "echo", "--listen", f"127.0.0.1:{p}"],
                                                os.path.join(directory, "echo.log"), port_open, "postern echo")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        return self.proc.stop()


class Gateway:
    """`postern run` of a project written by write_gateway_project (ports fixed there)."""

    def __init__(self, project):
        self.project = project
        self.http_port = project.http_port
        self.admin_port = project.admin_port
        self.log_path = os.path.join(project.dir, "postern.log")
        self.proc = Process([POSTERN, "--log-level", "debug", "run", project.dir], self.log_path)
        if not eventually(lambda: not self.proc.alive() or _http_ready(f"http://127.0.0.1:{self.admin_port}/ready"),
                          timeout=20) or not self.proc.alive():
            raise RuntimeError("postern run did not become ready:\n" + tail(self.log_path))

    def url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def call(self, method, path, token=None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        return requests.request(method, self.url(path), headers=headers, timeout=10, **kw)

    def stop(self):
        return self.proc.stop(grace=15.0)  # SIGTERM drains first


class GatewayProject:
    """A gateway project folder (postern.yaml + apis/) that trusts the key manager at
    km_port through its JWKS URL and polls its revocation list every second, with two APIs:

      Shop 1.0.0       /shop/1.0.0   production endpoint only (no sandbox);
                                     GET /items: any token; POST /items: scope shop:write
      Inventory 1.0.0  /inventory/1.0.0  production and sandbox (<echo>/sandbox) endpoints;
                                     GET /stock: any token; POST /stock: scope stock:write

    and a subscription tier `Tiny` (2 requests per hour). The key manager reads the same
    folder (km.yaml `project:`) for the APIs and the scopes it may grant."""

    def __init__(self, directory, km_port, echo_url="http://127.0.0.1:9", jwks_refresh="1s"):
        self.dir = directory
        self.http_port = free_port()
        self.admin_port = free_port()
        issuer = f"http://127.0.0.1:{km_port}"
        write(os.path.join(directory, "postern.yaml"), f"""\
listeners:
  - {{name: http, address: "127.0.0.1:{self.http_port}"}}
admin: {{address: "127.0.0.1:{self.admin_port}"}}
workers: 2
apis: apis/
security:
  issuers:
    - name: keymanager
      issuer: {issuer}
      jwks_url: {issuer}/oauth2/jwks
      jwks_refresh: {jwks_refresh}
      jwks_min_refetch: 200ms
      revocations_url: {issuer}/oauth2/revocations
      revocations_poll: 1s
      algorithms: [ES256]
      audiences: [postern]
      validate_subscription: true
throttling:
  tiers:
    subscription:
      Tiny: {{requests: 2, per: hour}}
""")
        write(os.path.join(directory, "apis", "shop.yaml"), f"""\
openapi: 3.0.3
info: {{title: Shop, version: 1.0.0}}
x-wso2-basePath: /shop/{{version}}
x-wso2-production-endpoints: {{urls: ["{echo_url}"]}}
components:
  securitySchemes:
    oauth: {{type: oauth2, flows: {{clientCredentials: {{tokenUrl: "{issuer}/oauth2/token", scopes: {{"shop:write": change the shop}}}}}}}}
paths:
  /items:
    get: {{}}
    post: {{security: [{{oauth: ["shop:write"]}}]}}
""")
        write(os.path.join(directory, "apis", "inventory.yaml"), f"""\
openapi: 3.0.3
info: {{title: Inventory, version: 1.0.0}}
x-wso2-basePath: /inventory/{{version}}
x-wso2-production-endpoints: {{urls: ["{echo_url}"]}}
x-wso2-sandbox-endpoints: {{urls: ["{echo_url}/sandbox"]}}
components:
  securitySchemes:
    oauth: {{type: oauth2, flows: {{clientCredentials: {{tokenUrl: "{issuer}/oauth2/token", scopes: {{"stock:write": change stock}}}}}}}}
paths:
  /stock:
    get: {{}}
    post: {{security: [{{oauth: ["stock:write"]}}]}}
""")


# --------------------------------------------------------------------------------------
# Test base class


class KmTestCase(unittest.TestCase):
    """Base class: a temp dir per class, processes registered with cls.own(...) are stopped
    by PID at class clean-up, and logs are printed when a test fails."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls._owned = []
        cls.addClassCleanup(cls._clean_up)

    @classmethod
    def own(cls, thing):
        cls._owned.append(thing)
        return thing

    @classmethod
    def _clean_up(cls):
        # Every server must stop cleanly on SIGTERM (exit 0; postern echo is only stopped)
        # and leave no sanitizer report in its log: under the ASan+UBSan build this is where
        # a leak or undefined behaviour shows.
        problems = []
        for thing in reversed(cls._owned):
            code = thing.stop()
            log_path = thing.proc.log_path
            if code != 0 and not isinstance(thing, Echo):
                problems.append(f"{' '.join(thing.proc.argv)} exited {code} after SIGTERM:\n{tail(log_path, 30)}")
            with open(log_path, errors="replace") as f:
                report = sanitizer_report(f.read())
            if report:
                problems.append(f"sanitizer report in {log_path}:\n{report}")
        if problems:
            print(f"kept {cls.tmp.path} for its logs", file=sys.stderr)
            raise AssertionError("\n".join(problems))
        cls.tmp.remove()

    def tearDown(self):
        close_sessions()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            for thing in self._owned:
                path = getattr(thing, "log_path", None) or getattr(getattr(thing, "proc", None), "log_path", None)
                if path:
                    print(f"----- {path} -----\n{tail(path, 40)}-----", file=sys.stderr)
        return out


def oauth_error(response):
    """(status, error) of a token-endpoint answer."""
    try:
        return response.status_code, response.json().get("error")
    except ValueError:
        return response.status_code, None


# --------------------------------------------------------------------------------------
# OAuth2 clients (python3-requests-oauthlib) and token checks (python3-jwt)


_sessions = []  # closed after each test (KmTestCase.tearDown): no sockets left open


def close_sessions():
    while _sessions:
        _sessions.pop().close()


class NoAuth(requests.auth.AuthBase):
    """No Authorization header: keeps OAuth2Session from adding HTTP Basic (for
    private_key_jwt, where the client authenticates with the assertion in the body)."""

    def __call__(self, r):
        return r


def oauth_session(client_id, legacy=False, scope=None):
    """An OAuth2Session for a backend (client credentials) or legacy (password) client.
    session.responses collects every token-endpoint response (status, headers)."""
    from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
    from requests_oauthlib import OAuth2Session

    client = (LegacyApplicationClient(client_id, scope=scope) if legacy else
              BackendApplicationClient(client_id=client_id, scope=scope))
    session = OAuth2Session(client=client)
    _sessions.append(session)
    session.responses = []

    def keep(response):
        session.responses.append(response)
        return response

    session.register_compliance_hook("access_token_response", keep)
    session.register_compliance_hook("refresh_token_response", keep)
    return session


def client_credentials(km, client, **kw):
    """An access token for `client` (the JSON of `client create`) over HTTP Basic."""
    session = oauth_session(client["client_id"])
    return session.fetch_token(km.token_url, client_secret=client["client_secret"], **kw)["access_token"]


def verify_access_token(km, token):
    """The claims of a key-manager access token, its ES256 signature checked against the
    key of its kid in /oauth2/jwks, and iss, aud and exp checked by python3-jwt."""
    import jwt

    header = jwt.get_unverified_header(token)
    jwks = km.jwks()
    matches = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
    if len(matches) != 1:
        raise AssertionError(f"kid {header.get('kid')!r} is not (exactly once) in the JWKS {jwks}")
    key = jwt.PyJWK(matches[0]).key
    return jwt.decode(token, key, algorithms=["ES256"], audience="postern", issuer=km.url,
                      options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})


def unverified_claims(token):
    import jwt

    return jwt.decode(token, options={"verify_signature": False})

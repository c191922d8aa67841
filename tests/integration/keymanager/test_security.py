"""Security of the key manager: SQL injection attempts in every management field (stored
verbatim or refused with a clear error, the store intact afterwards), brute-force limiting
of failed client authentications per client and per IP address, and clear CLI errors."""
import base64
import http.client
import json
import unittest
import urllib.parse

import kmtest
from kmtest import oauth_session

INJECTIONS = [
    "x'); DROP TABLE applications;--",
    '" OR 1=1 --',
    "'; DELETE FROM clients; --",
    "Robert'); DROP TABLE users; --",
    "1' UNION SELECT client_id, secret_hash FROM clients --",
    "%' OR name LIKE '%",
]


class SqlInjection(kmtest.KmTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        project = cls.tmp / "project"
        cls.km = km = kmtest.KeyManager(cls.tmp / "km", project=project)
        kmtest.GatewayProject(project, km.port)
        km.create_app("victim", tier="Gold")
        km.subscribe("victim", "Shop:1.0.0", tier="Gold")
        cls.victim = km.create_client("victim")
        km.add_user("alice", "correct horse battery")
        cls.own(km.start())

    def tearDown(self):
        # Whatever the test did, every table still works: the applications list, the
        # clients and subscriptions (a token with the subscription in it), the users.
        apps = {a["name"]: a for a in self.km.cli("app", "list")}
        self.assertIn("victim", apps)
        self.assertEqual(apps["victim"]["clients"], [self.victim["client_id"]])
        self.assertEqual(apps["victim"]["subscriptions"], [{"api": "Shop:1.0.0", "tier": "Gold"}])
        claims = kmtest.verify_access_token(self.km, kmtest.client_credentials(self.km, self.victim))
        self.assertEqual(claims["subscribedAPIs"][0]["name"], "Shop")
        session = oauth_session(self.victim["client_id"], legacy=True)
        session.fetch_token(self.km.token_url, username="alice", password="correct horse battery",
                            client_secret=self.victim["client_secret"])
        super().tearDown()

    def refused(self, *args, message):
        r = self.km.run_cli(*args)
        self.assertNotEqual(r.returncode, 0, f"{args} succeeded: {r.stdout}")
        self.assertEqual(r.stdout, "")
        self.assertIn(message, r.stderr)

    def test_application_name_tier_and_owner_are_stored_verbatim(self):
        for s in INJECTIONS:
            with self.subTest(value=s):
                created = self.km.cli("app", "create", "--name", s, "--tier", s, "--owner", s)
                self.assertEqual((created["name"], created["tier"], created["owner"]), (s, s, s))
                listed = [a for a in self.km.cli("app", "list") if a["name"] == s]
                self.assertEqual(len(listed), 1)
                self.assertEqual((listed[0]["tier"], listed[0]["owner"]), (s, s))
                # A client of it gets tokens that carry the values unchanged.
                client = self.km.create_client(s)
                claims = kmtest.verify_access_token(self.km, kmtest.client_credentials(self.km, client))
                self.assertEqual(claims["application"]["name"], s)
                self.assertEqual(claims["application"]["tier"], s)
                self.assertEqual(claims["sub"], s)
                self.refused("app", "create", "--name", s, message="already exists")
                self.assertEqual(self.km.cli("app", "delete", "--name", s), {"deleted": s})
                self.assertEqual([a for a in self.km.cli("app", "list") if a["name"] == s], [])

    def test_unknown_application_names_are_refused(self):
        for s in INJECTIONS:
            with self.subTest(value=s):
                self.refused("app", "delete", "--name", s, message="no application named")
                self.refused("client", "create", "--app", s, message="no application named")
                self.refused("subscribe", "--app", s, "--api", "Shop:1.0.0", message="no application named")

    def test_subscription_api_is_refused_and_tier_stored_verbatim(self):
        self.km.create_app("tiers")
        client = self.km.create_client("tiers")
        for s in INJECTIONS:
            with self.subTest(value=s):
                self.refused("subscribe", "--app", "tiers", "--api", s + ":1.0.0", message="in the project")
                self.refused("subscribe", "--app", "tiers", "--api", "Shop:" + s, message="in the project")
                self.km.cli("subscribe", "--app", "tiers", "--api", "Shop:1.0.0", "--tier", s)
                app = [a for a in self.km.cli("app", "list") if a["name"] == "tiers"][0]
                self.assertEqual(app["subscriptions"], [{"api": "Shop:1.0.0", "tier": s}])
                claims = kmtest.verify_access_token(self.km, kmtest.client_credentials(self.km, client))
                self.assertEqual(claims["subscribedAPIs"][0]["subscriptionTier"], s)
        self.km.cli("app", "delete", "--name", "tiers")

    def test_usernames_are_stored_verbatim(self):
        for i, s in enumerate(INJECTIONS):
            with self.subTest(value=s):
                password = f"pass-{i}-long-enough"
                self.assertEqual(self.km.add_user(s, password), {"user": s})
                session = oauth_session(self.victim["client_id"], legacy=True)
                token = session.fetch_token(self.km.token_url, username=s, password=password,
                                            client_secret=self.victim["client_secret"])
                self.assertEqual(kmtest.verify_access_token(self.km, token["access_token"])["sub"], s)
                r = self.km.run_cli("user", "add", "--username", s, stdin=password + "\n")
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("already exists", r.stderr)

    def test_client_id_for_rotate_secret_is_refused(self):
        for s in INJECTIONS:
            with self.subTest(value=s):
                self.refused("client", "rotate-secret", "--client-id=" + s, message="no client with id")
        # The victim's secret still works (checked in tearDown), and rotation itself works.
        self.km.create_app("rotating")
        client = self.km.create_client("rotating")
        self.km.add_user("rotating-user", "correct horse battery")
        session = oauth_session(client["client_id"], legacy=True)
        refresh = session.fetch_token(self.km.token_url, username="rotating-user", password="correct horse battery",
                                      client_secret=client["client_secret"])["refresh_token"]
        rotated = self.km.cli("client", "rotate-secret", "--client-id=" + client["client_id"])
        self.assertNotEqual(rotated["client_secret"], client["client_secret"])
        kmtest.client_credentials(self.km, {"client_id": client["client_id"],
                                            "client_secret": rotated["client_secret"]})
        session = oauth_session(client["client_id"])
        from oauthlib.oauth2.rfc6749.errors import InvalidClientError
        with self.assertRaises(InvalidClientError):
            session.fetch_token(self.km.token_url, client_secret=client["client_secret"])
        # The client's refresh tokens were revoked with the old secret.
        r = kmtest.requests.post(self.km.token_url, data={"grant_type": "refresh_token", "refresh_token": refresh},
                                 auth=(client["client_id"], rotated["client_secret"]), timeout=10)
        self.assertEqual(kmtest.oauth_error(r), (400, "invalid_grant"))
        self.km.cli("app", "delete", "--name", "rotating")

    def test_injection_at_the_token_endpoint(self):
        for s in INJECTIONS:
            with self.subTest(value=s):
                r = kmtest.requests.post(self.km.token_url, data={"grant_type": "client_credentials"},
                                         auth=(s, s), timeout=10)
                self.assertEqual(kmtest.oauth_error(r), (401, "invalid_client"))
                r = kmtest.requests.post(self.km.token_url, data={"grant_type": "password", "username": s,
                                                                  "password": s},
                                         auth=(self.victim["client_id"], self.victim["client_secret"]), timeout=10)
                self.assertEqual(kmtest.oauth_error(r), (400, "invalid_grant"))


class AdminApiInjection(kmtest.KmTestCase):
    """The same management operations over the admin API (bearer token): JSON bodies and
    path segments carrying SQL-injection strings are stored verbatim or refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        project = cls.tmp / "project"
        cls.token = "admin-" + kmtest.secrets.token_hex(16)
        cls.km = km = kmtest.KeyManager(cls.tmp / "km", project=project, admin_token=cls.token)
        kmtest.GatewayProject(project, km.port)
        km.create_app("victim")
        km.subscribe("victim", "Shop:1.0.0")
        cls.victim = km.create_client("victim")
        cls.own(km.start())

    def admin(self, method, path, body=None, token=None):
        return kmtest.requests.request(method, self.km.url + "/admin/" + path, json=body, timeout=10,
                                       headers={"Authorization": "Bearer " + (token or self.token)})

    def apps(self):
        r = self.admin("GET", "applications")
        self.assertEqual(r.status_code, 200, r.text)
        return {a["name"]: a for a in r.json()}

    def tearDown(self):
        self.assertIn("victim", self.apps())
        kmtest.client_credentials(self.km, self.victim)
        super().tearDown()

    def test_admin_api_needs_the_bearer_token(self):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + self.token}):
            with self.subTest(headers=headers):
                r = kmtest.requests.get(self.km.url + "/admin/applications", headers=headers, timeout=10)
                self.assertEqual(r.status_code, 401)
                self.assertTrue(r.headers.get("WWW-Authenticate", "").startswith("Bearer"))

    def test_injection_strings_in_every_admin_field(self):
        q = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
        for i, s in enumerate(INJECTIONS):
            with self.subTest(value=s):
                r = self.admin("POST", "applications", {"name": s, "tier": s, "owner": s})
                self.assertEqual(r.status_code, 201, r.text)
                self.assertEqual(r.json()["name"], s)
                self.assertEqual((self.apps()[s]["tier"], self.apps()[s]["owner"]), (s, s))
                self.assertEqual(self.admin("POST", "applications", {"name": s}).status_code, 409)
                r = self.admin("POST", f"applications/{q(s)}/clients", {})
                self.assertEqual(r.status_code, 201, r.text)
                client = r.json()
                r = self.admin("POST", f"applications/{q(s)}/subscriptions", {"api": s + ":1.0.0"})
                self.assertEqual(r.status_code, 400, r.text)
                r = self.admin("POST", f"applications/{q(s)}/subscriptions", {"api": "Shop:1.0.0", "tier": s})
                self.assertEqual(r.status_code, 201, r.text)
                self.assertEqual(self.apps()[s]["subscriptions"], [{"api": "Shop:1.0.0", "tier": s}])
                r = self.admin("POST", "users", {"username": s, "password": f"pass-{i}-long-enough"})
                self.assertEqual(r.status_code, 201, r.text)
                self.assertEqual(self.admin("POST", f"clients/{q(s)}/rotate-secret").status_code, 404)
                claims = kmtest.verify_access_token(self.km, kmtest.client_credentials(self.km, client))
                self.assertEqual((claims["application"]["name"], claims["subscribedAPIs"][0]["subscriptionTier"]),
                                 (s, s))
                r = self.admin("DELETE", f"applications/{q(s)}")
                self.assertEqual((r.status_code, r.json()), (200, {"deleted": s}))
                self.assertNotIn(s, self.apps())

    def test_plus_in_a_path_segment_is_a_plus(self):
        # RFC 3986: '+' in a path is itself (only form bodies and queries use it for a space).
        for name in ("a b", "a+b"):
            self.assertEqual(self.admin("POST", "applications", {"name": name}).status_code, 201)
        r = self.admin("DELETE", "applications/a+b")
        self.assertEqual((r.status_code, r.json()), (200, {"deleted": "a+b"}))
        self.assertIn("a b", self.apps(), "DELETE /admin/applications/a+b deleted 'a b'")
        self.assertEqual(self.admin("DELETE", "applications/a%20b").json(), {"deleted": "a b"})


def post_token_from(source_ip, port, client_id, secret):
    """POST /oauth2/token (client credentials, HTTP Basic) from a chosen loopback address."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source_ip, 0))
    try:
        basic = base64.b64encode(f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(secret)}".encode()).decode()
        conn.request("POST", "/oauth2/token", urllib.parse.urlencode({"grant_type": "client_credentials"}),
                     {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + basic})
        r = conn.getresponse()
        return r.status, json.loads(r.read()).get("error")
    finally:
        conn.close()


class BruteForce(kmtest.KmTestCase):
    """failed_auth: {max: 3, window: 60s}. Requests come from 127.0.0.1 and 127.0.0.2 (both
    loopback) so the per-client and per-IP limits can be told apart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.km = km = kmtest.KeyManager(cls.tmp / "km", failed_auth_max=3, failed_auth_window="60s")
        km.create_app("shop")
        cls.a = km.create_client("shop")
        cls.b = km.create_client("shop")
        cls.c = km.create_client("shop")
        cls.own(km.start())

    def test_wrong_secrets_lock_out_the_client_and_the_address(self):
        port, a, b, c = self.km.port, self.a, self.b, self.c
        self.assertEqual(post_token_from("127.0.0.1", port, a["client_id"], a["client_secret"])[0], 200)
        for _ in range(3):
            self.assertEqual(post_token_from("127.0.0.1", port, a["client_id"], "guess"), (401, "invalid_client"))
        # The right secret is refused now: for that client ...
        self.assertEqual(post_token_from("127.0.0.1", port, a["client_id"], a["client_secret"]), (429, "slow_down"))
        self.assertEqual(post_token_from("127.0.0.2", port, a["client_id"], a["client_secret"]), (429, "slow_down"),
                         "the client is not limited from another address")
        # ... and for that address, whichever client it claims to be.
        self.assertEqual(post_token_from("127.0.0.1", port, b["client_id"], b["client_secret"]), (429, "slow_down"),
                         "the address is not limited")
        # Another client from another address is not locked out.
        self.assertEqual(post_token_from("127.0.0.2", port, b["client_id"], b["client_secret"])[0], 200)
        # The OAuth2 library sees the refusal as the RFC 8628 slow_down error (and 429).
        session = oauth_session(c["client_id"])
        with self.assertRaises(Exception) as raised:
            session.fetch_token(self.km.token_url, client_secret=c["client_secret"])
        self.assertEqual(getattr(raised.exception, "error", None), "slow_down", repr(raised.exception))
        self.assertEqual(session.responses[-1].status_code, 429)
        metrics = kmtest.requests.get(self.km.url + "/metrics", timeout=10).text
        self.assertIn('postern_km_failures_total{reason="rate_limited"}', metrics)
        self.assertIn('postern_km_failures_total{reason="invalid_client"} 3', metrics)


class CliErrors(kmtest.KmTestCase):
    """A management command with bad input exits non-zero, prints nothing on stdout and
    says what is wrong on stderr (no server needed: the CLI works on the store)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        project = cls.tmp / "project"
        cls.km = km = kmtest.KeyManager(cls.tmp / "km", project=project)
        kmtest.GatewayProject(project, km.port)
        km.create_app("shop")
        kmtest.write(cls.tmp / "private.pem", _private_pem())

    def check(self, args, message, stdin=None, config=None):
        if config:
            r = kmtest.subprocess.run([kmtest.POSTERN, "keymanager", "--config", config, *args], input=stdin,
                                      capture_output=True, text=True, timeout=30)
        else:
            r = self.km.run_cli(*args, stdin=stdin)
        self.assertNotEqual(r.returncode, 0, f"{args} succeeded: {r.stdout}")
        self.assertEqual(r.stdout, "", "an error must not print a result")
        self.assertIn(message, r.stderr)

    def test_input_errors(self):
        cases = [
            (["app", "create", "--name", ""], "the application name must be 1..128 characters"),
            (["app", "create", "--name", "a" * 129], "the application name must be 1..128 characters"),
            (["app", "create", "--name", "two\nlines"], "must not contain control characters"),
            (["app", "create", "--name", "shop"], "an application named 'shop' already exists"),
            (["app", "delete", "--name", "nosuch"], "no application named 'nosuch'"),
            (["client", "create", "--app", "nosuch"], "no application named 'nosuch'"),
            (["client", "create", "--app", "shop", "--keytype", "TEST"], "--keytype must be PRODUCTION or SANDBOX"),
            (["client", "create", "--app", "shop", "--public-key", self.tmp / "missing.pem"], "cannot read"),
            (["client", "create", "--app", "shop", "--public-key", self.tmp / "private.pem"],
             "--public-key must be a PEM public key"),
            (["client", "rotate-secret", "--client-id", "nosuch"], "no client with id 'nosuch'"),
            (["subscribe", "--app", "shop", "--api", "Shop"], "--api must be Name:version"),
            (["subscribe", "--app", "shop", "--api", "Nope:1.0"], "no API Nope:1.0 in the project"),
            (["subscribe", "--app", "shop", "--api", "Shop:1.0.0", "--tier", ""], "the subscription tier must be"),
            (["app", "create"], "--name is required"),
            (["app", "frobnicate"], "A subcommand is required"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                self.check([str(a) for a in args], message)
        with self.subTest("short password"):
            self.check(["user", "add", "--username", "bob"], "at least 8 characters", stdin="short\n")
        with self.subTest("missing km.yaml"):
            self.check(["app", "list"], "cannot read", config=self.tmp / "nowhere.yaml")
        with self.subTest("bad km.yaml"):
            kmtest.write(self.tmp / "bad.yaml", "listen: 127.0.0.1:1\nstore: x.db\n")
            self.check(["app", "list"], "master_key", config=self.tmp / "bad.yaml")
        # Nothing above changed the store.
        self.assertEqual([a["name"] for a in self.km.cli("app", "list")], ["shop"])


def _private_pem():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(serialization.Encoding.PEM,
                                                                  serialization.PrivateFormat.PKCS8,
                                                                  serialization.NoEncryption()).decode()


if __name__ == "__main__":
    unittest.main()

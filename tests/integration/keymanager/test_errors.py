"""Every error case of RFC 6749 §5.2 at the token endpoint: the exact `error` value and
HTTP status, a JSON body with error_description, Cache-Control: no-store, and the Basic
challenge when the client tried HTTP Basic. Requests are built with python3-requests so
each malformation is exactly the one under test; the OAuth2 library (requests-oauthlib)
is used where it can produce the case, to show what a real client sees."""
import unittest

import requests
from oauthlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError, InvalidScopeError

import kmtest
from kmtest import oauth_session

FORM = "application/x-www-form-urlencoded"


class TokenEndpointErrors(kmtest.KmTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        project = cls.tmp / "project"
        cls.km = km = kmtest.KeyManager(cls.tmp / "km", project=project)
        kmtest.GatewayProject(project, km.port)
        km.create_app("shop")
        km.subscribe("shop", "Shop:1.0.0")  # declares shop:write; Inventory (stock:write) not subscribed
        cls.client = km.create_client("shop")
        km.add_user("alice", "correct horse battery")
        cls.own(km.start())
        cls.basic = requests.auth.HTTPBasicAuth(cls.client["client_id"], cls.client["client_secret"])

    def post(self, data, auth=None, content_type=FORM, **kw):
        headers = {"Content-Type": content_type} if content_type else {}
        return requests.post(self.km.token_url, data=data, auth=auth, headers=headers, timeout=10, **kw)

    def assertOAuthError(self, response, status, error):
        self.assertEqual((response.status_code, response.json().get("error")), (status, error), response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        self.assertIsInstance(response.json().get("error_description"), str)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")
        if status == 401:
            self.assertTrue(response.headers.get("WWW-Authenticate", "").startswith("Basic"),
                            "401 without a Basic challenge (RFC 6749 §5.2)")
        else:
            self.assertNotIn("WWW-Authenticate", response.headers)
        return response.json()

    def test_missing_grant_type_is_invalid_request(self):
        body = self.assertOAuthError(self.post("scope=shop%3Awrite", auth=self.basic), 400, "invalid_request")
        self.assertIn("grant_type", body["error_description"])

    def test_unknown_grant_type_is_unsupported_grant_type(self):
        for grant in ("urn:example:magic", "authorization_code", "implicit"):
            with self.subTest(grant=grant):
                self.assertOAuthError(self.post({"grant_type": grant}, auth=self.basic), 400, "unsupported_grant_type")

    def test_parameter_sent_twice_is_invalid_request(self):
        for name, value in (("grant_type", "client_credentials"), ("scope", "shop:write")):
            with self.subTest(parameter=name):
                data = [("grant_type", "client_credentials"), (name, value), (name, value)]
                if name == "grant_type":
                    data = data[1:]
                body = self.assertOAuthError(self.post(data, auth=self.basic), 400, "invalid_request")
                self.assertIn(name, body["error_description"])

    def test_wrong_secret_with_basic_is_invalid_client_401_with_challenge(self):
        r = self.post({"grant_type": "client_credentials"},
                      auth=requests.auth.HTTPBasicAuth(self.client["client_id"], "wrong-secret"))
        self.assertOAuthError(r, 401, "invalid_client")
        # What the OAuth2 library makes of it.
        session = oauth_session(self.client["client_id"])
        with self.assertRaises(InvalidClientError):
            session.fetch_token(self.km.token_url, client_secret="wrong-secret")

    def test_wrong_secret_in_the_body_is_invalid_client(self):
        r = self.post({"grant_type": "client_credentials", "client_id": self.client["client_id"],
                       "client_secret": "wrong-secret"})
        self.assertOAuthError(r, 400, "invalid_client")

    def test_unknown_client_is_invalid_client(self):
        r = self.post({"grant_type": "client_credentials"},
                      auth=requests.auth.HTTPBasicAuth("no-such-client", self.client["client_secret"]))
        unknown = self.assertOAuthError(r, 401, "invalid_client")
        r = self.post({"grant_type": "client_credentials", "client_id": "no-such-client", "client_secret": "x"})
        self.assertOAuthError(r, 400, "invalid_client")
        # No client authentication at all.
        self.assertOAuthError(self.post({"grant_type": "client_credentials"}), 400, "invalid_client")
        # An unknown client and a wrong secret look the same to the caller... apart from the
        # description, which names neither the client nor the secret.
        self.assertNotIn("no-such-client", unknown["error_description"])

    def test_two_authentication_methods_at_once_is_invalid_request(self):
        r = self.post({"grant_type": "client_credentials", "client_id": self.client["client_id"],
                       "client_secret": self.client["client_secret"]}, auth=self.basic)
        self.assertOAuthError(r, 400, "invalid_request")
        r = self.post({"grant_type": "client_credentials", "client_assertion_type": kmtest.JWT_BEARER,
                       "client_assertion": "a.b.c"}, auth=self.basic)
        self.assertOAuthError(r, 400, "invalid_request")

    def test_bad_refresh_token_is_invalid_grant(self):
        r = self.post({"grant_type": "refresh_token", "refresh_token": "not-a-refresh-token"}, auth=self.basic)
        self.assertOAuthError(r, 400, "invalid_grant")
        session = oauth_session(self.client["client_id"], legacy=True)
        with self.assertRaises(InvalidGrantError):
            session.refresh_token(self.km.token_url, refresh_token="not-a-refresh-token", auth=self.basic)
        # No refresh_token parameter at all is a malformed request instead.
        self.assertOAuthError(self.post({"grant_type": "refresh_token"}, auth=self.basic), 400, "invalid_request")

    def test_wrong_user_password_is_invalid_grant(self):
        wrong = self.assertOAuthError(
            self.post({"grant_type": "password", "username": "alice", "password": "wrong password"}, auth=self.basic),
            400, "invalid_grant")
        unknown = self.assertOAuthError(
            self.post({"grant_type": "password", "username": "nobody", "password": "wrong password"},
                      auth=self.basic), 400, "invalid_grant")
        self.assertEqual(wrong, unknown, "a wrong password and an unknown user must look the same")
        session = oauth_session(self.client["client_id"], legacy=True)
        with self.assertRaises(InvalidGrantError):
            session.fetch_token(self.km.token_url, username="alice", password="wrong password",
                                client_secret=self.client["client_secret"])
        # A missing password is a malformed request.
        self.assertOAuthError(self.post({"grant_type": "password", "username": "alice"}, auth=self.basic), 400,
                              "invalid_request")

    def test_scope_not_declared_by_the_subscribed_apis_is_invalid_scope(self):
        for scope in ("admin:everything", "stock:write", "shop:write admin:everything"):
            with self.subTest(scope=scope):
                r = self.post({"grant_type": "client_credentials", "scope": scope}, auth=self.basic)
                self.assertOAuthError(r, 400, "invalid_scope")
        session = oauth_session(self.client["client_id"], scope=["stock:write"])
        with self.assertRaises(InvalidScopeError):
            session.fetch_token(self.km.token_url, client_secret=self.client["client_secret"])
        # The declared scope of the subscribed API is granted (the check is not "refuse all").
        r = self.post({"grant_type": "client_credentials", "scope": "shop:write"}, auth=self.basic)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["scope"], "shop:write")

    def test_non_form_content_type_is_invalid_request(self):
        r = self.post(None, auth=self.basic, content_type=None, json={"grant_type": "client_credentials"})
        self.assertEqual(r.request.headers["Content-Type"], "application/json")
        self.assertOAuthError(r, 400, "invalid_request")
        r = self.post("grant_type=client_credentials", auth=self.basic, content_type="text/plain")
        self.assertOAuthError(r, 400, "invalid_request")

    def test_form_content_type_is_matched_case_insensitively(self):
        # Media types are case-insensitive (RFC 9110 §8.3.1); parameters may follow.
        for ct in ("Application/X-WWW-Form-URLEncoded", "application/x-www-form-urlencoded ; charset=UTF-8"):
            with self.subTest(content_type=ct):
                r = self.post({"grant_type": "client_credentials"}, auth=self.basic, content_type=ct)
                self.assertEqual(r.status_code, 200, r.text)
        # ... but a longer type with the same beginning is another type.
        r = self.post("grant_type=client_credentials", auth=self.basic,
                      content_type="application/x-www-form-urlencoded-not")
        self.assertOAuthError(r, 400, "invalid_request")

    def test_malformed_form_is_invalid_request(self):
        self.assertOAuthError(self.post("grant_type=client%ZZcredentials", auth=self.basic), 400, "invalid_request")

    def test_token_endpoint_only_takes_post(self):
        r = requests.get(self.km.token_url, timeout=10)
        self.assertEqual(r.status_code, 405)
        self.assertEqual(r.headers.get("Allow"), "POST")


if __name__ == "__main__":
    unittest.main()

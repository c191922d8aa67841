"""Token endpoint grants with a real OAuth2 client library (python3-requests-oauthlib):
client credentials (client_secret_basic and client_secret_post), the access token's claims
checked with python3-jwt against /oauth2/jwks, the legacy password grant, refresh-token
rotation with reuse detection, and private_key_jwt client authentication (RFC 7523)."""
import base64
import hashlib
import hmac
import json
import time
import unittest
import uuid

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from oauthlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError

import kmtest
from kmtest import JWT_BEARER, NoAuth, oauth_session, verify_access_token


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class Grants(kmtest.KmTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        project = cls.tmp / "project"
        cls.km = km = kmtest.KeyManager(cls.tmp / "km", project=project)
        kmtest.GatewayProject(project, km.port)
        km.create_app("shop", tier="Gold", owner="shop-owner")
        km.subscribe("shop", "Shop:1.0.0", tier="Gold")
        km.subscribe("shop", "Inventory:1.0.0", tier="Silver")
        cls.app = km.cli("app", "list")[0]
        cls.client = km.create_client("shop")
        cls.sandbox = km.create_client("shop", keytype="SANDBOX")
        # A client that may also authenticate with private_key_jwt (ES256 key made here).
        cls.jwt_key = ec_key()
        kmtest.write(cls.tmp / "client-pub.pem", public_pem(cls.jwt_key))
        cls.jwt_client = km.create_client("shop", public_key_file=cls.tmp / "client-pub.pem")
        km.add_user("alice", "correct horse battery")
        cls.own(km.start())

    # ---- client credentials ------------------------------------------------------------

    def test_client_credentials_with_client_secret_basic(self):
        session = oauth_session(self.client["client_id"])
        token = session.fetch_token(self.km.token_url, client_secret=self.client["client_secret"])
        response = session.responses[-1]
        request = response.request
        self.assertTrue(request.headers["Authorization"].startswith("Basic "), "the library did not use Basic")
        self.assertNotIn("client_secret", request.body or "")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")
        self.assertEqual(response.headers.get("Pragma"), "no-cache")
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(token["token_type"], "Bearer")
        self.assertEqual(token["expires_in"], 3600)
        self.assertNotIn("refresh_token", token, "client credentials must not get a refresh token (RFC 6749 §4.4.3)")
        self.assertEqual(verify_access_token(self.km, token["access_token"])["azp"], self.client["client_id"])

    def test_client_credentials_with_client_secret_post(self):
        session = oauth_session(self.client["client_id"])
        token = session.fetch_token(self.km.token_url, client_secret=self.client["client_secret"],
                                    include_client_id=True)
        response = session.responses[-1]
        self.assertNotIn("Authorization", response.request.headers, "the library used Basic, not the body")
        self.assertIn("client_secret=", response.request.body)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")
        self.assertEqual(verify_access_token(self.km, token["access_token"])["azp"], self.client["client_id"])

    def test_access_token_claims(self):
        before = int(time.time())
        token = kmtest.client_credentials(self.km, self.client)
        after = int(time.time())
        header = jwt.get_unverified_header(token)
        self.assertEqual(header["alg"], "ES256")
        self.assertEqual(header.get("typ"), "at+jwt")
        claims = verify_access_token(self.km, token)  # signature, iss, aud, exp
        self.assertEqual(claims["iss"], self.km.url)
        self.assertIn("postern", claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]])
        self.assertTrue(before <= claims["iat"] <= after, claims)
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        self.assertEqual(claims["sub"], "shop-owner", "client credentials: sub is the application owner")
        cid = self.client["client_id"]
        self.assertEqual(claims["azp"], cid)
        self.assertEqual(claims["consumerKey"], cid)
        self.assertEqual(claims["keytype"], "PRODUCTION")
        self.assertEqual(claims["application"],
                         {"id": self.app["id"], "name": "shop", "tier": "Gold", "owner": "shop-owner"})
        subs = {(s["name"], s["version"]): s["subscriptionTier"] for s in claims["subscribedAPIs"]}
        self.assertEqual(subs, {("Shop", "1.0.0"): "Gold", ("Inventory", "1.0.0"): "Silver"})
        self.assertNotIn("scope", claims, "no scope was asked for")
        self.assertTrue(claims["jti"])
        self.assertNotEqual(verify_access_token(self.km, kmtest.client_credentials(self.km, self.client))["jti"],
                            claims["jti"], "two tokens share a jti")

    def test_sandbox_client_gets_sandbox_keytype(self):
        claims = verify_access_token(self.km, kmtest.client_credentials(self.km, self.sandbox))
        self.assertEqual(claims["keytype"], "SANDBOX")
        self.assertEqual(claims["azp"], self.sandbox["client_id"])

    def test_scope_declared_by_a_subscribed_api_is_granted(self):
        session = oauth_session(self.client["client_id"], scope=["shop:write", "stock:write"])
        token = session.fetch_token(self.km.token_url, client_secret=self.client["client_secret"])
        self.assertEqual(sorted(token["scope"]), ["shop:write", "stock:write"])
        claims = verify_access_token(self.km, token["access_token"])
        self.assertEqual(sorted(claims["scope"].split()), ["shop:write", "stock:write"])

    def test_discovery_names_the_endpoints(self):
        d = requests.get(self.km.url + "/.well-known/openid-configuration", timeout=5).json()
        self.assertEqual(d["issuer"], self.km.url)
        self.assertEqual(d["token_endpoint"], self.km.token_url)
        self.assertEqual(d["jwks_uri"], self.km.url + "/oauth2/jwks")
        self.assertEqual(d["introspection_endpoint"], self.km.url + "/oauth2/introspect")
        self.assertEqual(d["revocation_endpoint"], self.km.url + "/oauth2/revoke")
        for method in ("client_secret_basic", "client_secret_post", "private_key_jwt"):
            self.assertIn(method, d["token_endpoint_auth_methods_supported"])
        for grant in ("client_credentials", "password", "refresh_token"):
            self.assertIn(grant, d["grant_types_supported"])

    # ---- password grant and refresh-token rotation -------------------------------------

    def password_session(self):
        session = oauth_session(self.client["client_id"], legacy=True)
        token = session.fetch_token(self.km.token_url, username="alice", password="correct horse battery",
                                    client_secret=self.client["client_secret"])
        return session, token

    def refresh(self, session, refresh_token):
        return session.refresh_token(self.km.token_url, refresh_token=refresh_token,
                                     auth=requests.auth.HTTPBasicAuth(self.client["client_id"],
                                                                      self.client["client_secret"]))

    def test_password_grant(self):
        session, token = self.password_session()
        self.assertEqual(session.responses[-1].headers.get("Cache-Control"), "no-store")
        self.assertTrue(token.get("refresh_token"), "the password grant must return a refresh token")
        claims = verify_access_token(self.km, token["access_token"])
        self.assertEqual(claims["sub"], "alice")
        self.assertEqual(claims["azp"], self.client["client_id"])
        self.assertEqual(claims["application"]["name"], "shop")

    def test_refresh_rotates_and_reuse_revokes_the_family(self):
        session, first = self.password_session()
        r1 = first["refresh_token"]
        second = self.refresh(session, r1)
        r2 = second["refresh_token"]
        self.assertNotEqual(r2, r1, "refresh token not rotated")
        self.assertNotEqual(second["access_token"], first["access_token"])
        self.assertEqual(verify_access_token(self.km, second["access_token"])["sub"], "alice")
        third = self.refresh(session, r2)
        r3 = third["refresh_token"]
        self.assertNotIn(r3, (r1, r2), "refresh token not rotated")

        # r1 was used already: presenting it again is reuse (a leaked token) ...
        with self.assertRaises(InvalidGrantError):
            self.refresh(session, r1)
        self.assertEqual(kmtest.oauth_error(session.responses[-1]), (400, "invalid_grant"))
        # ... and revokes the whole family, the newest token (never used) included.
        with self.assertRaises(InvalidGrantError):
            self.refresh(session, r3)
        self.assertEqual(kmtest.oauth_error(session.responses[-1]), (400, "invalid_grant"))

        # Another family of the same user and client is unaffected.
        other_session, other = self.password_session()
        self.assertTrue(self.refresh(other_session, other["refresh_token"])["access_token"])

    def test_refresh_asking_for_a_wider_scope_keeps_the_refresh_token(self):
        session = oauth_session(self.client["client_id"], legacy=True, scope=["shop:write"])
        token = session.fetch_token(self.km.token_url, username="alice", password="correct horse battery",
                                    client_secret=self.client["client_secret"])
        self.assertEqual(token["scope"], ["shop:write"])
        basic = (self.client["client_id"], self.client["client_secret"])
        # RFC 6749 §6: a scope not granted to the refresh token is invalid_scope ...
        r = requests.post(self.km.token_url, auth=basic, timeout=10,
                          data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
                                "scope": "shop:write stock:write"})
        self.assertEqual(kmtest.oauth_error(r), (400, "invalid_scope"))
        # ... and the refused request did not use the token up: the client can go on.
        r = requests.post(self.km.token_url, auth=basic, timeout=10,
                          data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["scope"], "shop:write")
        self.assertEqual(verify_access_token(self.km, r.json()["access_token"])["scope"], "shop:write")

    def test_refresh_token_of_another_client_is_refused(self):
        _, token = self.password_session()  # issued to self.client
        session = oauth_session(self.sandbox["client_id"], legacy=True)
        with self.assertRaises(InvalidGrantError):
            session.refresh_token(self.km.token_url, refresh_token=token["refresh_token"],
                                  auth=requests.auth.HTTPBasicAuth(self.sandbox["client_id"],
                                                                   self.sandbox["client_secret"]))

    # ---- private_key_jwt (RFC 7523) -----------------------------------------------------

    def assertion(self, key=None, lifetime=60, jti=None, aud=None):
        cid = self.jwt_client["client_id"]
        now = int(time.time())
        return jwt.encode({"iss": cid, "sub": cid, "aud": aud or self.km.token_url, "iat": now, "exp": now + lifetime,
                           "jti": jti or uuid.uuid4().hex}, key or self.jwt_key, algorithm="ES256")

    def fetch_with_assertion(self, assertion):
        """(token or None, the raised OAuth2Error or None, the HTTP response)."""
        session = oauth_session(self.jwt_client["client_id"])
        try:
            token = session.fetch_token(self.km.token_url, auth=NoAuth(), include_client_id=True,
                                        client_assertion_type=JWT_BEARER, client_assertion=assertion)
            return token, None, session.responses[-1]
        except InvalidClientError as e:
            return None, e, session.responses[-1]

    def test_private_key_jwt(self):
        token, error, response = self.fetch_with_assertion(self.assertion())
        self.assertIsNone(error, response.text)
        self.assertNotIn("Authorization", response.request.headers)
        self.assertNotIn("client_secret", response.request.body)
        self.assertIn("client_assertion=", response.request.body)
        claims = verify_access_token(self.km, token["access_token"])
        self.assertEqual(claims["azp"], self.jwt_client["client_id"])
        self.assertEqual(claims["application"]["name"], "shop")
        # The same client still has its secret as well.
        self.assertTrue(kmtest.client_credentials(self.km, self.jwt_client))

    def test_private_key_jwt_replayed_assertion_is_refused(self):
        assertion = self.assertion()
        token, error, response = self.fetch_with_assertion(assertion)
        self.assertIsNone(error, response.text)
        token, error, response = self.fetch_with_assertion(assertion)
        self.assertIsInstance(error, InvalidClientError, "a replayed assertion (same jti) was accepted")
        self.assertEqual(kmtest.oauth_error(response), (400, "invalid_client"))
        self.assertIn("replay", response.json()["error_description"])
        # A new assertion with the same jti is a replay too, even with another signature.
        jti = uuid.uuid4().hex
        self.assertIsNone(self.fetch_with_assertion(self.assertion(jti=jti))[1])
        self.assertIsInstance(self.fetch_with_assertion(self.assertion(jti=jti, lifetime=120))[1], InvalidClientError)

    def test_private_key_jwt_expired_assertion_is_refused(self):
        token, error, response = self.fetch_with_assertion(self.assertion(lifetime=-60))
        self.assertIsInstance(error, InvalidClientError, "an expired assertion was accepted")
        self.assertEqual(kmtest.oauth_error(response), (400, "invalid_client"))
        self.assertIn("expired", response.json()["error_description"])

    def test_private_key_jwt_assertion_signed_by_another_key_is_refused(self):
        token, error, response = self.fetch_with_assertion(self.assertion(key=ec_key()))
        self.assertIsInstance(error, InvalidClientError, "an assertion signed by another key was accepted")
        self.assertEqual(kmtest.oauth_error(response), (400, "invalid_client"))

    def test_private_key_jwt_assertion_for_another_audience_is_refused(self):
        token, error, response = self.fetch_with_assertion(self.assertion(aud="https://other.example/oauth2/token"))
        self.assertIsInstance(error, InvalidClientError, "an assertion for another audience was accepted")
        self.assertEqual(kmtest.oauth_error(response), (400, "invalid_client"))

    def test_private_key_jwt_algorithm_confusion_is_refused(self):
        # alg "none", and HS256 keyed with the client's registered public key (the classic
        # RS/ES -> HS confusion): both carry otherwise valid claims.
        cid = self.jwt_client["client_id"]
        now = int(time.time())
        claims = {"iss": cid, "sub": cid, "aud": self.km.token_url, "exp": now + 60, "jti": uuid.uuid4().hex}

        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        def unsigned(header):
            return b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())

        none = unsigned({"alg": "none", "typ": "JWT"}) + "."
        signing_input = unsigned({"alg": "HS256", "typ": "JWT"})
        mac = hmac.new(public_pem(self.jwt_key).encode(), signing_input.encode(), hashlib.sha256).digest()
        for name, assertion in (("none", none), ("HS256 with the public key", signing_input + "." + b64(mac))):
            with self.subTest(alg=name):
                token, error, response = self.fetch_with_assertion(assertion)
                self.assertIsInstance(error, InvalidClientError, f"an assertion with alg {name} was accepted")
                self.assertEqual(kmtest.oauth_error(response), (400, "invalid_client"))

    def test_private_key_jwt_needs_a_registered_key(self):
        cid = self.client["client_id"]  # a client without --public-key
        now = int(time.time())
        assertion = jwt.encode({"iss": cid, "sub": cid, "aud": self.km.token_url, "exp": now + 60,
                                "jti": uuid.uuid4().hex}, self.jwt_key, algorithm="ES256")
        r = requests.post(self.km.token_url, data={"grant_type": "client_credentials", "client_assertion_type":
                                                   JWT_BEARER, "client_assertion": assertion}, timeout=10)
        self.assertEqual(kmtest.oauth_error(r), (400, "invalid_client"))


if __name__ == "__main__":
    unittest.main()

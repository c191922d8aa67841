"""Introspection (RFC 7662) with WSO2's fields, revocation (RFC 7009), the revocation list
gateways poll, and what deleting an application does to its tokens and clients."""
import time
import unittest
import uuid

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from oauthlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError

import kmtest
from kmtest import oauth_session


class Introspection(kmtest.KmTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        project = cls.tmp / "project"
        cls.km = km = kmtest.KeyManager(cls.tmp / "km", project=project)
        kmtest.GatewayProject(project, km.port)
        km.create_app("shop", tier="Gold", owner="shop-owner")
        km.subscribe("shop", "Shop:1.0.0", tier="Gold")
        cls.client = km.create_client("shop")
        cls.sandbox = km.create_client("shop", keytype="SANDBOX")
        # The resource server's own credentials for introspection (an application of its own).
        km.create_app("gateway")
        cls.rs = km.create_client("gateway")
        km.add_user("alice", "correct horse battery")
        cls.own(km.start())

    def call(self, endpoint, token, client=None, **extra):
        client = client or self.rs
        return requests.post(self.km.url + endpoint, data={"token": token, **extra},
                             auth=(client["client_id"], client["client_secret"]), timeout=10)

    def introspect(self, token, client=None):
        r = self.call("/oauth2/introspect", token, client)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        return r.json()

    def revoke(self, token, client=None, **extra):
        return self.call("/oauth2/revoke", token, client or self.client, **extra)

    def test_active_token_shows_wso2_fields(self):
        token = kmtest.client_credentials(self.km, self.client)
        info = self.introspect(token)
        self.assertIs(info["active"], True)
        self.assertEqual(info["token_type"], "Bearer")
        self.assertEqual(info["client_id"], self.client["client_id"])
        self.assertEqual(info["iss"], self.km.url)
        self.assertEqual(info["sub"], "shop-owner")
        self.assertEqual(info["jti"], jwt.decode(token, options={"verify_signature": False})["jti"])
        self.assertGreater(info["exp"], time.time())
        self.assertEqual(info["application"]["name"], "shop")
        self.assertEqual(info["application"]["tier"], "Gold")
        self.assertEqual(info["application"]["owner"], "shop-owner")
        self.assertEqual([(s["name"], s["version"], s["subscriptionTier"]) for s in info["subscribedAPIs"]],
                         [("Shop", "1.0.0", "Gold")])
        self.assertEqual(info["keytype"], "PRODUCTION")
        sandbox = self.introspect(kmtest.client_credentials(self.km, self.sandbox))
        self.assertIs(sandbox["active"], True)
        self.assertEqual(sandbox["keytype"], "SANDBOX")

    def test_tokens_not_issued_here_are_inactive(self):
        now = int(time.time())
        forged = jwt.encode({"iss": self.km.url, "sub": "x", "aud": "postern", "exp": now + 600, "iat": now,
                             "jti": uuid.uuid4().hex, "azp": self.client["client_id"]},
                            ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                            headers={"kid": self.km.jwks()["keys"][0]["kid"]})
        for token in ("garbage", forged, ""):
            with self.subTest(token=token[:20]):
                if token == "":
                    r = self.call("/oauth2/introspect", token)
                    self.assertEqual(kmtest.oauth_error(r), (400, "invalid_request"))
                else:
                    self.assertEqual(self.introspect(token), {"active": False})

    def test_introspection_needs_client_authentication(self):
        token = kmtest.client_credentials(self.km, self.client)
        r = requests.post(self.km.url + "/oauth2/introspect", data={"token": token}, timeout=10)
        self.assertEqual(kmtest.oauth_error(r), (400, "invalid_client"))
        self.assertNotIn("active", r.json())
        r = requests.post(self.km.url + "/oauth2/introspect", data={"token": token},
                          auth=(self.rs["client_id"], "wrong"), timeout=10)
        self.assertEqual(kmtest.oauth_error(r), (401, "invalid_client"))
        self.assertNotIn("active", r.json())

    def test_revoked_token_is_inactive_and_listed_for_gateways(self):
        token = kmtest.client_credentials(self.km, self.client)
        jti = jwt.decode(token, options={"verify_signature": False})["jti"]
        self.assertIs(self.introspect(token)["active"], True)
        before = requests.get(self.km.url + "/oauth2/revocations", timeout=10)
        self.assertEqual(before.status_code, 200)
        r = self.revoke(token, token_type_hint="access_token")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(self.introspect(token), {"active": False})
        # The revocation list a gateway polls has the jti, under a new ETag; asking again
        # with that ETag is answered 304.
        after = requests.get(self.km.url + "/oauth2/revocations", timeout=10)
        self.assertEqual(after.status_code, 200)
        self.assertIn(jti, [e["jti"] for e in after.json()["revoked"]])
        self.assertNotEqual(after.headers["ETag"], before.headers["ETag"])
        again = requests.get(self.km.url + "/oauth2/revocations", headers={"If-None-Match": after.headers["ETag"]},
                             timeout=10)
        self.assertEqual(again.status_code, 304)

    def test_revoking_an_unknown_token_is_200(self):
        for token in ("never-issued", "x.y.z"):
            with self.subTest(token=token):
                r = self.revoke(token)
                self.assertEqual(r.status_code, 200, r.text)  # RFC 7009 §2.2
        # ... but the caller must still authenticate.
        r = requests.post(self.km.url + "/oauth2/revoke", data={"token": "never-issued"}, timeout=10)
        self.assertEqual(kmtest.oauth_error(r), (400, "invalid_client"))

    def test_revoking_a_refresh_token_ends_it(self):
        session = oauth_session(self.client["client_id"], legacy=True)
        token = session.fetch_token(self.km.token_url, username="alice", password="correct horse battery",
                                    client_secret=self.client["client_secret"])
        r = self.revoke(token["refresh_token"], token_type_hint="refresh_token")
        self.assertEqual(r.status_code, 200, r.text)
        with self.assertRaises(InvalidGrantError):
            session.refresh_token(self.km.token_url, refresh_token=token["refresh_token"],
                                  auth=(self.client["client_id"], self.client["client_secret"]))

    def test_a_client_cannot_revoke_another_clients_token(self):
        token = kmtest.client_credentials(self.km, self.client)
        r = self.revoke(token, client=self.rs)
        self.assertEqual(kmtest.oauth_error(r), (400, "invalid_request"))
        self.assertIs(self.introspect(token)["active"], True, "another client revoked the token")
        # The same for a refresh token: it stays usable by its own client.
        session = oauth_session(self.client["client_id"], legacy=True)
        issued = session.fetch_token(self.km.token_url, username="alice", password="correct horse battery",
                                     client_secret=self.client["client_secret"])
        r = self.revoke(issued["refresh_token"], client=self.rs, token_type_hint="refresh_token")
        self.assertEqual(kmtest.oauth_error(r), (400, "invalid_request"))
        session.refresh_token(self.km.token_url, refresh_token=issued["refresh_token"],
                              auth=(self.client["client_id"], self.client["client_secret"]))

    def test_deleted_application_tokens_inactive_and_clients_refused(self):
        self.km.create_app("doomed")
        self.km.subscribe("doomed", "Shop:1.0.0")
        doomed = self.km.create_client("doomed")
        token = kmtest.client_credentials(self.km, doomed)
        self.assertIs(self.introspect(token)["active"], True)

        self.assertEqual(self.km.cli("app", "delete", "--name", "doomed"), {"deleted": "doomed"})
        self.assertNotIn("doomed", [a["name"] for a in self.km.cli("app", "list")])
        self.assertEqual(self.introspect(token), {"active": False})
        session = oauth_session(doomed["client_id"])
        with self.assertRaises(InvalidClientError):
            session.fetch_token(self.km.token_url, client_secret=doomed["client_secret"])
        self.assertEqual(kmtest.oauth_error(session.responses[-1]), (401, "invalid_client"))
        # The other applications are untouched.
        self.assertIs(self.introspect(kmtest.client_credentials(self.km, self.client))["active"], True)


if __name__ == "__main__":
    unittest.main()

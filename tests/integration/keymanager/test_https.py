"""The key manager's HTTPS listener (km.yaml `tls`), and the rule that plain HTTP is for
loopback only (docs/keymanager.md "Configuration")."""
import os
import socket
import subprocess
import unittest

import requests

import kmtest
from kmtest import POSTERN


def make_pki(directory):
    """A CA and a server certificate for 127.0.0.1, with the openssl CLI."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=km test CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")
    kmtest.write(os.path.join(directory, "san.ext"), "subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "san.ext", "-out", "server.pem")
    return os.path.join(directory, "ca.pem")


class TlsKeyManager:
    """`postern keymanager` on HTTPS (what KmTestCase's clean-up expects: proc and stop())."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.port = kmtest.free_port()
        self.ca = make_pki(directory)
        kmtest.write(os.path.join(directory, "mk"), os.urandom(32).hex() + "\n", mode=0o600)
        self.config = os.path.join(directory, "km.yaml")
        kmtest.write(self.config,
                     f"listen: 127.0.0.1:{self.port}\nstore: km.db\nmaster_key_file: mk\n"
                     "tls: {cert_file: server.pem, key_file: server.key}\n")
        self.proc = None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def cli(self, *args):
        out = subprocess.run([POSTERN, "keymanager", "--config", self.config, *args], capture_output=True,
                             text=True, timeout=30, check=True)
        return kmtest.json.loads(out.stdout)

    def start(self):
        self.proc = kmtest.Process([POSTERN, "keymanager", "--config", self.config],
                                   os.path.join(self.dir, "keymanager.log"), cwd=self.dir)

        def ready():
            try:
                return requests.get(self.url + "/ready", verify=self.ca, timeout=1).status_code == 200
            except requests.RequestException:
                return False
        if not kmtest.eventually(lambda: not self.proc.alive() or ready(), timeout=20) or not self.proc.alive():
            raise RuntimeError("postern keymanager (https) did not become ready:\n" + kmtest.tail(self.proc.log_path))
        return self

    def stop(self):
        return self.proc.stop() if self.proc else 0


class Https(kmtest.KmTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.km = cls.own(TlsKeyManager(cls.tmp / "km"))
        cls.km.cli("app", "create", "--name", "shop")
        cls.client = cls.km.cli("client", "create", "--app", "shop")
        cls.km.start()

    def test_client_credentials_over_https_with_a_verified_certificate(self):
        session = kmtest.oauth_session(self.client["client_id"])
        token = session.fetch_token(self.km.url + "/oauth2/token", client_secret=self.client["client_secret"],
                                    verify=self.km.ca)
        self.assertEqual(token["token_type"], "Bearer")
        meta = requests.get(self.km.url + "/.well-known/openid-configuration", verify=self.km.ca, timeout=5).json()
        self.assertEqual(meta["issuer"], self.km.url, "the default issuer of an HTTPS listener is https://")
        self.assertEqual(meta["token_endpoint"], self.km.url + "/oauth2/token")

    def test_plain_http_on_the_tls_port_gets_no_http_answer(self):
        with socket.create_connection(("127.0.0.1", self.km.port), timeout=5) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: km\r\n\r\n")
            try:
                answer = s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                answer = b""
        self.assertFalse(answer.startswith(b"HTTP/1.1 200"), answer)

    def test_plain_http_off_loopback_is_refused_at_load(self):
        config = self.tmp / "open.yaml"
        kmtest.write(config, "listen: 0.0.0.0:1\nstore: open.db\nmaster_key_file: km/mk\n")
        out = subprocess.run([POSTERN, "keymanager", "--config", config], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("plain HTTP is only for loopback", out.stderr)
        self.assertEqual(out.stdout, "")


if __name__ == "__main__":
    unittest.main()

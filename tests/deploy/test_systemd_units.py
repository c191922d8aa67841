"""deploy/systemd: what can be checked without running systemd as PID 1.

- `systemd-analyze verify` on every unit, with no warning at all (verify exits 0 on an
  unknown or misspelled directive and only prints it, so the output must be empty). The
  units name /usr/local/bin/postern, which is not installed here: the test verifies copies
  in a temp dir with that path replaced by the binary under test.
- `systemd-analyze security --offline=true`: every service's exposure level is at most 2.0
  ("OK"; an unhardened service is near 9.6).
- The socket unit's ListenStream is an exact IPv4 address (a bare port would listen on
  [::], which no "0.0.0.0:…" listener matches), and the services keep the promised
  hardening (DynamicUser, ProtectSystem=strict, StateDirectory, no capabilities).
- A broken copy (a misspelled directive) is reported, so the verify check can fail.
- `cmake --install` (into a temp prefix) puts the binary, the units (lib/systemd/system,
  where systemd reads local units under /usr/local) and docs/deployment.md in place.
Run with /usr/bin/python3. The binary under test is $POSTERN_BINARY, else build/postern.
"""
import configparser
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
UNITS = os.path.join(ROOT, "deploy", "systemd")
POSTERN = os.path.abspath(os.environ.get("POSTERN_BINARY") or os.path.join(ROOT, "build", "postern"))
SERVICES = ["postern.service", "postern-collector.service", "postern-keymanager.service"]
ANALYZE = shutil.which("systemd-analyze")


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    with open(os.path.join(UNITS, name)) as f:
        parser.read_file(f)
    return parser


@unittest.skipUnless(ANALYZE, "systemd-analyze not installed (Debian package systemd)")
class Analyze(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="postern-units-")
        for name in os.listdir(UNITS):
            with open(os.path.join(UNITS, name)) as f:
                text = f.read()
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text.replace("/usr/local/bin/postern", POSTERN))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def analyze(self, *args):
        out = subprocess.run([ANALYZE, *args], capture_output=True, text=True, timeout=120, cwd=self.dir)
        return out.returncode, (out.stdout + out.stderr).strip()

    def test_verify_reports_nothing(self):
        self.assertTrue(os.access(POSTERN, os.X_OK), POSTERN)
        rc, out = self.analyze("verify", *[f"./{n}" for n in ["postern.socket"] + SERVICES])
        self.assertEqual((rc, out), (0, ""))

    def test_verify_catches_a_misspelled_directive(self):
        path = os.path.join(self.dir, "postern.service")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("ProtectSystem=strict", "ProtectSystem=strickt"))
        rc, out = self.analyze("verify", "./postern.service")
        self.assertIn("strickt", out)

    def test_every_service_is_hardened(self):
        for name in SERVICES:
            rc, out = self.analyze("security", "--offline=true", f"./{name}")
            level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
            self.assertIsNotNone(level, out)
            self.assertLessEqual(float(level.group(1)), 2.0, f"{name}:\n{out}")


BUILD_DIR = os.path.dirname(POSTERN)


@unittest.skipUnless(os.path.isfile(os.path.join(BUILD_DIR, "CMakeCache.txt")), "the binary is not in a CMake build dir")
class Install(unittest.TestCase):
    def test_cmake_install_puts_the_units_where_systemd_reads_local_units(self):
        prefix = tempfile.mkdtemp(prefix="postern-install-")
        try:
            out = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix], capture_output=True, text=True,
                                 timeout=300)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertTrue(os.access(os.path.join(prefix, "bin", "postern"), os.X_OK))
            for name in ["postern.socket"] + SERVICES:
                self.assertTrue(os.path.isfile(os.path.join(prefix, "lib", "systemd", "system", name)), name)
            self.assertTrue(os.path.isfile(os.path.join(prefix, "share", "doc", "postern", "deployment.md")))
        finally:
            shutil.rmtree(prefix, ignore_errors=True)


class Contents(unittest.TestCase):
    def test_the_socket_listens_on_an_exact_ipv4_address(self):
        listen = unit("postern.socket")["Socket"]["ListenStream"]
        self.assertRegex(listen, r"^\d+\.\d+\.\d+\.\d+:\d+$")

    def test_the_gateway_is_socket_activated_and_reloads_with_sighup(self):
        service = unit("postern.service")
        self.assertEqual(service["Unit"]["Requires"], "postern.socket")
        self.assertEqual(service["Service"]["ExecReload"], "/bin/kill -HUP $MAINPID")
        self.assertIn("/usr/local/bin/postern run ", service["Service"]["ExecStart"])

    def test_the_services_keep_their_hardening(self):
        for name in SERVICES:
            s = unit(name)["Service"]
            with self.subTest(name):
                self.assertEqual(s["DynamicUser"], "yes")
                self.assertEqual(s["ProtectSystem"], "strict")
                self.assertEqual(s["NoNewPrivileges"], "yes")
                self.assertEqual(s["CapabilityBoundingSet"], "")
                self.assertTrue(s["StateDirectory"].startswith("postern"))
        self.assertEqual(unit("postern.service")["Service"]["StateDirectory"], "postern")


if __name__ == "__main__":
    unittest.main()

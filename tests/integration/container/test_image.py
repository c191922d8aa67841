"""The container image (tools/build-image) built here and run with podman: a gateway in a
container in front of a backend on the host, as a user would run it.

Builds the image from the binary under test, loads it into podman, runs it with a
read-only root filesystem and the project mounted read-only, calls an API through it,
checks that it runs as the non-root user and writes analytics to its volume, and that
`podman stop` (SIGTERM to PID 1) drains and exits 0. Prints the image size and the
start-to-ready time (docs/deployment.md quotes them); neither is asserted.

Needs root, podman, buildah and runc (tools/install-deps). On the CI machines crun fails
on the host's mixed cgroups, so every podman/buildah call gets a containers.conf that
selects runc and cgroupfs (CONTAINERS_CONF), and the container shares the host network.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
BINARY = os.environ.get("POSTERN_BINARY", os.path.join(SOURCE, "build", "postern"))

CONTAINERS_CONF = """[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


def eventually(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@unittest.skipUnless(os.geteuid() == 0, "podman and buildah run rootful here: run as root")
class ContainerImage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("podman", "buildah", "runc"):
            if not shutil.which(tool):
                raise AssertionError(f"{tool} is missing: run tools/install-deps")
        cls.tmp = tempfile.mkdtemp(prefix="postern-image-test-")
        conf = os.path.join(cls.tmp, "containers.conf")
        with open(conf, "w") as f:
            f.write(CONTAINERS_CONF)
        cls.env = dict(os.environ, CONTAINERS_CONF=conf)
        cls.tag = f"localhost/postern-test:{os.getpid()}"
        cls.archive = os.path.join(cls.tmp, "postern-image.tar")
        cls.name = f"postern-test-{os.getpid()}"
        cls.echo = None
        built = cls.run_tool([os.path.join(SOURCE, "tools", "build-image"), "--binary", BINARY,
                              "--output", cls.archive, "--tag", cls.tag])
        print(built.stdout.strip(), file=sys.stderr)
        # Loaded from the archive, as a machine without a registry would.
        cls.run_tool(["buildah", "rmi", "-f", cls.tag], check=False)
        cls.run_tool(["podman", "load", "-q", "-i", cls.archive])

    @classmethod
    def tearDownClass(cls):
        cls.run_tool(["podman", "rm", "-f", "-v", cls.name], check=False)
        cls.run_tool(["podman", "rmi", "-f", cls.tag], check=False)
        if cls.echo:
            cls.echo.send_signal(signal.SIGTERM)
            cls.echo.wait(10)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_tool(cls, argv, check=True):
        r = subprocess.run(argv, env=cls.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=300)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {r.returncode}:\n{r.stdout}")
        return r

    def write_project(self, backend_port, port, admin_port):
        project = os.path.join(self.tmp, "project")
        os.makedirs(os.path.join(project, "apis"), exist_ok=True)
        with open(os.path.join(project, "postern.yaml"), "w") as f:
            f.write(f"""listeners:
  - {{name: http, address: "127.0.0.1:{port}"}}
admin: {{address: "127.0.0.1:{admin_port}"}}
workers: 1
apis: apis/
analytics:
  enabled: true
  dir: /var/lib/postern/analytics
  flush_interval: 100ms
""")
        with open(os.path.join(project, "apis", "echo.yaml"), "w") as f:
            f.write(f"""openapi: 3.0.3
info: {{title: Echo, version: 1.0.0}}
x-wso2-basePath: /echo
x-wso2-production-endpoints: {{urls: ["http://127.0.0.1:{backend_port}"]}}
x-wso2-disable-security: true
paths:
  /hello:
    get: {{summary: hello}}
""")
        os.chmod(project, 0o755)
        return project

    def inspect(self, fmt):
        return self.run_tool(["podman", "inspect", "--format", fmt, self.name]).stdout.strip()

    def test_the_image_serves_as_non_root_and_drains_on_sigterm(self):
        size = int(self.run_tool(["podman", "image", "inspect", "--format", "{{.Size}}", self.tag]).stdout)
        user = self.run_tool(["podman", "image", "inspect", "--format", "{{.Config.User}}", self.tag]).stdout.strip()
        self.assertEqual(user, "65532:65532")

        backend_port, port, admin_port = free_port(), free_port(), free_port()
        self.__class__.echo = subprocess.Popen([BINARY, "echo", "--listen", f"127.0.0.1:{backend_port}"],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        project = self.write_project(backend_port, port, admin_port)

        started = time.monotonic()
        self.run_tool(["podman", "run", "-d", "--name", self.name, "--network", "host", "--read-only",
                       "-v", f"{project}:/srv/postern:ro", self.tag])
        ready = eventually(lambda: http_get(f"http://127.0.0.1:{admin_port}/ready")[0] == 200, 60)
        start_to_ready = time.monotonic() - started
        logs = self.run_tool(["podman", "logs", self.name], check=False).stdout
        self.assertTrue(ready, f"the gateway in the container never became ready:\n{logs}")
        print(f"image {self.tag}: {size / 1e6:.1f} MB; podman run to /ready 200: {start_to_ready * 1000:.0f} ms",
              file=sys.stderr)

        status, body = http_get(f"http://127.0.0.1:{port}/echo/hello")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["path"], "/hello", body)
        status, body = http_get(f"http://127.0.0.1:{port}/nowhere")
        self.assertEqual(status, 404, body)

        # PID 1 of the container is postern itself, as user 65532.
        pid = self.inspect("{{.State.Pid}}")
        with open(f"/proc/{pid}/status") as f:
            uid_line = next(line for line in f if line.startswith("Uid:"))
        self.assertEqual(uid_line.split()[1:], ["65532"] * 4, uid_line)
        with open(f"/proc/{pid}/cmdline") as f:
            self.assertEqual(f.read().split("\0")[:3], ["/usr/local/bin/postern", "run", "/srv/postern"])

        # The analytics volume is writable by the non-root user (the root filesystem is not).
        self.assertTrue(eventually(self.volume_has_events, 10), "no analytics files in the volume")

        # SIGTERM to PID 1: the gateway drains and exits 0 by itself (no init process).
        stopped = self.run_tool(["podman", "stop", "-t", "30", self.name])
        self.assertEqual(stopped.returncode, 0)
        self.assertEqual(self.inspect("{{.State.ExitCode}}"), "0", self.run_tool(["podman", "logs", self.name]).stdout)
        logs = self.run_tool(["podman", "logs", self.name]).stdout
        self.assertIn("drain", logs.lower(), logs)

    def volume_has_events(self):
        mounts = json.loads(self.inspect("{{json .Mounts}}"))
        for m in mounts:
            if m.get("Destination") == "/var/lib/postern":
                source = m.get("Source", "")
                for _, _, files in os.walk(source):
                    if files:
                        return True
        return False


if __name__ == "__main__":
    unittest.main()

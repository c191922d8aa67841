"""ready_ms.py HOST:PORT T0_FILE ARMED_FILE: measures a gateway's start-to-ready time.

Started before the gateway (inside its namespace): creates ARMED_FILE, waits for T0_FILE
(the run script writes `date +%s%N` into it just before it starts the gateway), then polls
GET /ready every millisecond until it answers 200 and prints the milliseconds from T0.
Python's own start-up is thereby outside the measurement. Exits 1 after 30 s."""
import os
import socket
import sys
import time

host, _, port = sys.argv[1].rpartition(":")
t0_file, armed = sys.argv[2], sys.argv[3]
open(armed, "w").close()
deadline = time.time() + 30
while not os.path.exists(t0_file) and time.time() < deadline:
    time.sleep(0.0005)
while time.time() < deadline:
    try:
        with socket.create_connection((host, int(port)), timeout=1) as s:
            s.sendall(b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                now = time.time()
                with open(t0_file) as f:
                    t0 = int(f.read().strip()) / 1e9
                print(f"{(now - t0) * 1000:.1f} ms")
                sys.exit(0)
    except (OSError, ValueError):
        pass
    time.sleep(0.001)
sys.exit(1)

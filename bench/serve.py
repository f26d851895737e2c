"""serve benchmark: POST /api/orders under N concurrent clients (prints numbers; not a test).

Starts ``main.py serve --no-export`` on a free 127.0.0.1 port, then for each N (default
1, 4, 16, 32, 48, 64, 96) runs N closed-loop clients (threads, each on its own keep-alive
http.client connection, the next order as soon as the last one answered) for a few
seconds, and prints the latency of the answers (p50, p99, max) against the 250 ms of
simulated work an order is, the throughput against the ideal N / 0.25 s, and the CPU
the server used.  The server stops keeping up at the first N where p99 goes over
300 ms or the throughput falls under 90 % of the ideal.

Usage: python bench/serve.py [--seconds S] [--clients 1,4,16,32,48,64,96] [--optimize LIST]
"""
from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_MS = 250.0  # the seed's order, simulated in real time
P99_LIMIT_MS = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Step:
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    cpu_s: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds

    @property
    def ideal(self) -> float:
        return self.clients / (WORK_MS / 1000)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    @property
    def keeps_up(self) -> bool:
        return (not self.errors and self.quantile(0.99) <= P99_LIMIT_MS
                and self.throughput >= 0.9 * self.ideal)


def client(port: int, path: str, deadline: float, step: Step, lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    mine: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    while time.monotonic() < deadline:  # bounded: stops by itself
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=b"{}", headers={"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            time.sleep(0.05)
            continue
        mine.append((time.perf_counter() - started) * 1000)
        statuses[response.status] = statuses.get(response.status, 0) + 1
    conn.close()
    with lock:
        step.latencies_ms += mine
        step.errors += errors
        for status, n in statuses.items():
            step.statuses[status] = step.statuses.get(status, 0) + n


def run_step(port: int, pid: int, path: str, clients: int, seconds: float) -> Step:
    step = Step(clients, seconds)
    lock = threading.Lock()
    cpu_before = cpu_seconds(pid)
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=client, args=(port, path, deadline, step, lock), daemon=True)
               for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    step.cpu_s = cpu_seconds(pid) - cpu_before
    return step


def wait_ready(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per step (default 5)")
    parser.add_argument("--clients", default="1,4,16,32,48,64,96",
                        help="the steps: clients at once (default 1,4,16,32,48,64,96)")
    parser.add_argument("--optimize", default="", help="switches for every order, e.g. parallel")
    args = parser.parse_args()
    steps = [int(n) for n in args.clients.split(",")]
    port = free_port()
    # Its per-order lines go nowhere: a pipe nobody reads would fill and block it.
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--no-export",
                               "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL)
    path = "/api/orders" + (f"?optimize={args.optimize}" if args.optimize else "")
    try:
        wait_ready(port)
        run_step(port, server.pid, path, 2, 1.0)  # warm-up: the world is built on first use
        print(f"main.py serve --no-export on 127.0.0.1:{port}, {os.cpu_count()} cores, "
              f"{args.seconds:g} s per step, POST {path} ({WORK_MS:.0f} ms of work without switches)")
        print(f"{'clients':>7} {'orders':>7} {'orders/s':>9} {'ideal':>6} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'max ms':>7} {'server CPU':>10} {'errors':>6}")
        first_behind = None
        for clients in steps:
            step = run_step(port, server.pid, path, clients, args.seconds)
            print(f"{clients:>7} {len(step.latencies_ms):>7} {step.throughput:>9.1f} {step.ideal:>6.0f} "
                  f"{statistics.median(step.latencies_ms):>7.1f} {step.quantile(0.99):>7.1f} "
                  f"{max(step.latencies_ms):>7.1f} {step.cpu_s / step.seconds:>9.0%} "
                  f"{step.errors:>6}", flush=True)
            if first_behind is None and not step.keeps_up:
                first_behind = clients
        if first_behind is None:
            print(f"kept up at every step (p99 <= {P99_LIMIT_MS:.0f} ms, >= 90 % of the ideal throughput)")
        else:
            print(f"stops keeping up at {first_behind} clients (p99 > {P99_LIMIT_MS:.0f} ms or "
                  f"< 90 % of the ideal throughput)")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


if __name__ == "__main__":
    main()

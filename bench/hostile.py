"""Issue 20's faults with numbers, for bench/faults.py: the serve email backlog under a
sustained load and after a stop, and a SIGKILLed --workers worker's accounting.

Run alone: python bench/hostile.py [--seconds S] [--clients C]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import Running, free_port  # noqa: E402
from simulate.receiver import OtlpReceiver  # noqa: E402

SUMMARY = re.compile(r"Notifications: ([\d,]+) published, ([\d,]+) consumed by the email workers, "
                     r"([\d,]+) still queued, ([\d,]+) dropped")


def _client(port: int, deadline: float, counts: list[int], lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done = 0
    while time.monotonic() < deadline:
        try:
            conn.request("POST", "/api/orders", body=b"{}")
            response = conn.getresponse()
            response.read()
            done += response.status == 201
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    with lock:
        counts.append(done)


def _health(port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/healthz")
    data = json.loads(conn.getresponse().read())
    conn.close()
    return data["notifications"]


def _line(when: str, n: dict) -> str:
    balanced = n["published"] == n["consumed"] + n["queued"] + n["dropped"]
    return (f"  {when:<34} published {n['published']:>7,}  consumed {n['consumed']:>7,}  "
            f"queued {n['queued']:>6,}  dropped {n['dropped']:>6,}  "
            f"{'balanced' if balanced else 'UNBALANCED'}")


def serve_backlog(seconds: float, clients: int) -> None:
    print(f"serve: {clients} keep-alive clients for {seconds:g} s, then SIGTERM at once")
    consumer = [0]

    def count(request) -> None:  # the consumer spans, counted without keeping them
        consumer[0] += sum(1 for rs in request.resource_spans for ss in rs.scope_spans
                           for s in ss.spans if s.name == "process order-notifications")

    with OtlpReceiver(keep=False) as receiver:
        receiver.on_request = count
        port = free_port()
        run = Running("serve", "--port", str(port), "--endpoint", receiver.endpoint)
        run.wait_for("listening on")
        counts: list[int] = []
        lock = threading.Lock()
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=_client, args=(port, deadline, counts, lock))
                   for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(_line(f"after the load ({sum(counts):,} created)", _health(port)))
        run.signal(signal.SIGTERM)  # at once: the backlog drains within the stop's grace
        status = run.finish(60)
        found = SUMMARY.search(run.text())
        time.sleep(1)
    if found:
        published, consumed, queued, dropped = (int(g.replace(",", "")) for g in found.groups())
        print(_line(f"after the stop (exit {status})", {"published": published, "consumed": consumed,
                                                        "queued": queued, "dropped": dropped}))
    print(f"  consumer spans received: {consumer[0]:,}")


def dead_worker(orders: int = 40_000) -> None:
    print(f"--workers 2 --orders {orders:,} --speed 0: worker 1 SIGKILLed 3 s after export starts")
    with OtlpReceiver(keep=False) as receiver:
        run = Running("--orders", str(orders), "--workers", "2", "--speed", "0", "--json",
                      "--endpoint", receiver.endpoint)
        receiver.wait_for_spans(1, timeout_s=60)
        time.sleep(3)
        children = [int(p) for p in os.popen(f"pgrep -P {run.proc.pid}").read().split()]
        workers = [p for p in children if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()]
        os.kill(workers[-1], signal.SIGKILL)
        status = run.finish(120)
        time.sleep(1)
        received = receiver.span_count
    spans = json.loads(run.text())["spans"]
    low, high = spans["exported"], spans["exported"] + spans["unconfirmed"] + spans["unknown"]
    print(f"  exit {status}; created {spans['created']:,}, exported {spans['exported']:,}, "
          f"unconfirmed {spans['unconfirmed']:,}, failed {spans['failed']:,}, "
          f"unknown {spans['unknown']:,}; received {received:,}")
    print(f"  exported <= received <= exported + unconfirmed + unknown: {low:,} <= {received:,} <= "
          f"{high:,}: {'holds' if low <= received <= high else 'BROKEN'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    serve_backlog(args.seconds, args.clients)
    dead_worker()


if __name__ == "__main__":
    main()

"""Load-mode benchmark: ours against the plain-SDK ceiling, in one run (prints numbers; not a test).

Starts one OTLP/gRPC receiver in this process, then, alternately and against that same
receiver, in separate processes:
  - ours: ``main.py --orders N --speed 0 --json`` (successful orders: the ceiling's trace);
  - the ceiling: ``bench/ceiling.py --orders N``, the same 11 spans per order made with the
    plain SDK, the same resources, W3C propagation and exporter settings (tests/test_ceiling.py
    checks the two traces match key for key);
each with 1 process and with P processes at once (default 2, one per core here).  For each:
spans/s (created / generation wall time, the load summary's measure; with P processes the
sum of the P rates), spans received == created, peak RSS; then the ratio ours/ceiling, and
the median over the rounds.  Last, real time: ``--concurrency 16`` (ideal 16/0.25 s = 64/s).

Ours with P processes is one ``main.py --workers P`` (``--separate`` starts P ``main.py``
at once instead); the ceiling with P is P ``bench/ceiling.py`` at once.  Then how ours
scales (P workers / 1 worker, aim 1.7x with 2) and whether memory stays flat (peak RSS per
worker at 10k and at 200k orders, aim: the same).  With export off, ours and the ceiling
once more: the microseconds each takes to make a span, what export adds to each, and so
how fast ours would have to make a span for 0.95x the ceiling; and ours against the
ceiling run with our load runs' garbage-collector thresholds too (``--gc-like-load``).

Usage: python bench/load.py [--quick] [--orders N] [--rounds R] [--processes P] [--separate]
       (--quick: 8,000 orders per process, 2 rounds, RSS at 10k and 50k, real time 5 s)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulate.receiver import OtlpReceiver  # noqa: E402


@dataclass
class Result:
    side: str
    processes: int
    spans_per_s: float
    created: int
    received: int
    peak_rss_mb: float

    @property
    def lost(self) -> int:
        return self.created - self.received


def ours_command(endpoint: str, orders: int, seed: int, workers: int | None = None) -> list[str]:
    command = [sys.executable, "main.py", "--json", "--endpoint", endpoint, "--orders", str(orders),
               "--speed", "0", "--seed", str(seed)]
    return command + (["--workers", str(workers)] if workers else [])


def ceiling_command(endpoint: str, orders: int) -> list[str]:
    return [sys.executable, str(ROOT / "bench" / "ceiling.py"), "--orders", str(orders),
            "--endpoint", endpoint]


# The ceiling makes spans only: ours is compared with the other two signals off, as the issue's
# "traces only", and measured once more with all three (the default) to show their cost.
TRACES_ONLY = {"OTEL_LOGS_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}


def run_together(commands: list[list[str]], env: dict[str, str] | None = None) -> list[dict]:
    """Start every command at once; their JSON outputs."""
    environment = {**os.environ, **TRACES_ONLY, **(env or {})}
    procs = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=environment) for c in commands]
    outputs = []
    for proc, command in zip(procs, commands):
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command[1:3])} failed ({proc.returncode}):\n{err}")
        outputs.append(json.loads(out))
    return outputs


def measure(receiver: OtlpReceiver, side: str, processes: int, orders: int, round_no: int,
            ours_workers: bool) -> Result:
    before = receiver.span_count
    if side.startswith("ceiling"):  # "ceiling+gc": with our load runs' GC thresholds
        extra = ["--gc-like-load"] if side == "ceiling+gc" else []
        datas = run_together([ceiling_command(receiver.endpoint, orders) + extra] * processes)
        created = sum(d["spans"] for d in datas)
    elif ours_workers and processes > 1:
        datas = run_together([ours_command(receiver.endpoint, orders * processes, round_no,
                                           workers=processes)])
        created = datas[0]["spans"]["created"]
    else:
        datas = run_together([ours_command(receiver.endpoint, orders, 1000 * round_no + i)
                              for i in range(processes)])  # disjoint seeds
        created = sum(d["spans"]["created"] for d in datas)
    receiver.wait_for_spans(before + created, timeout_s=60)
    return Result(side, processes, sum(d["spans_per_s"] for d in datas), created,
                  receiver.span_count - before, max(d["peak_rss_mb"] for d in datas))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about two minutes")
    parser.add_argument("--orders", type=int, help="orders per process (default 20,000; --quick 8,000)")
    parser.add_argument("--rounds", type=int, help="alternations of ours and the ceiling (default 3; "
                                                   "--quick 2)")
    parser.add_argument("--processes", type=int, default=2, help="the parallel case (default 2)")
    parser.add_argument("--separate", action="store_true",
                        help="ours in parallel as P separate main.py, not one main.py --workers P")
    parser.add_argument("--no-real-time", action="store_true", help="skip the real-time run")
    args = parser.parse_args()
    orders = args.orders or (8_000 if args.quick else 20_000)
    rounds = args.rounds or (2 if args.quick else 3)

    with OtlpReceiver(keep=False, workers=8) as receiver:
        print(f"{orders:,} successful orders per process ({orders * 11:,} spans), {rounds} rounds, "
              f"ours and the ceiling alternately, one OTLP/gRPC receiver at {receiver.endpoint}")
        print(f"{'round':>5} {'procs':>5} {'side':<8} {'spans/s':>9} {'created':>9} {'received':>9} "
              f"{'lost':>5} {'RSS MB':>7}")
        results: list[tuple[int, Result]] = []
        for r in range(rounds):
            for processes in (1, args.processes):
                # Alternate who goes first, so neither always gets the cooler machine.
                sides = ("ours", "ceiling") if (r + processes) % 2 else ("ceiling", "ours")
                for side in sides:
                    res = measure(receiver, side, processes, orders, r + 1, not args.separate)
                    results.append((r, res))
                    print(f"{r + 1:>5} {processes:>5} {side:<8} {res.spans_per_s:>9,.0f} "
                          f"{res.created:>9,} {res.received:>9,} {res.lost:>5} "
                          f"{res.peak_rss_mb:>7.0f}", flush=True)

        print("\nmedian over the rounds (spans/s; ratio per round, then its median)")
        for processes in (1, args.processes):
            mine = [res for _, res in results if res.processes == processes]
            ours = [res.spans_per_s for res in mine if res.side == "ours"]
            ceil = [res.spans_per_s for res in mine if res.side == "ceiling"]
            ratios = [o / c for o, c in zip(ours, ceil)]
            lost = sum(res.lost for res in mine)
            how = (f"--workers {processes}" if not args.separate and processes > 1
                   else f"{processes} process{'es' if processes > 1 else ''}")
            print(f"  {how:<12} ours {statistics.median(ours):>8,.0f}  ceiling "
                  f"{statistics.median(ceil):>8,.0f}  ratio {statistics.median(ratios):.0%} "
                  f"({', '.join(f'{x:.0%}' for x in ratios)})  lost {lost}")

        scaling = [par.spans_per_s / one.spans_per_s for (r1, one), (r2, par) in
                   zip([x for x in results if x[1].side == "ours" and x[1].processes == 1],
                       [x for x in results if x[1].side == "ours" and x[1].processes == args.processes])]
        print(f"  ours, {args.processes} workers / 1 worker in the same round: "
              f"{', '.join(f'{x:.2f}x' for x in scaling)} (median {statistics.median(scaling):.2f}x)")

        # The simulation alone (no export, so no receiver on these cores): 1 worker then P,
        # and the ceiling's spans made with nothing exported, alternately.
        alone, ceiling_alone = [], []
        for _ in range(2):
            for workers in (1, args.processes):
                data = run_together([[sys.executable, "main.py", "--json", "--no-export", "--speed", "0",
                                      "--orders", str(orders * workers), "--workers", str(workers)]])[0]
                alone.append((workers, data["spans_per_s"]))
            data = run_together([[sys.executable, str(ROOT / "bench" / "ceiling.py"),
                                  "--orders", str(orders)]])[0]
            ceiling_alone.append(data["spans_per_s"])
        one = statistics.median(v for w, v in alone if w == 1)
        many = statistics.median(v for w, v in alone if w == args.processes)
        print(f"  no export (the simulation alone): 1 worker {one:,.0f}, {args.processes} workers "
              f"{many:,.0f} spans/s: {many / one:.2f}x")
        # Where the 1-worker ratio comes from: making a span (ours / the ceiling, export off),
        # plus what export adds per span when it shares the process (the same exporter code).
        us_ours, us_ceiling = 1e6 / one, 1e6 / statistics.median(ceiling_alone)
        total_ours = 1e6 / statistics.median(r.spans_per_s for _, r in results
                                             if r.side == "ours" and r.processes == 1)
        total_ceiling = 1e6 / statistics.median(r.spans_per_s for _, r in results
                                                if r.side == "ceiling" and r.processes == 1)
        print(f"  per span, 1 process: making it {us_ours:.1f} us ours, {us_ceiling:.1f} us ceiling; "
              f"with export {total_ours:.1f} / {total_ceiling:.1f} us, so export adds "
              f"{total_ours - us_ours:.1f} / {total_ceiling - us_ceiling:.1f} us")
        print(f"  the simulation's own cost per span (ours - ceiling, export off): "
              f"{us_ours - us_ceiling:.1f} us (aim: 10 us or less)")
        print(f"  0.85x the ceiling needs ours to make a span in "
              f"{total_ceiling / 0.85 - (total_ours - us_ours):.1f} us or less")
        # The three signals: the same run with log records and metric points exported too.
        three = []
        for r in range(2):
            for env in ((TRACES_ONLY, "traces only"), ({"OTEL_LOGS_EXPORTER": "otlp",
                                                        "OTEL_METRICS_EXPORTER": "otlp"}, "all three")):
                before = receiver.counts["logs"]
                data = run_together([ours_command(receiver.endpoint, orders, 5000 + r)], env=env[0])[0]
                exported = (data.get("log_records") or {}).get("exported", 0)
                receiver.wait_for("logs", before + exported, timeout_s=30)
                three.append((env[1], data["spans_per_s"], exported, receiver.counts["logs"] - before))
        for label in ("traces only", "all three"):
            rates = [rate for name, rate, *_rest in three if name == label]
            records = [(sent, got) for name, _rate, sent, got in three if name == label]
            print(f"  ours with {label}: {statistics.median(rates):,.0f} spans/s "
                  f"(rounds {', '.join(f'{x:,.0f}' for x in rates)}); log records exported/received "
                  f"{', '.join(f'{a:,}/{b:,}' for a, b in records)}")
        # Our load runs raise the garbage collector's thresholds; the ceiling, a plain SDK
        # program, keeps Python's.  The same comparison with the ceiling tuned alike:
        tuned = [measure(receiver, side, 1, orders, rounds + r + 1, not args.separate)
                 for r in range(2) for side in (("ours", "ceiling+gc") if r % 2 else ("ceiling+gc", "ours"))]
        ours_again = statistics.median(res.spans_per_s for res in tuned if res.side == "ours")
        ceiling_tuned = statistics.median(res.spans_per_s for res in tuned if res.side == "ceiling+gc")
        print(f"  with the ceiling given our load runs' GC thresholds too: ours {ours_again:,.0f}, "
              f"ceiling {ceiling_tuned:,.0f} spans/s: {ours_again / ceiling_tuned:.0%} "
              f"(lost {sum(res.lost for res in tuned)})")

        sizes = (10_000, 50_000 if args.quick else 200_000)
        print(f"\npeak RSS per worker, --workers {args.processes} --no-export:")
        for size in sizes:
            data = run_together([[sys.executable, "main.py", "--json", "--no-export", "--speed", "0",
                                  "--orders", str(size * args.processes),
                                  "--workers", str(args.processes)]])[0]
            print(f"  {size:>8,} orders per worker: "
                  f"{', '.join(str(w['peak_rss_mb']) for w in data['workers'])} MB")

        if not args.no_real_time:
            seconds = 5 if args.quick else 10
            result = subprocess.run([sys.executable, "main.py", "--json", "--endpoint", receiver.endpoint,
                                     "--concurrency", "16", "--duration", str(seconds), "--speed", "1"],
                                    cwd=ROOT, capture_output=True, text=True, check=True)
            data = json.loads(result.stdout)
            ideal = 16 / 0.25
            steady = data["orders"]["total"] / seconds
            print(f"\nreal time, --concurrency 16 for {seconds} s: {data['orders']['total']} orders, "
                  f"{steady:.1f} orders/s per simulated second (ideal {ideal:.0f}: {steady / ideal:.0%}), "
                  f"root p50 {data['latency_ms']['POST /api/orders']['p50']:.1f} ms")
    print(f"(bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
          "the receiver included)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A/B of two CourierBench binaries on one nginx, alternating old and new each round.

    Benchmarks/ab.py OLD_BINARY NEW_BINARY 2,4a [ROUNDS]

Build the old one from a worktree of the earlier commit (`swift build -c release --product
CourierBench` in its Benchmarks folder). Prints, per scenario, the median rate and CPU cost of
each binary and every round's cost, since rounds spread by ±15 % on a shared machine.
"""
import os, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run


def main():
    old, new, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    server = run.Server()
    try:
        for prefix in names:
            scenario = next(s for s in run.SCENARIOS if s.name.startswith(prefix + "."))
            results = {"old": [], "new": []}
            for _ in range(rounds):
                for label, binary in (("old", old), ("new", new)):
                    env = dict(os.environ, BENCH_CA=server.certificate_authority,
                               BENCH_UPLOAD_FILE=server.upload_file, BENCH_HTTP2="1" if scenario.http2 else "0")
                    output = subprocess.run([binary, server.url(scenario), scenario.mode, str(scenario.requests),
                                             str(scenario.concurrency)], env=env, check=True, capture_output=True,
                                            text=True).stdout
                    line = next(l for l in output.splitlines() if l.startswith("RESULT "))
                    fields = dict(item.split("=") for item in line.split()[1:])
                    rate, cost = ("mb_per_s", "cpu_s_per_gib") if scenario.moves_bytes else ("rps", "cpu_us_per_req")
                    results[label].append((float(fields[rate]), float(fields[cost])))
            for label in ("old", "new"):
                rates = [r for r, _ in results[label]]
                costs = [c for _, c in results[label]]
                print(f"{scenario.name}: {label} rate {statistics.median(rates):.0f}, cost {statistics.median(costs):.2f}"
                      f" (rounds {[round(c, 1) for c in costs]})", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

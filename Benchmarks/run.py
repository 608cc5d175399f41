#!/usr/bin/env python3
"""`make bench`: Courier against AsyncHTTPClient and wrk on one nginx, alternating, median of 3.

Each client is its own process; it warms up with one request, then reports requests/s, client
CPU µs per request (getrusage) and peak RSS. wrk's CPU comes from getrusage of its children.
BENCH_QUICK=1 runs smaller counts (under a minute).
"""
import os, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, ".build", "release")
QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3
SCENARIOS = [
    # name, scheme, path, mode, requests, concurrency
    ("h1 GET /hello sequential", "http", "/hello", "sequential", 3000 if QUICK else 20000, 1),
    ("h1 GET /hello 64 in flight", "http", "/hello", "concurrent", 10000 if QUICK else 100000, 64),
    ("TLS 1.3 h1 GET /hello sequential", "https", "/hello", "sequential", 3000 if QUICK else 20000, 1),
    ("TLS 1.3 handshakes: a new connection per request", "https", "/hello", "handshake", 300 if QUICK else 2000, 1),
    ("h1 download of a 256 MiB body", "http", "/big", "download", 1 if QUICK else 3, 1),
    ("h1 upload of a 256 MiB streamed body", "http", "/upload", "upload", 1 if QUICK else 3, 1),
]
BIG = 256 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificates(prefix):
    """A throwaway CA and a leaf for 127.0.0.1, with the openssl command line."""
    def run(*arguments):
        subprocess.run(["openssl", *arguments], check=True, capture_output=True)
    path = lambda name: os.path.join(prefix, name)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=Courier bench CA", "-keyout", path("ca.key"), "-out", path("ca.pem"))
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", path("leaf.key"), "-out", path("leaf.csr"))
    with open(path("leaf.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", path("leaf.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
        "-days", "2", "-extfile", path("leaf.ext"), "-out", path("leaf.pem"))
    return path("ca.pem")


def start_nginx():
    prefix = tempfile.mkdtemp(prefix="courier-bench-")
    os.makedirs(os.path.join(prefix, "html"))
    with open(os.path.join(prefix, "html", "big"), "wb") as f:
        f.truncate(BIG)
    port = free_port()
    tls_port = free_port()
    certificate_authority = make_certificates(prefix)
    with open(os.path.join(HERE, "nginx.conf")) as f:
        config = (f.read().replace("@PORT@", str(port)).replace("@TLSPORT@", str(tls_port))
                  .replace("@PREFIX@", prefix))
    with open(os.path.join(prefix, "nginx.conf"), "w") as f:
        f.write(config)
    process = subprocess.Popen(["nginx", "-p", prefix, "-c", os.path.join(prefix, "nginx.conf")])
    for _ in range(250):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            socket.create_connection(("127.0.0.1", tls_port), timeout=0.1).close()
            return process, port, tls_port, prefix, certificate_authority
        except OSError:
            time.sleep(0.02)
    raise SystemExit("nginx did not start")


def run_swift(binary, url, mode, count, concurrency):
    output = subprocess.run([os.path.join(BIN, binary), url, mode, str(count), str(concurrency)],
                            check=True, capture_output=True, text=True, env=dict(os.environ, BENCH_CA=CA)).stdout
    line = next(l for l in output.splitlines() if l.startswith("RESULT "))
    fields = dict(item.split("=") for item in line.split()[1:])
    if mode in ("download", "upload"):
        return float(fields["mb_per_s"]), float(fields["cpu_s_per_gib"]), float(fields["peak_rss_mib"])
    return float(fields["rps"]), float(fields["cpu_us_per_req"]), float(fields["peak_rss_mib"])


def run_curl(url, mode, count, concurrency):
    """curl downloads the body `count` times; CPU from wait4 on its process."""
    if mode != "download":
        return None
    start = time.monotonic()
    cpu = 0.0
    for _ in range(count):
        process = subprocess.Popen(["curl", "-s", "-o", "/dev/null", url])
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("curl failed")
        cpu += usage.ru_utime + usage.ru_stime
    wall = time.monotonic() - start
    total = count * BIG
    return total / wall / 1e6, cpu / (total / (1 << 30)), float("nan")


def run_wrk(url, mode, count, concurrency):
    """wrk runs for a duration; its CPU and peak RSS come from wait4 on its own process."""
    if mode == "upload":
        return None
    connections = concurrency if mode == "concurrent" else 1
    duration = 2 if QUICK else 5
    headers = ["-H", "Connection: close"] if mode == "handshake" else []
    with tempfile.TemporaryFile(mode="w+") as out:
        process = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", *headers, url], stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"wrk failed with {process.returncode}")
        out.seek(0)
        output = out.read()
    summary = next(l for l in output.splitlines() if "requests in" in l)
    requests = int(summary.split()[0])
    rps = float(next(l for l in output.splitlines() if l.startswith("Requests/sec")).split()[1])
    if mode == "download":
        read = summary.split(",")[-1].split()[0]
        units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
        total = float(read[:-2]) * units[read[-2:]]
        seconds = float(summary.split(" in ")[1].split("s")[0])
        return total / seconds / 1e6, (usage.ru_utime + usage.ru_stime) / (total / (1 << 30)), float("nan")
    # ru_maxrss of a forked child includes this Python process's pages, so it is not reported.
    return rps, (usage.ru_utime + usage.ru_stime) * 1e6 / requests, float("nan")


CA = None


def main():
    global CA
    nginx, port, tls_port, prefix, CA = start_nginx()
    try:
        bases = {"http": f"http://127.0.0.1:{port}", "https": f"https://127.0.0.1:{tls_port}"}
        clients = [("Courier", lambda *a: run_swift("CourierBench", *a)),
                   ("AsyncHTTPClient 1.37", lambda *a: run_swift("AHCBench", *a)),
                   ("curl", run_curl),
                   ("wrk (C limit)", run_wrk)]
        print(f"nginx 1 worker on 127.0.0.1:{port}; {RUNS} alternating runs per client, medians"
              + (" (BENCH_QUICK)" if QUICK else ""))
        for name, scheme, path, mode, count, concurrency in SCENARIOS:
            results = {client: [] for client, _ in clients}
            for _ in range(RUNS):
                for client, run in clients:
                    outcome = run(bases[scheme] + path, mode, count, concurrency)
                    if outcome is not None:
                        results[client].append(outcome)
            bytes_scenario = mode in ("download", "upload")
            rate, cost = ("MB/s", "CPU s/GiB") if bytes_scenario else ("req/s", "CPU µs/req")
            print(f"\n{name} ({count} requests for the Swift clients)")
            print(f"  {'client':<22} {rate:>9} {cost:>11} {'peak RSS MiB':>13}   Courier/peer ({rate}, CPU)")
            courier = [statistics.median(x) for x in zip(*results["Courier"])]
            for client, _ in clients:
                if not results[client]:
                    continue
                rps, cpu, rss = [statistics.median(x) for x in zip(*results[client])]
                ratio = "" if client == "Courier" else f"{courier[0] / rps:.2f}×, {courier[1] / cpu:.2f}×"
                print(f"  {client:<22} {rps:>9.0f} {cpu:>11.2f} {rss:>13.1f}   {ratio}")
    finally:
        nginx.send_signal(3)
        nginx.wait()
        subprocess.run(["rm", "-rf", prefix])


if __name__ == "__main__":
    main()

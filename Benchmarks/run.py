#!/usr/bin/env python3
"""`make bench`: Courier against AsyncHTTPClient, URLSession, curl and wrk/h2load on one nginx.

Every client is its own process and runs each scenario three times, alternating with the others;
the table shows medians. A Swift client warms up with one request, then reports requests/s (or
MB/s), client CPU per request (getrusage over the timed part), context switches per request (a
thread going to sleep: what a hop between threads costs) and peak RSS. The C tools' CPU and
context switches come from wait4 on their process.

Before the timed runs, each client makes a short verification run against nginx's logging ports
with `libMallocCounter.so` preloaded: nginx's log says which protocol and how many connections
it really used, and the counter gives heap allocations per request.

BENCH_QUICK=1 runs one round of smaller counts (under a minute or two). BENCH_SCENARIOS=5a,7 runs
only the scenarios whose names start with those numbers.
"""
import os, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, ".build", "release")
MALLOC_COUNTER = os.path.join(BIN, "libMallocCounter.so")
QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 1 if QUICK else 3
BIG = 256 << 20
# URLSession is an order of magnitude slower; it runs this fraction of each request count.
URLSESSION_SHARE = 5


class Scenario:
    def __init__(self, name, protocol, path, mode, requests, concurrency=1, cache=False, probe=False,
                 baseline=None, proxy=False, answered=False):
        self.name, self.protocol, self.path, self.mode = name, protocol, path, mode
        self.requests, self.concurrency = requests, concurrency
        # `cache`: Courier with a disk cache, fresh hits only (the warm-up stores the response);
        # `probe`: Courier reports how late a 1 ms sleep on the cooperative pool wakes meanwhile;
        # `baseline`: the scenario whose Courier CPU per request this one is compared with.
        self.cache, self.probe, self.baseline = cache, probe, baseline
        # `proxy`: through tinyproxy on loopback (forwarding for http://, CONNECT for https://).
        self.proxy = proxy
        # `answered`: Courier only, every call answered by an application interceptor before any
        # connection is looked for: what a call costs Courier itself (dispatcher, call, body).
        self.answered = answered

    @property
    def scheme(self):
        return "http" if self.protocol in ("h1", "h2c") else "https"

    @property
    def http2(self):
        return self.protocol in ("h2", "h2c")

    @property
    def moves_bytes(self):
        return self.mode in ("download", "upload")


def count(full, quick):
    return quick if QUICK else full


SCENARIOS = [
    Scenario("0. 64 calls in flight answered by an application interceptor (no network)", "h1", "/hello",
             "concurrent", count(100000, 10000), 64, answered=True),
    Scenario("1. h1 GET /hello sequential", "h1", "/hello", "sequential", count(20000, 2000)),
    Scenario("2. h1 GET /hello, 64 in flight", "h1", "/hello", "concurrent", count(100000, 10000), 64),
    Scenario("3. h1 download of a 256 MiB body", "h1", "/big", "download", count(3, 1)),
    Scenario("3b. TLS 1.3 h1 download of a 256 MiB body", "tls", "/big", "download", count(3, 1)),
    Scenario("4a. TLS 1.3 h1 GET /hello sequential", "tls", "/hello", "sequential", count(20000, 2000)),
    Scenario("4b. TLS 1.3 h1 GET /hello, 64 in flight", "tls", "/hello", "concurrent", count(100000, 10000), 64),
    Scenario("4c. TLS 1.3 handshakes: a new connection per request", "tls", "/hello", "handshake", count(2000, 200)),
    Scenario("5a. h2 + TLS GET /hello, 64 streams", "h2", "/hello", "concurrent", count(100000, 10000), 64),
    Scenario("5b. h2 + TLS GET /hello, 256 streams", "h2", "/hello", "concurrent", count(100000, 10000), 256),
    Scenario("6. h1 upload of a 256 MiB streamed body", "h1", "/upload", "upload", count(3, 1)),
    Scenario("7a. h2 + TLS download of a 256 MiB body on one stream", "h2", "/big", "download", count(3, 1)),
    Scenario("7b. h2c download of a 256 MiB body on one stream", "h2c", "/big", "download", count(3, 1)),
    Scenario("8. h2c (prior knowledge) GET /hello, 64 streams", "h2c", "/hello", "concurrent",
             count(100000, 10000), 64),
    Scenario("9a. h1 GET /cached sequential, fresh hits from the disk cache", "h1", "/cached", "sequential",
             count(20000, 2000), cache=True, baseline="1."),
    Scenario("9b. h1 GET /cached, 64 in flight, fresh hits from the disk cache", "h1", "/cached", "concurrent",
             count(100000, 10000), 64, cache=True, probe=True, baseline="2."),
    Scenario("10a. h1 GET /hello through tinyproxy, sequential", "h1", "/hello", "sequential", count(20000, 2000),
             proxy=True),
    Scenario("10b. TLS h1 GET /hello through a tinyproxy CONNECT tunnel, sequential", "tls", "/hello", "sequential",
             count(20000, 2000), proxy=True),
]


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


class Server:
    """nginx with the config in this folder, on ephemeral loopback ports."""

    def __init__(self):
        self.prefix = tempfile.mkdtemp(prefix="courier-bench-")
        os.makedirs(os.path.join(self.prefix, "html"))
        for name in ("html/big", "upload"):
            with open(os.path.join(self.prefix, name), "wb") as f:
                f.truncate(BIG)
        self.upload_file = os.path.join(self.prefix, "upload")
        self.ports = {key: free_port() for key in
                      ("PORT", "TLSPORT", "H2CPORT", "VERIFYPORT", "VERIFYTLSPORT", "VERIFYH2CPORT")}
        self.certificate_authority = make_certificates(self.prefix)
        with open(os.path.join(HERE, "nginx.conf")) as f:
            config = f.read().replace("@PREFIX@", self.prefix)
        for key, port in self.ports.items():
            config = config.replace(f"@{key}@", str(port))
        with open(os.path.join(self.prefix, "nginx.conf"), "w") as f:
            f.write(config)
        self.log = os.path.join(self.prefix, "verify.log")
        self.proxy_port = free_port()
        with open(os.path.join(self.prefix, "tinyproxy.conf"), "w") as f:
            f.write(f"Port {self.proxy_port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 200\nAllow 127.0.0.1\n"
                    f"LogLevel Critical\nLogFile \"{self.prefix}/tinyproxy.log\"\nDisableViaHeader Yes\n")
        self.proxy_process = subprocess.Popen(["tinyproxy", "-d", "-c", os.path.join(self.prefix, "tinyproxy.conf")],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.process = subprocess.Popen(["nginx", "-p", self.prefix, "-c", os.path.join(self.prefix, "nginx.conf")])
        for _ in range(250):
            try:
                for port in [*self.ports.values(), self.proxy_port]:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise SystemExit("nginx did not start")

    def url(self, scenario, verify=False):
        port = {"h1": "PORT", "h2c": "H2CPORT"}.get(scenario.protocol, "TLSPORT")
        key = ("VERIFY" if verify else "") + port
        return f"{scenario.scheme}://127.0.0.1:{self.ports[key]}{scenario.path}"

    def log_size(self):
        return os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def logged_since(self, offset):
        """Protocols and distinct connections in the log after `offset`. nginx counts the
        probe connections of start-up too, but those made no requests, so they do not appear."""
        with open(self.log) as f:
            f.seek(offset)
            lines = [line.split() for line in f if line.strip()]
        protocols = sorted({protocol for protocol, _ in lines})
        return "/".join(p.replace("HTTP/", "h") for p in protocols), len({c for _, c in lines})

    def stop(self):
        self.proxy_process.terminate()
        self.proxy_process.wait()
        self.process.send_signal(3)
        self.process.wait()
        subprocess.run(["rm", "-rf", self.prefix])


class Result:
    def __init__(self, rate, cost, switches=float("nan"), rss=float("nan"), allocations=float("nan")):
        self.rate, self.cost, self.switches, self.rss, self.allocations = rate, cost, switches, rss, allocations


def wait_for(command, env=None, stdout=subprocess.DEVNULL):
    """Runs a command to completion; returns its rusage (the C tools' CPU comes from here)."""
    process = subprocess.Popen(command, env=env, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[0]} failed ({os.waitstatus_to_exitcode(status)}): {process.stderr.read()}")
    return usage


def cpu_seconds(usage):
    return usage.ru_utime + usage.ru_stime


class SwiftClient:
    """One of the client programs built from this package."""

    def __init__(self, name, binary, requests_share=1, supports_http2=True, supports_h2c=False,
                 needs_system_trust=False):
        self.name, self.binary, self.requests_share = name, binary, requests_share
        self.supports_http2, self.supports_h2c = supports_http2, supports_h2c
        self.needs_system_trust = needs_system_trust

    def requests(self, scenario):
        if scenario.moves_bytes:
            return scenario.requests
        return max(scenario.requests // self.requests_share, 1)

    def skip_reason(self, scenario):
        if scenario.cache and self.binary != "CourierBench":
            return "not configured with a cache here"
        if scenario.proxy and self.binary != "CourierBench":
            return "not configured with a proxy here"
        if scenario.answered and self.binary != "CourierBench":
            return "Courier's own floor: no network"
        if scenario.http2 and not self.supports_http2:
            return "does not speak HTTP/2"
        if scenario.protocol == "h2c" and not self.supports_h2c:
            return "does not speak h2c with prior knowledge"
        if scenario.scheme == "https" and self.needs_system_trust and os.geteuid() != 0:
            return "trusts only the system store; run as root to bind-mount the bench CA over it"
        return None

    def run(self, server, scenario, verify=False):
        requests = min(self.requests(scenario), 2000) if verify else self.requests(scenario)
        command = [os.path.join(BIN, self.binary), server.url(scenario, verify), scenario.mode, str(requests),
                   str(scenario.concurrency)]
        if scenario.scheme == "https" and self.needs_system_trust:
            # libcurl under URLSession reads the system bundle only: show it the bench CA instead,
            # in a mount namespace of its own.
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                       f'mount --bind "$BENCH_CA" /etc/ssl/certs/ca-certificates.crt && exec "$@"', "sh", *command]
        env = dict(os.environ, BENCH_CA=server.certificate_authority, BENCH_UPLOAD_FILE=server.upload_file,
                   BENCH_HTTP2="1" if scenario.http2 else "0", BENCH_PROBE="1" if scenario.probe else "0",
                   BENCH_PROXY=f"127.0.0.1:{server.proxy_port}" if scenario.proxy else "",
                   BENCH_ANSWERED="1" if scenario.answered else "0")
        if verify:
            env["LD_PRELOAD"] = MALLOC_COUNTER
        cache = tempfile.mkdtemp(prefix="courier-bench-cache-") if scenario.cache else None
        if cache:
            env["BENCH_CACHE_DIR"] = cache
        try:
            output = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
        finally:
            if cache:
                subprocess.run(["rm", "-rf", cache])
        for extra in (l for l in output.splitlines() if l.startswith(("PROBE ", "CACHE "))):
            print(f"    {self.name}: {extra}", flush=True)
        line = next(l for l in output.splitlines() if l.startswith("RESULT "))
        fields = dict(item.split("=") for item in line.split()[1:])
        if scenario.moves_bytes:
            rate, cost = float(fields["mb_per_s"]), float(fields["cpu_s_per_gib"])
        else:
            rate, cost = float(fields["rps"]), float(fields["cpu_us_per_req"])
        return Result(rate, cost, float(fields["switches_per_req"]), float(fields["peak_rss_mib"]),
                      float(fields["allocs_per_req"]))


class Curl:
    """curl 7.88, one process: keep-alive over a URL range, `--parallel` for requests in flight."""
    name = "curl"

    def requests(self, scenario):
        return scenario.requests

    def skip_reason(self, scenario):
        if scenario.answered:
            return "no network in this scenario"
        if scenario.cache:
            return "has no HTTP cache"
        if scenario.protocol == "h2c" and scenario.mode == "concurrent":
            return "curl 7.88 fails the second parallel stream on a prior-knowledge connection"
        return None

    def run(self, server, scenario, verify=False):
        requests = min(scenario.requests, 2000) if verify else scenario.requests
        url = server.url(scenario, verify)
        options = ["-s", "--fail", "--cacert", server.certificate_authority,
                   {"h2": "--http2", "h2c": "--http2-prior-knowledge"}.get(scenario.protocol, "--http1.1")]
        if scenario.proxy:
            options += ["-x", f"http://127.0.0.1:{server.proxy_port}"]
        if scenario.moves_bytes:
            body = ["-X", "POST", "-T", server.upload_file] if scenario.mode == "upload" else []
            start, cpu, switches = time.monotonic(), 0.0, 0
            for _ in range(requests):
                usage = wait_for(["curl", *options, *body, "-o", "/dev/null", url])
                cpu += cpu_seconds(usage)
                switches += usage.ru_nvcsw + usage.ru_nivcsw
            total = requests * BIG
            return Result(total / (time.monotonic() - start) / 1e6, cpu / (total / (1 << 30)), switches / requests)
        if scenario.mode == "concurrent":
            options += ["-Z", "--parallel-max", str(scenario.concurrency)]
        if scenario.mode == "handshake":
            options += ["-H", "Connection: close"]
        start = time.monotonic()
        usage = wait_for(["curl", *options, f"{url}?[1-{requests}]"])
        wall = time.monotonic() - start
        return Result(requests / wall, cpu_seconds(usage) * 1e6 / requests,
                      (usage.ru_nvcsw + usage.ru_nivcsw) / requests)


class LoadGenerator:
    """The practical limit: wrk for HTTP/1.1, h2load for HTTP/2, each a single thread."""
    name = "wrk / h2load (C limit)"

    def requests(self, scenario):
        return scenario.requests

    def skip_reason(self, scenario):
        if scenario.answered:
            return "no network in this scenario"
        if scenario.cache:
            return "has no HTTP cache"
        if scenario.proxy:
            return "wrk and h2load do not go through proxies"
        return "wrk cannot upload a streamed body" if scenario.mode == "upload" else None

    def run(self, server, scenario, verify=False):
        url = server.url(scenario, verify)
        if scenario.http2:
            # h2load speaks h2c with prior knowledge to http:// URLs.
            requests = min(scenario.requests, 2000) if verify else scenario.requests
            with tempfile.TemporaryFile(mode="w+") as out:
                start = time.monotonic()
                usage = wait_for(["h2load", "-n", str(requests), "-c", "1", "-m", str(scenario.concurrency), url],
                                 stdout=out)
                wall = time.monotonic() - start
                out.seek(0)
                done = next(l for l in out.read().splitlines() if l.startswith("requests:"))
            if f"{requests} succeeded" not in done:
                raise SystemExit(f"h2load: {done}")
            switches = (usage.ru_nvcsw + usage.ru_nivcsw) / requests
            if scenario.moves_bytes:
                total = requests * BIG
                return Result(total / wall / 1e6, cpu_seconds(usage) / (total / (1 << 30)), switches)
            return Result(requests / wall, cpu_seconds(usage) * 1e6 / requests, switches)
        connections = scenario.concurrency if scenario.mode == "concurrent" else 1
        headers = ["-H", "Connection: close"] if scenario.mode == "handshake" else []
        duration = 1 if verify or QUICK else 5
        with tempfile.TemporaryFile(mode="w+") as out:
            usage = wait_for(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", *headers, url], stdout=out)
            out.seek(0)
            output = out.read()
        summary = next(l for l in output.splitlines() if "requests in" in l)
        requests = int(summary.split()[0])
        switches = (usage.ru_nvcsw + usage.ru_nivcsw) / requests
        if scenario.mode == "download":
            read = summary.split(",")[-1].split()[0]
            units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
            total = float(read[:-2]) * units[read[-2:]]
            seconds = float(summary.split(" in ")[1].split("s")[0])
            return Result(total / seconds / 1e6, cpu_seconds(usage) / (total / (1 << 30)), switches)
        rps = float(next(l for l in output.splitlines() if l.startswith("Requests/sec")).split()[1])
        return Result(rps, cpu_seconds(usage) * 1e6 / requests, switches)


CLIENTS = [
    SwiftClient("Courier", "CourierBench", supports_h2c=True),
    SwiftClient("AsyncHTTPClient 1.37", "AHCBench"),
    SwiftClient("URLSession", "URLSessionBench", requests_share=URLSESSION_SHARE, needs_system_trust=True),
    Curl(),
    LoadGenerator(),
]


def median(results, field):
    return statistics.median(getattr(r, field) for r in results)


def report(scenario, results, verified, skipped):
    rate, cost, unit = ("MB/s", "CPU s/GiB", "MiB") if scenario.moves_bytes else ("req/s", "CPU µs/req", "req")
    # Switches and allocations per MiB moved for the byte scenarios (each request moves 256 MiB).
    per = BIG >> 20 if scenario.moves_bytes else 1
    print(f"\n{scenario.name}")
    print(f"  {'client':<24} {'requests':>8} {rate:>8} {cost:>10} {'switch/' + unit:>10} {'alloc/' + unit:>9}"
          f" {'RSS MiB':>7}  {'seen by nginx':<16} Courier/peer ({rate}, CPU)")
    courier = results.get("Courier")
    for client in CLIENTS:
        if client.name in skipped:
            print(f"  {client.name:<24} {'–':>8}  {skipped[client.name]}")
            continue
        runs = results[client.name]
        rate_value, cost_value = median(runs, "rate"), median(runs, "cost")
        protocol, connections, allocations = verified[client.name]
        seen = f"{protocol}, {connections} conn" + ("" if connections == 1 else "s")
        ratio = ""
        if courier and client.name != "Courier":
            ratio = f"{median(courier, 'rate') / rate_value:.2f}×, {median(courier, 'cost') / cost_value:.2f}×"
        print(f"  {client.name:<24} {client.requests(scenario):>8} {rate_value:>8.0f} {cost_value:>10.2f}"
              f" {median(runs, 'switches') / per:>10.2f} {allocations / per:>9.1f} {median(runs, 'rss'):>7.0f}  {seen:<16} {ratio}")


def main():
    server = Server()
    try:
        print(f"nginx 1 worker on 127.0.0.1 ({server.ports['PORT']}, TLS {server.ports['TLSPORT']});"
              f" {RUNS} alternating run(s) per client, medians" + (" (BENCH_QUICK)" if QUICK else ""))
        only = [s for s in os.environ.get("BENCH_SCENARIOS", "").split(",") if s]
        courier_costs = {}
        for scenario in SCENARIOS:
            if only and not any(scenario.name.startswith(prefix + ".") or scenario.name.startswith(prefix + " ")
                                for prefix in only):
                continue
            skipped = {c.name: c.skip_reason(scenario) for c in CLIENTS if c.skip_reason(scenario)}
            active = [c for c in CLIENTS if c.name not in skipped]
            verified = {}
            for client in active:
                offset = server.log_size()
                outcome = client.run(server, scenario, verify=True)
                verified[client.name] = (*server.logged_since(offset), outcome.allocations)
            results = {client.name: [] for client in active}
            for _ in range(RUNS):
                for client in active:
                    results[client.name].append(client.run(server, scenario))
            report(scenario, results, verified, skipped)
            if "Courier" in results:
                courier_costs[scenario.name.split(" ")[0]] = median(results["Courier"], "cost")
            if scenario.baseline and scenario.baseline in courier_costs and "Courier" in results:
                ratio = courier_costs[scenario.name.split(" ")[0]] / courier_costs[scenario.baseline]
                print(f"  Courier CPU per request here ÷ scenario {scenario.baseline[:-1]} over the network:"
                      f" {ratio:.2f}× (target ≤ 0.5×)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()

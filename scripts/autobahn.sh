#!/usr/bin/env bash
# Runs the Autobahn|Testsuite fuzzing server (RFC 6455 + RFC 7692) against Courier's WebSocket
# client (Sources/CourierAutobahn) and prints, per top-level section, how many cases were OK,
# NON-STRICT, INFORMATIONAL, UNIMPLEMENTED and FAILED. Exits 1 on any FAILED or UNIMPLEMENTED
# case (and on a case the client had to abandon). See Docs/Conformance.md.
#
#   scripts/autobahn.sh                          all 517 cases (about 18 minutes on 2 cores)
#   scripts/autobahn.sh '1.*,2.*,3.*'            the cases the fuzzing server's spec selects
#   AUTOBAHN_CASES='12.1.*' scripts/autobahn.sh  the same, from the environment
#   scripts/autobahn.sh --if-available '1.*'     skips (exit 0) where pyenv's Python 2.7.18 is missing
#
# AUTOBAHN_CONFIG (debug or release, default debug) picks the client's build;
# AUTOBAHN_CASE_TIMEOUT (seconds, default 120) bounds each case on the client's side.
#
# The suite runs only on Python 2.7 (it is Python 2 code; no maintained port exists), which
# Debian 12 lacks: it comes from pyenv. The first run installs the suite from PyPI into
# .build-autobahn/venv (about 2 minutes); later runs reuse it. Reports go to
# .build-autobahn/reports (index.json, one JSON and HTML per case), with the spec used, the
# server's log (server.log) and the client's, one line per case (client.log).
#
# wstest binds port 9001 on every interface whatever its url says, so the server and the client
# run in a private network namespace (unshare -n) in which only loopback exists.
set -euo pipefail
cd "$(dirname "$0")/.."

if_available=false
if [ "${1:-}" = "--if-available" ]; then
  if_available=true
  shift
fi
cases="${1:-${AUTOBAHN_CASES:-*}}"
config="${AUTOBAHN_CONFIG:-debug}"
case_timeout="${AUTOBAHN_CASE_TIMEOUT:-120}"
swift="${SWIFT:-swift}"
work="$PWD/.build-autobahn"
venv="$work/venv"
agent=Courier
# Two runs at once (each in its own namespace) need their own AUTOBAHN_REPORTS.
reports="${AUTOBAHN_REPORTS:-$work/reports}"
reports="$(realpath -m "$reports")"

python2="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")/versions/2.7.18/bin/python"
# Where the suite cannot run, --if-available says why and skips; otherwise that is an error.
unavailable() {
  if $if_available; then
    echo "Autobahn: $1 Skipped."
    exit 0
  fi
  echo "Autobahn: $1" >&2
  exit 1
}
[ -x "$python2" ] || unavailable "pyenv's Python 2.7.18 ($python2) is missing; the fuzzing server needs it."
unshare -n true 2>/dev/null || unavailable "cannot create a network namespace (unshare -n needs root or user namespaces)."

# The versions that work together on Python 2.7 (see shared/conformance/autobahn/README.md):
# the suite's own wheel declares no dependencies, so every one is pinned here.
install_suite() {
  rm -rf "$venv" "$work/venvtool"
  mkdir -p "$work"
  "$python2" -m pip install --quiet --disable-pip-version-check --target "$work/venvtool" 'virtualenv<20.22' &&
    PYTHONPATH="$work/venvtool" "$python2" -m virtualenv --quiet "$venv" &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check autobahntestsuite==25.10.1 \
      txaio==2.1.0 incremental==16.10.1 pyOpenSSL==19.1.0 cryptography==3.3.2 \
      Twisted==19.10.0 zope.interface==4.6.0 jinja2==2.11.3 markupsafe==1.1.1 \
      Werkzeug==1.0.1 klein==17.10.0 service_identity==18.1.0 unittest2==1.1.0 \
      six==1.16.0 'autobahn[accelerate,twisted]==0.10.9'
}
if [ ! -x "$venv/bin/wstest" ]; then
  echo "Autobahn: installing the fuzzing server into $venv (from PyPI, about 2 minutes)"
  if ! install_suite; then
    rm -rf "$venv"
    unavailable "installing the fuzzing server from PyPI failed (see above)."
  fi
fi

# SWIFT may wrap the compiler (make passes its own; e.g. SWIFT="flock /tmp/build.lock swift").
$swift build -c "$config" --product CourierAutobahn
client="$($swift build -c "$config" --show-bin-path)/CourierAutobahn"

# The spec: the cases asked for ("1.*,2.*" becomes ["1.*", "2.*"]), a fresh report folder, no
# web UI; failByDrop off, as the shared spec has it.
rm -rf "$reports"
mkdir -p "$reports"
spec="$reports/fuzzingserver.json"
case_list="$(printf '%s' "$cases" | tr -d ' ' | sed -e 's/,/", "/g' -e 's/^/"/' -e 's/$/"/')"
cat >"$spec" <<EOF
{
  "url": "ws://127.0.0.1:9001",
  "options": {"failByDrop": false},
  "outdir": "$reports",
  "webport": 0,
  "cases": [$case_list],
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
EOF

echo "Autobahn: cases $cases, client $client"
started=$(date +%s)
client_status=0
unshare -n bash -s -- "$venv/bin/wstest" "$spec" "$reports/server.log" "$client" "$agent" "$case_timeout" \
  "$reports/client.log" <<'EOF' \
  || client_status=$?
set -u
wstest="$1" spec="$2" log="$3" client="$4" agent="$5" timeout="$6" client_log="$7"
ip link set lo up
"$wstest" -m fuzzingserver -s "$spec" >"$log" 2>&1 &
server=$!
# The server takes a second or two to start listening.
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/9001) 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { echo "the fuzzing server did not start; see $log" >&2; exit 1; }
  sleep 0.2
done
status=0
"$client" --url ws://127.0.0.1:9001 --agent "$agent" --case-timeout "$timeout" >"$client_log" 2>&1 || status=$?
kill "$server"
wait "$server" 2>/dev/null
exit $status
EOF
echo "Autobahn: $(($(date +%s) - started)) s"
# Cases that ended with an error are expected (the verdicts say which are right); the rest of
# the client's log is not: timeouts, a server that broke its protocol.
grep -Ev '^case [0-9]+ \([0-9.]+\): (closed normally|ended with)' "$reports/client.log" || true

index="$reports/index.json"
if [ ! -f "$index" ]; then
  echo "Autobahn: no report ($index); see $reports/server.log" >&2
  exit 1
fi
# Counts per section from index.json[agent][case id]: the verdict on the case ("behavior") and,
# apart, closing handshakes the server did not find clean ("behaviorClose" UNCLEAN: our TCP
# connection ended before our close frame arrived) or failed. Exits 1 on any FAILED or
# UNIMPLEMENTED verdict and any FAILED close.
summary_status=0
python3 - "$index" "$agent" <<'EOF' || summary_status=$?
import json, sys
results = json.load(open(sys.argv[1]))[sys.argv[2]]
verdicts = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
columns = verdicts + ["close UNCLEAN", "close FAILED"]
order = lambda case: tuple(int(part) for part in case.split("."))
sections = {}
for case, result in results.items():
    counts = sections.setdefault(int(case.split(".")[0]), dict.fromkeys(columns, 0))
    counts[result["behavior"]] += 1
    if "close " + result["behaviorClose"] in counts:
        counts["close " + result["behaviorClose"]] += 1
row = lambda name, values: print("%-8s" % name + "".join("%15s" % v for v in values))
row("section", columns)
for section in sorted(sections):
    row(section, [sections[section][c] for c in columns])
row("total", [sum(s[c] for s in sections.values()) for c in columns])
for case in sorted(results, key=order):
    result = results[case]
    if result["behavior"] not in ("OK", "INFORMATIONAL") or result["behaviorClose"] == "FAILED":
        print("%s %s (close: %s)" % (case, result["behavior"], result["behaviorClose"]))
unclean = [case for case in sorted(results, key=order) if results[case]["behaviorClose"] == "UNCLEAN"]
if unclean:
    print("unclean close: " + " ".join(unclean))
failed = lambda r: r["behavior"] in ("FAILED", "UNIMPLEMENTED") or r["behaviorClose"] == "FAILED"
sys.exit(1 if any(failed(r) for r in results.values()) else 0)
EOF
if [ $client_status -ne 0 ]; then
  echo "Autobahn: the client reported a problem (exit $client_status); see above" >&2
  exit 1
fi
exit $summary_status

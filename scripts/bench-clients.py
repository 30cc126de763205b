#!/usr/bin/env python3
"""`make bench`, many clients: the wall time of `lmb sync` for N selling accounts bound to N Xero organisations (two
new settlements each) against that of one, on the built-in sandbox with every answer delayed LATENCY_MS, and the
peak calls per organisation the sandbox saw. Standard library only; LMB is the lmb binary (release for the figure)."""
import json, os, re, resource, shutil, subprocess, sys, tempfile, time, urllib.parse, urllib.request, uuid

LMB = os.environ.get("LMB", ".build/release/lmb")
# BENCH_WRAP="perf record -g -o /tmp/sync.perf" runs the measured `lmb sync` under a profiler.
WRAP = os.environ.get("BENCH_WRAP", "").split()


def cpu_of(pid):
    """User + system CPU seconds a live process has used (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
LATENCY = int(os.environ.get("BENCH_LATENCY_MS", "100"))
JOBS = os.environ.get("BENCH_JOBS", str(CLIENTS))
FIXTURE = open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "v2-us.txt"), encoding="utf-8").read()


def run(n):
    sandbox = subprocess.Popen([LMB, "sandbox", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = None
        for line in sandbox.stdout:
            m = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if m:
                base = m.group(1)
                break
        if base is None:
            sys.exit("bench-clients: the sandbox printed no address")

        def post(path, body, raw=False):
            data = body.encode() if raw else json.dumps(body).encode()
            with urllib.request.urlopen(urllib.request.Request(base + path, data=data, method="POST")) as r:
                text = r.read()
            try:
                return json.loads(text)
            except ValueError:
                return {}

        home = tempfile.mkdtemp(prefix="lmb-bench-clients-")
        os.chmod(home, 0o700)
        env = dict(os.environ, LMB_HOME=home, LMB_XERO_BASE_URL=base, LMB_AMAZON_BASE_URL=base,
                   LMB_XERO_CLIENT_SECRET="bench", LMB_AMAZON_CLIENT_SECRET="amzn1.oa2-cs.v1.bench")
        post("/_sandbox/amazon/config", {"buckets": {"getReports": {"rate": 22.2, "burst": 10},
                                                     "getReportDocument": {"rate": 16.7, "burst": 15}}})
        for i in range(n):
            org = post("/_sandbox/organisations", {"name": f"Client {i} Ltd", "base_currency": "USD"})
            subprocess.run([LMB, "connect", "--client-credentials", "--client-id", org["client_id"]], env=env, check=True, capture_output=True)
            refresh = f"Atzr|IwEBI-bench-{i}-{uuid.uuid4()}"
            subprocess.run([LMB, "amazon", "connect", "--client-id", "amzn1.application-oa2-client.bench", "--region", "eu",
                            "--name", f"acct-{i}", "--tenant", org["tenantId"]],
                           env=dict(env, LMB_AMAZON_REFRESH_TOKEN=refresh), check=True, capture_output=True)
            for k in range(2):
                post("/_sandbox/amazon/reports?refresh_token=" + urllib.parse.quote(refresh, safe=""),
                     FIXTURE.replace("10000000001", str(31_000_000_000 + i * 100 + k)), raw=True)
        post("/_sandbox/config", {"latency_ms": LATENCY})
        sandbox_cpu = cpu_of(sandbox.pid)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        r = subprocess.run(WRAP + [LMB, "sync", "--json", "--jobs", JOBS], env=env, capture_output=True, text=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        lmb_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        sandbox_cpu = cpu_of(sandbox.pid) - sandbox_cpu
        if r.returncode != 0:
            sys.exit(f"bench-clients: lmb sync exited {r.returncode}: {r.stderr[-2000:]}")
        with urllib.request.urlopen(base + "/_sandbox/state") as s:
            state = json.loads(s.read())
        orgs = [o for o in state.get("organisations", []) if o.get("client_id")]
        sent = sum(o.get("invoices", 0) for o in orgs)
        throttled = sum(1 for q in state.get("requests", []) if q.get("status") == 429)
        shutil.rmtree(home, ignore_errors=True)
        return (wall, sent, max(o["peak_concurrent"] for o in orgs), max(o["peak_calls_per_minute"] for o in orgs), throttled,
                lmb_cpu, sandbox_cpu)
    finally:
        sandbox.kill()


one = run(1)
many = run(CLIENTS)
print(f"sync, {LATENCY} ms a call: 1 client {one[0]:.2f} s ({one[1]} invoices); {CLIENTS} clients --jobs {JOBS} {many[0]:.2f} s "
      f"({many[1]} invoices); ratio {many[0] / one[0]:.2f} (target ≤ 3); per organisation at most {many[2]} calls at once "
      f"and {many[3]} in a minute (Xero allows 5 and 60); {many[4]} answers 429")
print(f"CPU seconds of the sync: lmb {one[5]:.2f} (1 client) / {many[5]:.2f} ({CLIENTS}); sandbox {one[6]:.2f} / {many[6]:.2f}; "
      f"{os.cpu_count()} cores")
if many[1] != 2 * CLIENTS:
    sys.exit(f"bench-clients: {many[1]} invoices, expected {2 * CLIENTS}")

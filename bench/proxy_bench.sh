#!/usr/bin/env bash
# kubegate proxy benchmark: one run, three legs side by side, interleaved, on loopback only.
#
#   direct       client -> nginx upstream (a fast TLS stand-in for kube-apiserver serving a PodList)
#   kubegate     client -> kubegate (client-certificate auth, token + impersonation upstream) -> upstream
#   nginx-proxy  client -> nginx as a TLS reverse proxy doing the same (client cert, token,
#                identity headers, keep-alive upstream pool) -> upstream
#   kubegate-unrecorded  the same kubegate with `audit.enabled: false`: what the record costs, measured
#                side by side (the kubegate leg records every request durably before forwarding it)
#
# The client is bench/loadgen.js (Node, HTTP/1.1 keep-alive over TLS with a client certificate),
# because kubegate authenticates by client certificate, wrk cannot present one, and no Debian load
# generator does both that and HTTP/1.1 with latency percentiles; bench/README.md says why and how.
# wrk still runs against the two legs it can reach, as a check on the generator.
#
# Phases, each leg with the same connections and the same request, legs in rotated order per round
# (A B C, B C A, C A B, ...):
#   1. warm-up, closed loop;
#   2. saturation: ROUNDS x DURATION s per leg, closed loop (one request in flight per connection);
#   3. equal load: RATE_ROUNDS x RATE_DURATION s per leg, open loop at the same fixed rate for every
#      leg, for latency at equal load; once per fraction in RATE_FRACTIONS of the slowest leg's
#      saturation throughput (a latency-against-load curve), or once at RATE when it is given;
#   4. (WRK_CHECK=1) wrk on direct and nginx-proxy, WRK_DURATION s each, after every saturation round.
# Prints medians over rounds as markdown tables, with each proxy's CPU time per request, and how
# much of the recorded kubegate's went to its audit writer thread.
#
# Environment (defaults in brackets): ROUNDS [5] DURATION [10] WARMUP [3] CONNECTIONS [32]
#   LOADGEN_THREADS [1] RATE [unset] RATE_FRACTIONS [0.25 0.5] RATE_ROUNDS [2] RATE_DURATION [5] KUBEGATE_WORKERS [2]
#   NGINX_PROXY_WORKERS [2] UPSTREAM_WORKERS [1] WRK_CHECK [1] WRK_DURATION [3]
#   KUBEGATE_BIN [build/kubegate] BENCH_LABEL [git commit of this checkout]
#   AUDIT_SYNC [normal] AUDIT_RESPONSE_BODY_LIMIT [262144]: the recorded leg's audit.sync and body limit
#   BENCH_KEEP [unset]: keep the temp dir (configs, logs, raw results)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-32}
LOADGEN_THREADS=${LOADGEN_THREADS:-1}
RATE=${RATE:-}
RATE_FRACTIONS=${RATE_FRACTIONS:-0.25 0.5}
RATE_ROUNDS=${RATE_ROUNDS:-2}
RATE_DURATION=${RATE_DURATION:-5}
KUBEGATE_WORKERS=${KUBEGATE_WORKERS:-2}
NGINX_PROXY_WORKERS=${NGINX_PROXY_WORKERS:-2}
UPSTREAM_WORKERS=${UPSTREAM_WORKERS:-1}
WRK_CHECK=${WRK_CHECK:-1}
WRK_DURATION=${WRK_DURATION:-3}
KUBEGATE=${KUBEGATE_BIN:-$ROOT/build/kubegate}
API_PATH=/api/v1/namespaces/default/pods

say() { printf 'proxy_bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

for tool in nginx node openssl python3 curl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run scripts/install-deps.sh bench"
done
if [ "$WRK_CHECK" = 1 ] && ! command -v wrk >/dev/null 2>&1; then die "wrk is missing: run scripts/install-deps.sh bench"; fi
if [ ! -x "$KUBEGATE" ]; then
  say "$KUBEGATE is missing; building it"
  [ -f "$ROOT/build/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$ROOT/build" >/dev/null
  cmake --build "$ROOT/build" --target kubegate -j"$(nproc)" >/dev/null
fi

# ---------------------------------------------------------------------------------------------
# The work directory, its processes (ended on exit) and the PKI: bench/lib.sh.
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_start kubegate-bench
bench_pki
issue gateway-ca agent /O=bench-agents/CN=bench-agent 'extendedKeyUsage=clientAuth\n'
TOKEN=$(cat upstream-token)

mkdir -p www/api/v1/namespaces/default tmp logs
python3 "$ROOT/bench/podlist.py" "www$API_PATH"
BODY_BYTES=$(wc -c <"www$API_PATH")

UP_PORT=$(free_port)
PX_PORT=$(free_port)
while [ "$PX_PORT" = "$UP_PORT" ]; do PX_PORT=$(free_port); done
PXW_PORT=$(free_port)
while [ "$PXW_PORT" = "$UP_PORT" ] || [ "$PXW_PORT" = "$PX_PORT" ]; do PXW_PORT=$(free_port); done

# The upstream: a fast stand-in for kube-apiserver serving one static PodList.
cat >upstream.conf <<EOF
$(nginx_common upstream)
worker_processes $UPSTREAM_WORKERS;
http {
$(nginx_http_common)
  access_log off;
  types { } default_type application/json;
  etag off;
  server {
    listen 127.0.0.1:$UP_PORT ssl;
    ssl_certificate $WORK/upstream.crt; ssl_certificate_key $WORK/upstream.key;
    root $WORK/www;
    location / { }
  }
}
EOF

# The peer: nginx as a plain TLS reverse proxy doing the same job as kubegate in its simplest form:
# verify the agent's client certificate, log the request, present the upstream token and the
# agent's identity upstream over verified TLS on pooled keep-alive connections. A second listener
# without the client-certificate check (fixed identity) serves only the wrk generator check.
proxy_location() {
  cat <<EOF
    location /clusters/bench/ {
      proxy_pass https://cluster_bench/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer $TOKEN";
      proxy_set_header Impersonate-User $1;
      proxy_set_header Impersonate-Group $2;
      proxy_ssl_verify on; proxy_ssl_trusted_certificate $WORK/cluster-ca.crt; proxy_ssl_name localhost;
      proxy_ssl_session_reuse on;
      proxy_max_temp_file_size 0;
    }
EOF
}
cat >proxy.conf <<EOF
$(nginx_common proxy)
worker_processes $NGINX_PROXY_WORKERS;
http {
$(nginx_http_common)
  access_log $WORK/logs/proxy.access.log;
  map \$ssl_client_s_dn \$agent_user { ~CN=(?<cn>[^,]+) \$cn; default ""; }
  map \$ssl_client_s_dn \$agent_group { ~O=(?<o>[^,]+) \$o; default ""; }
  upstream cluster_bench { server 127.0.0.1:$UP_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$PX_PORT ssl;
    ssl_certificate $WORK/front.crt; ssl_certificate_key $WORK/front.key;
    ssl_client_certificate $WORK/gateway-ca.crt; ssl_verify_client on;
$(proxy_location '\$agent_user' '\$agent_group')
  }
  server {
    listen 127.0.0.1:$PXW_PORT ssl;
    ssl_certificate $WORK/front.crt; ssl_certificate_key $WORK/front.key;
$(proxy_location bench-agent bench-agents)
  }
}
EOF

# The agent may list pods in default and nothing else: the decision is part of the measured path.
cat >policy.yaml <<EOF
rules:
  - id: bench-agent-reads-pods
    effect: allow
    match: {subjects: {users: [bench-agent]}, verbs: [list], resources: [pods], namespaces: [default]}
EOF

cat >kubegate.yaml <<EOF
listen: 127.0.0.1:0
policy: {file: $WORK/policy.yaml}
tls: {certFile: $WORK/front.crt, keyFile: $WORK/front.key, clientCAFile: $WORK/gateway-ca.crt}
admin: {listen: 127.0.0.1:0}
workers: $KUBEGATE_WORKERS
drainTimeout: 1s
audit: {database: $WORK/audit.db, sync: ${AUDIT_SYNC:-normal}, responseBodyLimit: ${AUDIT_RESPONSE_BODY_LIMIT:-262144}}
clusters:
  - name: bench
    server: https://localhost:$UP_PORT
    caFile: $WORK/cluster-ca.crt
    credentials: {tokenFile: $WORK/upstream-token}
EOF

# The same gateway without a record, for the recording's cost.
sed 's#^audit: .*#audit: {enabled: false}#' kubegate.yaml >kubegate-unrecorded.yaml

nginx -p "$WORK" -c "$WORK/upstream.conf" -e "$WORK/logs/upstream.error.log" &
UP_PID=$!; PIDS+=("$UP_PID")
nginx -p "$WORK" -c "$WORK/proxy.conf" -e "$WORK/logs/proxy.error.log" &
PX_PID=$!; PIDS+=("$PX_PID")
"$KUBEGATE" serve --config "$WORK/kubegate.yaml" >"$WORK/logs/kubegate.log" 2>&1 &
KG_PID=$!; PIDS+=("$KG_PID")
"$KUBEGATE" serve --config "$WORK/kubegate-unrecorded.yaml" >"$WORK/logs/kubegate-unrecorded.log" 2>&1 &
KU_PID=$!; PIDS+=("$KU_PID")

wait_port "$UP_PORT" "$UP_PID" || die "upstream nginx did not start: $(cat logs/upstream.error.log)"
wait_port "$PX_PORT" "$PX_PID" || die "proxy nginx did not start: $(cat logs/proxy.error.log)"
KG_PORT=$(gateway_port logs/kubegate.log "$KG_PID")
KU_PORT=$(gateway_port logs/kubegate-unrecorded.log "$KU_PID")

declare -A URL=(
  [direct]="https://127.0.0.1:$UP_PORT$API_PATH"
  [kubegate]="https://127.0.0.1:$KG_PORT/clusters/bench$API_PATH"
  [kubegate-unrecorded]="https://127.0.0.1:$KU_PORT/clusters/bench$API_PATH"
  [nginx-proxy]="https://127.0.0.1:$PX_PORT/clusters/bench$API_PATH"
  [nginx-proxy-nocert]="https://127.0.0.1:$PXW_PORT/clusters/bench$API_PATH"
)
declare -A CACERT=([direct]=cluster-ca.crt [kubegate]=gateway-ca.crt [kubegate-unrecorded]=gateway-ca.crt
                   [nginx-proxy]=gateway-ca.crt [nginx-proxy-nocert]=gateway-ca.crt)
LEGS=(direct kubegate nginx-proxy kubegate-unrecorded)

# Each leg must answer 200 with the exact body, verified TLS and the agent's client certificate.
for leg in "${LEGS[@]}" nginx-proxy-nocert; do
  code=$(curl -sS --cacert "${CACERT[$leg]}" --cert agent.crt --key agent.key -o "check-$leg.json" \
    -w '%{http_code}' "${URL[$leg]}") || die "$leg: curl failed"
  [ "$code" = 200 ] && cmp -s "check-$leg.json" "www$API_PATH" || die "$leg: answered $code, body $(head -c 300 "check-$leg.json")"
done

# The processes whose CPU each leg is charged with (nginx: master and workers).
procs_of() {
  local pid=$1
  # shellcheck disable=SC2046  # one pid per word, on purpose
  echo "$pid" $(cat /proc/"$pid"/task/*/children 2>/dev/null)
}
cpu_ticks() {  # user+system ticks of the given pids
  local total=0 pid s f
  for pid in "$@"; do
    s=$(cat /proc/"$pid"/stat 2>/dev/null) || continue
    s=${s##*) }
    read -r -a f <<<"$s"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}
task_ticks() {  # user+system ticks of one thread, /proc/PID/task/TID; 0 without one
  local s f
  [ -n "$1" ] && s=$(cat "$1"/stat 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  read -r -a f <<<"$s"
  echo $((f[11] + f[12]))
}
busy_ticks() {  # all CPUs' non-idle ticks since boot
  local user nice system irq softirq steal
  read -r _ user nice system _ _ irq softirq steal _ </proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}
declare -A PROXY_PROCS=([direct]="" [kubegate]="$KG_PID" [kubegate-unrecorded]="$KU_PID" [nginx-proxy]="$(procs_of "$PX_PID")")
UP_PROCS=$(procs_of "$UP_PID")
# Our processes idle during another leg's run: not foreign load.
OTHER_PROCS="$KG_PID $KU_PID $(procs_of "$PX_PID")"
HZ=$(getconf CLK_TCK)
# The recorded gateway's audit writer thread (named by the gateway): its share of the proxy's CPU is
# what recording costs off the request path, reported beside the total.
WRITER_TASK=$(grep -lx audit-writer /proc/"$KG_PID"/task/*/comm 2>/dev/null | head -1 || true)
WRITER_TASK=${WRITER_TASK%/comm}

# run_load PHASE ROUND LEG SECONDS [RATE]: one loadgen run; appends a JSON line to results.jsonl.
run_load() {
  local phase=$1 round=$2 leg=$3 secs=$4 rate=${5:-0} out="raw/$1-$2-$3" p0 u0 p1 u1 o0 o1 b0 b1 w0 w1 writer=
  [ "$leg" = kubegate ] && writer=$WRITER_TASK
  local args=(--url "${URL[$leg]}" --connections "$CONNECTIONS" --threads "$LOADGEN_THREADS"
              --duration "$secs" --ca "${CACERT[$leg]}" --cert agent.crt --key agent.key
              --expect-bytes "$BODY_BYTES")
  [ "$rate" = 0 ] || args+=(--rate "$rate")
  p0=$(cpu_ticks ${PROXY_PROCS[$leg]}); u0=$(cpu_ticks $UP_PROCS); o0=$(cpu_ticks $OTHER_PROCS); b0=$(busy_ticks)
  w0=$(task_ticks "$writer")
  { TIMEFORMAT='%U %S'; time node "$ROOT/bench/loadgen.js" "${args[@]}" >"$out.json" 2>"$out.err"; } 2>"$out.time" \
    || die "loadgen failed on $leg: $(tail -3 "$out.err")"
  p1=$(cpu_ticks ${PROXY_PROCS[$leg]}); u1=$(cpu_ticks $UP_PROCS); o1=$(cpu_ticks $OTHER_PROCS); b1=$(busy_ticks)
  w1=$(task_ticks "$writer")
  python3 - "$phase" "$round" "$leg" "$out" "$((p1 - p0))" "$((u1 - u0))" "$HZ" "$((b1 - b0 - (o1 - o0)))" \
    "${writer:+$((w1 - w0))}" \
    >>results.jsonl <<'EOF'
import json, sys
phase, rnd, leg, out, pt, ut, hz, busy, wt = sys.argv[1:]
r = json.load(open(out + ".json"))
if wt: r["writerCpu"] = int(wt) / float(hz)
user, sys_ = (float(x) for x in open(out + ".time").read().split())
r.update(phase=phase, round=rnd, leg=leg, tool="loadgen", proxyCpu=int(pt) / float(hz),
         upstreamCpu=int(ut) / float(hz), generatorCpu=user + sys_)
# CPU the rest of the machine used meanwhile (other users' builds and tests): it skews every number.
# (busy already excludes kubegate's and nginx-proxy's processes.)
r["foreignCores"] = max(0.0, (int(busy) / float(hz) - r["upstreamCpu"] - r["generatorCpu"]) / r["seconds"])
problems = []
if r["non2xx"] or r["badLength"]: problems.append(f'{r["non2xx"]} non-2xx, {r["badLength"]} wrong length')
if r["lostConnections"]: problems.append(f'{r["lostConnections"]} connections lost: {r["errors"]}')
if r["targetRate"] and r["rps"] < 0.97 * r["targetRate"]: problems.append(f'reached {r["rps"]:.0f} of {r["targetRate"]} req/s')
r["problems"] = "; ".join(problems)
print(json.dumps(r))
EOF
}

# run_wrk ROUND LEG: wrk on a leg it can reach; nginx-proxy through its listener without the
# client-certificate check (kubegate has no such listener, and gets none for this).
run_wrk() {
  local round=$1 leg=$2 out="raw/wrk-$1-$2" url
  url=${URL[$leg]}; [ "$leg" = nginx-proxy ] && url=${URL[nginx-proxy-nocert]}
  wrk -t "$LOADGEN_THREADS" -c "$CONNECTIONS" -d "${WRK_DURATION}s" --latency -H 'Accept: application/json' "$url" \
    >"$out.txt" 2>&1 || die "wrk failed on $leg: $(tail -3 "$out.txt")"
  python3 - "$round" "$leg" "$out" >>results.jsonl <<'EOF'
import json, re, sys
rnd, leg, out = sys.argv[1:]
txt = open(out + ".txt").read()
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
lat = {int(p): ms(v, u) for p, v, u in re.findall(r"^\s+(\d+)%\s+([0-9.]+)(us|ms|s)\s*$", txt, re.M)}
m = re.search(r"Non-2xx or 3xx responses: (\d+)", txt)
err = re.search(r"Socket errors: (.*)", txt)
print(json.dumps(dict(phase="wrk", round=rnd, leg=leg, tool="wrk",
    rps=float(re.search(r"Requests/sec:\s+([0-9.]+)", txt).group(1)), p50=lat[50], p90=lat[90], p99=lat[99],
    problems="; ".join(([f"{m.group(1)} non-2xx"] if m else []) + ([f"socket errors {err.group(1)}"] if err else [])))))
EOF
}

rotated() {  # rotated ROUND: the legs, starting at a different one each round
  local i
  for i in "${!LEGS[@]}"; do printf '%s ' "${LEGS[$(((i + $1 - 1) % ${#LEGS[@]}))]}"; done
}

mkdir -p raw
: >results.jsonl
START=$(date +%s)
say "upstream :$UP_PORT, kubegate :$KG_PORT (unrecorded :$KU_PORT), nginx-proxy :$PX_PORT; body $BODY_BYTES B; $CONNECTIONS connections"
say "warm-up: ${WARMUP}s per leg"
for leg in "${LEGS[@]}"; do run_load warmup 0 "$leg" "$WARMUP"; done
for round in $(seq "$ROUNDS"); do
  order=$(rotated "$round")
  say "saturation round $round/$ROUNDS: $order"
  for leg in $order; do run_load saturation "$round" "$leg" "$DURATION"; done
  if [ "$WRK_CHECK" = 1 ]; then run_wrk "$round" direct; run_wrk "$round" nginx-proxy; fi
done
# Equal-load rates: the given RATE, or each fraction of the slowest leg's median saturation rate.
if [ -n "$RATE" ]; then
  RATES=$RATE
else
  RATES=$(python3 -c '
import json, statistics, sys
rps = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["phase"] == "saturation": rps.setdefault(r["leg"], []).append(r["rps"])
slowest = min(statistics.median(v) for v in rps.values())
print(" ".join(str(max(1, int(slowest * float(f)))) for f in sys.argv[2].split()))' results.jsonl "$RATE_FRACTIONS")
fi
for rate in $RATES; do
  for round in $(seq "$RATE_ROUNDS"); do
    order=$(rotated "$round")
    say "equal-load round $round/$RATE_ROUNDS at $rate req/s: $order"
    for leg in $order; do run_load "rate-$rate" "$round" "$leg" "$RATE_DURATION" "$rate"; done
  done
done
kill -0 "$KG_PID" 2>/dev/null || die "kubegate died during the run: $(tail -5 logs/kubegate.log)"
kill -0 "$KU_PID" 2>/dev/null || die "the unrecorded kubegate died during the run: $(tail -5 logs/kubegate-unrecorded.log)"

# ---------------------------------------------------------------------------------------------
LABEL=${BENCH_LABEL:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ' (uncommitted changes)' || true)}
python3 - results.jsonl <<EOF
import json, statistics as st, datetime
rows = [json.loads(l) for l in open("results.jsonl")]
legs = ["direct", "kubegate", "nginx-proxy", "kubegate-unrecorded"]
med = lambda xs: st.median(xs) if xs else float("nan")
def pick(phase, leg, tool="loadgen"):
    return [r for r in rows if r["phase"] == phase and r["leg"] == leg and r["tool"] == tool]
def summary(rs):
    s = {k: med([r[k] for r in rs]) for k in ("rps", "p50", "p90", "p99")}
    s["lo"], s["hi"] = min(r["rps"] for r in rs), max(r["rps"] for r in rs)
    if rs and "proxyCpu" in rs[0]:
        n = sum(r["requests"] for r in rs); wall = sum(r["seconds"] for r in rs)
        s.update(proxy=sum(r["proxyCpu"] for r in rs) / n * 1e6, up=sum(r["upstreamCpu"] for r in rs) / n * 1e6,
                 gen=sum(r["generatorCpu"] for r in rs) / n * 1e6, proxyCores=sum(r["proxyCpu"] for r in rs) / wall,
                 foreign=sum(r["foreignCores"] * r["seconds"] for r in rs) / wall)
        if all("writerCpu" in r for r in rs): s["writer"] = sum(r["writerCpu"] for r in rs) / n * 1e6
    if rs and rs[0].get("corrected"):
        s["cp99"] = med([r["corrected"]["p99"] for r in rs])
    return s
sat = {l: summary(pick("saturation", l)) for l in legs}
print()
print(f"kubegate proxy benchmark, {datetime.date.today()}, $LABEL")
print(f"machine: $(nproc) CPUs, $(sed -n 's/^model name\s*:\s*//p' /proc/cpuinfo | head -1); binary $KUBEGATE")
print(f"GET $API_PATH ($BODY_BYTES B PodList), HTTP/1.1 keep-alive, TLS on every leg; $CONNECTIONS connections,")
print(f"loadgen $LOADGEN_THREADS thread(s); upstream nginx $UPSTREAM_WORKERS worker(s), kubegate $KUBEGATE_WORKERS workers, nginx-proxy $NGINX_PROXY_WORKERS workers")
print()
print(f"Saturation (closed loop), medians of $ROUNDS interleaved rounds x $DURATION s:")
print()
print("| leg | req/s | req/s range | p50 ms | p90 ms | p99 ms | proxy CPU µs/req | proxy cores busy | upstream CPU µs/req | loadgen CPU µs/req | other load, cores |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for l in legs:
    s = sat[l]
    px = ("-", "-") if l == "direct" else (f"{s['proxy']:.0f}", f"{s['proxyCores']:.2f}")
    print(f"| {l} | {s['rps']:.0f} | {s['lo']:.0f}-{s['hi']:.0f} | {s['p50']:.2f} | {s['p90']:.2f} | {s['p99']:.2f} "
          f"| {px[0]} | {px[1]} | {s['up']:.0f} | {s['gen']:.0f} | {s['foreign']:.2f} |")
k, n, d = sat["kubegate"], sat["nginx-proxy"], sat["direct"]
print()
print("| ratio (saturation) | req/s | p50 | p99 | proxy CPU per request |")
print("|---|---|---|---|---|")
print(f"| kubegate / nginx-proxy | {k['rps']/n['rps']:.2f}x | {k['p50']/n['p50']:.2f}x | {k['p99']/n['p99']:.2f}x | {k['proxy']/n['proxy']:.2f}x |")
print(f"| kubegate / direct | {k['rps']/d['rps']:.2f}x | {k['p50']/d['p50']:.2f}x | {k['p99']/d['p99']:.2f}x | |")
print(f"| nginx-proxy / direct | {n['rps']/d['rps']:.2f}x | {n['p50']/d['p50']:.2f}x | {n['p99']/d['p99']:.2f}x | |")
u = sat["kubegate-unrecorded"]
print(f"| kubegate recorded / unrecorded | {k['rps']/u['rps']:.2f}x | {k['p50']/u['p50']:.2f}x | {k['p99']/u['p99']:.2f}x | {k['proxy']/u['proxy']:.2f}x |")
def writer_line(s):
    if "writer" in s: print(f"\nOf the recorded kubegate's {s['proxy']:.0f} µs of CPU per request, its audit writer thread used {s['writer']:.0f} µs.")
writer_line(k)
rates = sorted({int(r["phase"][5:]) for r in rows if r["phase"].startswith("rate-")})
for rate in rates:
    eq = {l: summary(pick(f"rate-{rate}", l)) for l in legs}
    if not all(pick(f"rate-{rate}", l) for l in legs): continue
    print()
    print(f"Equal load (open loop, {rate} req/s on every leg), medians of $RATE_ROUNDS interleaved rounds x $RATE_DURATION s:")
    print()
    print("| leg | req/s reached | p50 ms | p90 ms | p99 ms | p99 ms from scheduled send | proxy CPU µs/req | proxy cores busy |")
    print("|---|---|---|---|---|---|---|---|")
    for l in legs:
        s = eq[l]
        cpu = ("-", "-") if l == "direct" else (f"{s['proxy']:.0f}", f"{s['proxyCores']:.2f}")
        print(f"| {l} | {s['rps']:.0f} | {s['p50']:.2f} | {s['p90']:.2f} | {s['p99']:.2f} | {s['cp99']:.2f} "
              f"| {cpu[0]} | {cpu[1]} |")
    k, n, d = eq["kubegate"], eq["nginx-proxy"], eq["direct"]
    print()
    print(f"| ratio (equal load, {rate} req/s) | p50 | p99 | proxy CPU per request |")
    print("|---|---|---|---|")
    print(f"| kubegate / nginx-proxy | {k['p50']/n['p50']:.2f}x | {k['p99']/n['p99']:.2f}x | {k['proxy']/n['proxy']:.2f}x |")
    print(f"| kubegate / direct | {k['p50']/d['p50']:.2f}x | {k['p99']/d['p99']:.2f}x | |")
    u = eq["kubegate-unrecorded"]
    print(f"| kubegate recorded / unrecorded | {k['p50']/u['p50']:.2f}x | {k['p99']/u['p99']:.2f}x | {k['proxy']/u['proxy']:.2f}x |")
    writer_line(k)
if len(rates) > 1:
    print()
    print("Recording's cost against load (equal-load medians; recorded / unrecorded):")
    print()
    print("| req/s | share of saturation | recorded p99 ms | unrecorded p99 ms | p99 ratio | p50 ratio | CPU/req ratio |")
    print("|---|---|---|---|---|---|---|")
    for rate in rates:
        k, u = summary(pick(f"rate-{rate}", "kubegate")), summary(pick(f"rate-{rate}", "kubegate-unrecorded"))
        print(f"| {rate} | {rate / sat['kubegate']['rps']:.0%} of recorded | {k['p99']:.2f} | {u['p99']:.2f} | {k['p99']/u['p99']:.2f}x "
              f"| {k['p50']/u['p50']:.2f}x | {k['proxy']/u['proxy']:.2f}x |")
wrk = {l: pick("wrk", l, "wrk") for l in ("direct", "nginx-proxy")}
if all(wrk.values()):
    print()
    print("Generator check: wrk ($LOADGEN_THREADS thread(s), same connections, $WRK_DURATION s after each saturation round);")
    print("its nginx-proxy leg uses a listener without the client-certificate check, which wrk cannot pass:")
    print()
    print("| leg | wrk req/s | loadgen req/s | wrk p50 ms | loadgen p50 ms | wrk p99 ms | loadgen p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for l, rs in wrk.items():
        w = summary(rs)
        print(f"| {l} | {w['rps']:.0f} | {sat[l]['rps']:.0f} | {w['p50']:.2f} | {sat[l]['p50']:.2f} | {w['p99']:.2f} | {sat[l]['p99']:.2f} |")
busy = [r for r in rows if r.get("foreignCores", 0) > 0.25 and r["phase"] != "warmup"]
if busy:
    print()
    print(f"WARNING: other processes used more than a quarter of a core during {len(busy)} of the measured runs")
    print(f"(up to {max(r['foreignCores'] for r in busy):.2f} cores); the machine was not quiet, treat the figures with care.")
bad = [r for r in rows if r.get("problems")]
if bad:
    print()
    print("PROBLEMS (these runs are not valid measurements):")
    for r in bad: print(f"  {r['tool']} {r['leg']} {r['phase']} {r['round']}: {r['problems']}")
print()
print(f"({int(datetime.datetime.now().timestamp()) - $START} s)")
EOF

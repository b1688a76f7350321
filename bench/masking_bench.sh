#!/usr/bin/env bash
# kubegate masking benchmark (issue 7): one run, legs side by side, interleaved, on loopback only.
#
# A ~SIZE_MB MB SecretList (bench/secretlist.py: Secret-heavy, half of the Secrets with kubectl's
# last-applied annotation repeating their data) is the body of `GET /api/v1/secrets`, served by nginx
# over TLS (Content-Type application/json, Content-Length, no gzip): a fast stand-in for kube-apiserver.
#
#   direct                client -> nginx
#   kubegate-passthrough  client -> kubegate -> nginx, as an identity (group bench-trusted) whose rule
#                         names a profile that masks nothing: the body is relayed as it is
#   kubegate-masked       client -> the same kubegate -> nginx, as an identity (group bench-agents)
#                         on the default profile: every Secret value, the last-applied annotation's
#                         copy of it, and the detectors over every other string
#
# The client is curl with a client certificate (one fetch = one connection, body to /dev/null).
# Legs run in rotated order per round (A B C, B C A, C A B, ...), FETCHES fetches per leg per round.
# Per fetch: wall time and bytes (curl), the gateway's and the upstream's CPU time (utime+stime from
# /proc/PID/stat), the gateway's peak RSS growth (VmHWM reset through /proc/PID/clear_refs before the
# fetch, VmRSS before it, VmHWM after), and the rest of the machine's CPU (other load).
#
# kubegate runs with `audit: {enabled: false}`: this measures masking the client's answer, not the
# record (with recording on, the record keeps only its first responseBodyLimit bytes, masked with
# the default profile; bench/proxy_bench.sh prices the record).
#
# After the legs, in the same run and on the same file:
#   - bench/masking_jq.sh: jq doing the same transform (`.items[].data |= map_values(...)`) as the
#     peer, and the in-process masker (kubegate_bench BM_MaskFile) on the file;
#   - kubegate_bench BM_StreamRedactorLogs / BM_MemcpyPassthroughLogs: stream scanning of logs and
#     exec output against a plain copy;
#   - CONCURRENT masked and CONCURRENT passthrough fetches at once (after a warm-up batch of each,
#     twice each, alternating), for memory per stream.
# Prints markdown tables.
#
# Environment (defaults in brackets): SIZE_MB [100] ROUNDS [3] FETCHES [5] CONCURRENT [8]
#   KUBEGATE_WORKERS [2] UPSTREAM_WORKERS [1] JQ_RUNS [2] JQ [1]: 0 skips jq and BM_MaskFile
#   KUBEGATE_BIN [build/kubegate] KUBEGATE_BENCH_BIN [build/kubegate_bench]
#   BENCH_LABEL [git commit of this checkout] BENCH_KEEP [unset]: keep the temp dir
# Needs nginx, curl, jq, openssl, python3: `scripts/install-deps.sh bench`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MB=${SIZE_MB:-100}
ROUNDS=${ROUNDS:-3}
FETCHES=${FETCHES:-5}
CONCURRENT=${CONCURRENT:-8}
KUBEGATE_WORKERS=${KUBEGATE_WORKERS:-2}
UPSTREAM_WORKERS=${UPSTREAM_WORKERS:-1}
JQ_RUNS=${JQ_RUNS:-2}
RUN_JQ=${JQ:-1}
KUBEGATE=${KUBEGATE_BIN:-$ROOT/build/kubegate}
BENCH_BIN=${KUBEGATE_BENCH_BIN:-$ROOT/build/kubegate_bench}
API_PATH=/api/v1/secrets
MASKED=a3ViZWdhdGU6bWFza2Vk

say() { printf 'masking_bench: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

for tool in nginx curl openssl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run scripts/install-deps.sh bench"
done
if [ "$RUN_JQ" = 1 ] && ! command -v jq >/dev/null 2>&1; then die "jq is missing: run scripts/install-deps.sh bench (or JQ=0)"; fi
[ -x "$KUBEGATE" ] || die "no $KUBEGATE: cmake --build build --target kubegate (or set KUBEGATE_BIN)"
[ -x "$BENCH_BIN" ] || die "no $BENCH_BIN: cmake --build build --target kubegate_bench (or set KUBEGATE_BENCH_BIN)"

# ---------------------------------------------------------------------------------------------
# The work directory, its processes (ended on exit) and the PKI (bench/lib.sh), with two clients
# told apart by group (O): one whose rule masks nothing, one on the default profile.
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_start kubegate-masking-bench
bench_pki
issue gateway-ca trusted /O=bench-trusted/CN=bench-trusted-reader 'extendedKeyUsage=clientAuth\n'
issue gateway-ca agent /O=bench-agents/CN=bench-agent 'extendedKeyUsage=clientAuth\n'

# ---------------------------------------------------------------------------------------------
mkdir -p www/api/v1 tmp logs raw
say "generating a ${SIZE_MB} MB SecretList"
python3 "$ROOT/bench/secretlist.py" "www$API_PATH" "$SIZE_MB" >secretlist.meta
BODY=$WORK/www$API_PATH
BODY_BYTES=$(stat -c %s "$BODY")
ITEMS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"])' secretlist.meta)
PROBE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["probe"])' secretlist.meta)

UP_PORT=$(free_port)

cat >upstream.conf <<EOF
$(nginx_common upstream)
worker_processes $UPSTREAM_WORKERS;
http {
$(nginx_http_common)
  access_log off;
  types { } default_type application/json;
  gzip off; etag off;
  server {
    listen 127.0.0.1:$UP_PORT ssl;
    ssl_certificate $WORK/upstream.crt; ssl_certificate_key $WORK/upstream.key;
    root $WORK/www;
    location / { }
  }
}
EOF

# Two rules, told apart by the client certificate's group: one names the profile that masks
# nothing, the other none (the default profile).
cat >policy.yaml <<EOF
rules:
  - id: trusted-reads-secrets-unmasked
    effect: allow
    maskingProfile: passthrough
    match: {subjects: {groups: [bench-trusted]}, verbs: [list], resources: [secrets]}
  - id: agents-read-secrets-masked
    effect: allow
    match: {subjects: {groups: [bench-agents]}, verbs: [list], resources: [secrets]}
EOF

cat >kubegate.yaml <<EOF
listen: 127.0.0.1:0
policy: {file: $WORK/policy.yaml}
tls: {certFile: $WORK/front.crt, keyFile: $WORK/front.key, clientCAFile: $WORK/gateway-ca.crt}
admin: {listen: 127.0.0.1:0}
workers: $KUBEGATE_WORKERS
drainTimeout: 1s
audit: {enabled: false}
masking:
  profiles:
    passthrough: {secretValues: false, lastAppliedConfiguration: false, envNames: [], configMapKeys: [], detectors: [], streams: false}
clusters:
  - name: bench
    server: https://localhost:$UP_PORT
    caFile: $WORK/cluster-ca.crt
    credentials: {tokenFile: $WORK/upstream-token}
EOF

nginx -p "$WORK" -c "$WORK/upstream.conf" -e "$WORK/logs/upstream.error.log" &
UP_PID=$!; PIDS+=("$UP_PID")
"$KUBEGATE" serve --config "$WORK/kubegate.yaml" >"$WORK/logs/kubegate.log" 2>&1 &
KG_PID=$!; PIDS+=("$KG_PID")

wait_port "$UP_PORT" "$UP_PID" || die "upstream nginx did not start: $(cat logs/upstream.error.log)"
KG_PORT=$(gateway_port logs/kubegate.log "$KG_PID")

LEGS=(direct kubegate-passthrough kubegate-masked)
declare -A URL=(
  [direct]="https://127.0.0.1:$UP_PORT$API_PATH"
  [kubegate-passthrough]="https://127.0.0.1:$KG_PORT/clusters/bench$API_PATH"
  [kubegate-masked]="https://127.0.0.1:$KG_PORT/clusters/bench$API_PATH"
)
declare -A CACERT=([direct]=cluster-ca.crt [kubegate-passthrough]=gateway-ca.crt [kubegate-masked]=gateway-ca.crt)
declare -A IDENT=([direct]=agent [kubegate-passthrough]=trusted [kubegate-masked]=agent)
fetch_args() {  # fetch_args LEG
  echo --cacert "${CACERT[$1]}" --cert "${IDENT[$1]}.crt" --key "${IDENT[$1]}.key" "${URL[$1]}"
}

# ---------------------------------------------------------------------------------------------
# Checks (and warm-up): the direct and passthrough legs return the file byte for byte; the masked
# leg returns valid JSON with as many items, none of the probe value, and the masked value.
say "checking the legs (upstream :$UP_PORT, kubegate :$KG_PORT; body $BODY_BYTES B, $ITEMS Secrets)"
for leg in "${LEGS[@]}"; do
  # shellcheck disable=SC2046
  code=$(curl -sS -D "check-$leg.head" -o "check-$leg.json" -w '%{http_code}' $(fetch_args "$leg")) \
    || die "$leg: curl failed: $(tail -3 logs/kubegate.log)"
  [ "$code" = 200 ] || die "$leg: answered $code: $(head -c 400 "check-$leg.json")"
  kill -0 "$KG_PID" 2>/dev/null || die "kubegate died on the $leg check: $(tail -5 logs/kubegate.log)"
done
cmp -s check-direct.json "$BODY" || die "direct: the body differs from the file"
cmp -s check-kubegate-passthrough.json "$BODY" \
  || die "kubegate-passthrough: the body differs from the file ($(stat -c %s check-kubegate-passthrough.json) B)"
grep -qi '^kubegate-masking: default' check-kubegate-masked.head || die "kubegate-masked: no 'Kubegate-Masking: default' header"
if grep -qi '^kubegate-masking' check-kubegate-passthrough.head; then die "kubegate-passthrough: the answer went through a masker"; fi
if grep -qF "$PROBE" check-kubegate-masked.json; then die "kubegate-masked: the answer still contains an original Secret value"; fi
MASKED_COUNT=$(grep -oF "$MASKED" check-kubegate-masked.json | wc -l)
[ "$MASKED_COUNT" -gt 0 ] || die "kubegate-masked: the answer does not contain $MASKED"
MASKED_ITEMS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' check-kubegate-masked.json) \
  || die "kubegate-masked: the answer is not valid JSON"
[ "$MASKED_ITEMS" = "$ITEMS" ] || die "kubegate-masked: $MASKED_ITEMS items, the file has $ITEMS"
MASKED_BYTES=$(stat -c %s check-kubegate-masked.json)
say "checks passed: passthrough byte-identical; masked: valid JSON, $MASKED_ITEMS items, $MASKED_COUNT x $MASKED, probe value absent"
rm -f check-*.json

# ---------------------------------------------------------------------------------------------
HZ=$(getconf CLK_TCK)
cpu_ticks() {  # user+system ticks of the given pids, all threads
  local total=0 pid s f
  for pid in "$@"; do
    s=$(cat /proc/"$pid"/stat 2>/dev/null) || continue
    s=${s##*) }
    read -r -a f <<<"$s"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}
busy_ticks() {  # all CPUs' non-idle ticks since boot
  local user nice system irq softirq steal
  read -r _ user nice system _ _ irq softirq steal _ </proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}
status_kib() {  # status_kib FIELD: kubegate's VmRSS / VmHWM in KiB
  sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/"$KG_PID"/status
}
reset_hwm() { echo 5 >/proc/"$KG_PID"/clear_refs; }
reset_hwm 2>/dev/null || die "cannot reset kubegate's peak RSS (/proc/$KG_PID/clear_refs not writable): run as the gateway's user"
read -r -a UP_PROCS <<<"$UP_PID $(cat /proc/"$UP_PID"/task/*/children 2>/dev/null)"  # nginx master and workers

# fetch LEG ROUND N: one timed fetch; appends a JSON line to results.jsonl.
fetch() {
  local leg=$1 out="raw/$2-$1-$3" g0 g1 u0 u1 b0 b1 rss0 hwm code size total
  reset_hwm
  rss0=$(status_kib VmRSS)
  g0=$(cpu_ticks "$KG_PID"); u0=$(cpu_ticks "${UP_PROCS[@]}"); b0=$(busy_ticks)
  # shellcheck disable=SC2046
  { TIMEFORMAT='%U %S'; time curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' \
      $(fetch_args "$leg") >"$out.curl" 2>"$out.err"; } 2>"$out.time" || die "$leg: curl failed: $(cat "$out.err")"
  g1=$(cpu_ticks "$KG_PID"); u1=$(cpu_ticks "${UP_PROCS[@]}"); b1=$(busy_ticks)
  hwm=$(status_kib VmHWM)
  kill -0 "$KG_PID" 2>/dev/null || die "kubegate died during a $leg fetch: $(tail -5 logs/kubegate.log)"
  read -r code size total <"$out.curl"
  [ "$code" = 200 ] || die "$leg: answered $code"
  if [ "$leg" = kubegate-masked ]; then [ "$size" = "$MASKED_BYTES" ] || die "$leg: $size B, the checked answer had $MASKED_BYTES"
  else [ "$size" = "$BODY_BYTES" ] || die "$leg: $size B of $BODY_BYTES"; fi
  python3 - "$leg" "$2" "$3" "$size" "$total" "$((g1 - g0))" "$((u1 - u0))" "$((b1 - b0))" "$HZ" "$rss0" "$hwm" \
    "$(cat "$out.time")" "$BODY_BYTES" >>results.jsonl <<'EOF'
import json, sys
leg, rnd, n, size, total, g, u, busy, hz, rss0, hwm, client, body = sys.argv[1:]
hz = float(hz); cu, cs = (float(x) for x in client.split())
gw, up, cl = int(g) / hz, int(u) / hz, cu + cs
wall = float(total)
# bytes: the body the upstream sent (the masked answer is smaller: values become 20 characters),
# the figure every rate is given in; downloaded: what the client got.
print(json.dumps(dict(leg=leg, round=int(rnd), n=int(n), bytes=int(body), downloaded=int(size), wall=wall, gatewayCpu=gw, upstreamCpu=up,
                      clientCpu=cl, otherCores=max(0.0, (int(busy) / hz - gw - up - cl) / wall),
                      rssBeforeKiB=int(rss0), hwmKiB=int(hwm), growthKiB=int(hwm) - int(rss0))))
EOF
}

rotated() {  # rotated ROUND: the legs, starting at a different one each round
  local i
  for i in "${!LEGS[@]}"; do printf '%s ' "${LEGS[$(((i + $1 - 1) % ${#LEGS[@]}))]}"; done
}

: >results.jsonl
START=$(date +%s)
for round in $(seq "$ROUNDS"); do
  order=$(rotated "$round")
  say "round $round/$ROUNDS: $order($FETCHES fetches each)"
  for leg in $order; do
    for n in $(seq "$FETCHES"); do fetch "$leg" "$round" "$n"; done
  done
done

# Memory per stream: CONCURRENT fetches at once, masked and then passthrough, growth of the peak.
concurrent() {  # concurrent LEG: prints the gateway's peak RSS growth in KiB
  local leg=$1 rss0 i pids=()
  reset_hwm
  rss0=$(status_kib VmRSS)
  for i in $(seq "$CONCURRENT"); do
    # shellcheck disable=SC2046
    curl -sS -o /dev/null -w '%{http_code} %{size_download}\n' $(fetch_args "$leg") >"raw/concurrent-$leg-$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || die "$leg: a concurrent fetch failed"; done
  grep -qv '^200 ' raw/concurrent-"$leg"-* && die "$leg: a concurrent fetch did not answer 200"
  echo $(( $(status_kib VmHWM) - rss0 ))
}
if [ "$CONCURRENT" -gt 0 ]; then
  say "memory: $CONCURRENT concurrent fetches per kubegate leg"
  # A first batch of each grows the heap for CONCURRENT connections once: a warm-up, not counted.
  concurrent kubegate-passthrough >/dev/null
  concurrent kubegate-masked >/dev/null
  CONC_MASKED=$(concurrent kubegate-masked)
  CONC_PASS=$(concurrent kubegate-passthrough)
  CONC_MASKED2=$(concurrent kubegate-masked)
  CONC_PASS2=$(concurrent kubegate-passthrough)
else
  CONC_MASKED=0 CONC_PASS=0 CONC_MASKED2=0 CONC_PASS2=0
fi
kill -0 "$KG_PID" 2>/dev/null || die "kubegate died during the run: $(tail -5 logs/kubegate.log)"

# jq and the in-process masker on the same file.
: >jq.json
if [ "$RUN_JQ" = 1 ]; then
  say "jq ($JQ_RUNS runs) and BM_MaskFile on the same file"
  SECRETLIST=$BODY RESULT_JSON=$WORK/jq.json JQ_RUNS=$JQ_RUNS KUBEGATE_BENCH_BIN=$BENCH_BIN \
    "$ROOT/bench/masking_jq.sh" >logs/masking_jq.log 2>&1 || die "bench/masking_jq.sh failed: $(tail -5 logs/masking_jq.log)"
fi

say "stream scanning: BM_StreamRedactorLogs, BM_MemcpyPassthroughLogs"
"$BENCH_BIN" --benchmark_filter='BM_StreamRedactorLogs|BM_MemcpyPassthroughLogs' --benchmark_repetitions=3 \
  --benchmark_format=json >streams.json 2>logs/streams.err || die "kubegate_bench failed: $(tail -5 logs/streams.err)"

# ---------------------------------------------------------------------------------------------
# shellcheck disable=SC2015  # grep -q fails when the tree is clean: then nothing is echoed
LABEL=${BENCH_LABEL:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ' (uncommitted changes)' || true)}
python3 - <<EOF
import json, statistics as st, datetime
rows = [json.loads(l) for l in open("results.jsonl")]
legs = ["direct", "kubegate-passthrough", "kubegate-masked"]
by = {l: [r for r in rows if r["leg"] == l] for l in legs}
med = st.median
div = lambda a, b: a / b if b else float("nan")  # tiny bodies can take less CPU than one clock tick
print()
print(f"kubegate masking benchmark, {datetime.date.today()}, $LABEL")
print(f"machine: $(nproc) CPUs, $(sed -n 's/^model name\s*:\s*//p' /proc/cpuinfo | head -1); binary $KUBEGATE")
print(f"GET $API_PATH: a $BODY_BYTES B SecretList of $ITEMS Secrets (bench/secretlist.py), TLS on every hop, one connection per fetch (curl);")
print(f"upstream nginx $UPSTREAM_WORKERS worker(s), kubegate $KUBEGATE_WORKERS workers, audit disabled; $ROUNDS interleaved rounds x $FETCHES fetches per leg.")
print(f"Every rate is in bytes of the upstream's body ($BODY_BYTES B; the masked answer the client gets is $MASKED_BYTES B).")
print()
print("| leg | MB/s wall (median) | range | gateway CPU s/GB | gateway MB/s per core | upstream CPU s/GB | client CPU s/GB | gateway peak RSS growth KiB (median / max) | other load, cores |")
print("|---|---|---|---|---|---|---|---|---|")
s = {}
for l in legs:
    rs = by[l]
    gb = sum(r["bytes"] for r in rs) / 1e9
    mbps = [r["bytes"] / r["wall"] / 1e6 for r in rs]
    g = sum(r["gatewayCpu"] for r in rs)
    s[l] = dict(mbps=med(mbps), lo=min(mbps), hi=max(mbps), gw=g / gb, up=sum(r["upstreamCpu"] for r in rs) / gb,
                cl=sum(r["clientCpu"] for r in rs) / gb, growth=med([r["growthKiB"] for r in rs]),
                gmax=max(r["growthKiB"] for r in rs), other=sum(r["otherCores"] * r["wall"] for r in rs) / sum(r["wall"] for r in rs))
    x = s[l]
    gwcol = "-" if l == "direct" else f"{x['gw']:.2f}"
    percore = "-" if l == "direct" else f"{div(1000, x['gw']):.0f}"
    growth = "-" if l == "direct" else f"{x['growth']:.0f} / {x['gmax']:.0f}"
    print(f"| {l} | {x['mbps']:.0f} | {x['lo']:.0f}-{x['hi']:.0f} | {gwcol} | {percore} | {x['up']:.2f} | {x['cl']:.2f} | {growth} | {x['other']:.2f} |")
p, m = s["kubegate-passthrough"], s["kubegate-masked"]
extra = m["gw"] - p["gw"]
print()
print("| ratio | MB/s wall | gateway CPU per byte |")
print("|---|---|---|")
print(f"| kubegate-masked / kubegate-passthrough | {div(m['mbps'], p['mbps']):.2f}x | {div(m['gw'], p['gw']):.2f}x |")
print(f"| kubegate-passthrough / direct | {p['mbps'] / s['direct']['mbps']:.2f}x | |")
print(f"| kubegate-masked / direct | {m['mbps'] / s['direct']['mbps']:.2f}x | |")
print()
print(f"Masking's own cost in the gateway (masked minus passthrough CPU): {extra:.2f} s/GB, "
      + (f"**{1000 / extra:.0f} MB/s per core**" if extra > 0 else "below the CPU clock's resolution")
      + f"; the whole masked relay (TLS in and out, HTTP, masking): {div(1000, m['gw']):.0f} MB/s per core. Goal: >= 400 MB/s per core (stretch 1,000).")
print(f"(The masked leg sends the client {$MASKED_BYTES / $BODY_BYTES:.0%} of the bytes the passthrough leg sends, so the difference is masking "
      f"less the TLS and send(2) work the smaller answer saves; the whole-relay figure has no such offset.)")
print()
cm = max($CONC_MASKED, $CONC_MASKED2); cp = min($CONC_PASS, $CONC_PASS2)
print(f"Memory: one fetch at a time, the gateway's peak RSS grew by a median {m['growth']:.0f} KiB during a masked fetch and "
      f"{p['growth']:.0f} KiB during a passthrough fetch: **{m['growth'] - p['growth']:+.0f} KiB for masking one stream**.")
if $CONCURRENT > 0:
    per = (cm - cp) / $CONCURRENT
    print(f"$CONCURRENT concurrent fetches: growth {$CONC_MASKED} and {$CONC_MASKED2} KiB masked, {$CONC_PASS} and {$CONC_PASS2} KiB passthrough "
          f"(in that order: masked, passthrough, masked, passthrough, after a warm-up batch of each): "
          f"**at most {per:+.0f} KiB per masked stream** (the larger masked growth less the smaller passthrough one, per stream). Goal: <= 1024 KiB.")
print()
print(f"Checks: passthrough byte-identical to the file; masked answer valid JSON ($MASKED_ITEMS items, $MASKED_BYTES B), "
      f"$MASKED_COUNT occurrences of $MASKED, the probe Secret value absent.")
jq = open("jq.json").read().strip()
print()
print("| masker, same file | MB/s per core (CPU time) | MB/s wall | memory |")
print("|---|---|---|---|")
if jq:
    j = json.loads(jq)
    print(f"| {j['jq']['version']}, data values rewritten (map_values) | {j['jq']['cpuMBps']:.1f} | {j['jq']['wallMBps']:.1f} | peak RSS {j['jq']['peakRssKiB'] / 1024:.0f} MiB (whole document) |")
    print(f"| kubegate JsonMasker in process (BM_MaskFile, 16 KiB pieces) | {j['kubegate']['cpuMBps']:.0f} | {j['kubegate']['wallMBps']:.0f} | peak held {j['kubegate']['peakHeldKiB']:.0f} KiB |")
print(f"| kubegate-masked through the gateway (masking's share of gateway CPU) | {div(1000, extra) if extra > 0 else float('nan'):.0f} | {m['mbps']:.0f} (whole chain) | {m['growth'] - p['growth']:+.0f} KiB per stream |")
if jq:
    print(f"in process kubegate / jq = {j['kubegate']['cpuMBps'] / j['jq']['cpuMBps']:.0f}x (CPU time); "
          f"through the gateway, masking's share / jq = {(1000 / extra if extra > 0 else float('nan')) / j['jq']['cpuMBps']:.0f}x")
sb = json.load(open("streams.json"))["benchmarks"]
def best(name):
    v = [b["bytes_per_second"] for b in sb if b.get("run_type") == "iteration" and b["name"].startswith(name)]
    return max(v) / 1e6 if v else float("nan")
sr, mc = best("BM_StreamRedactorLogs"), best("BM_MemcpyPassthroughLogs")
print()
print("| stream scanning (logs, exec output), in process | MB/s per core |")
print("|---|---|")
print(f"| BM_StreamRedactorLogs (detectors over log lines) | {sr:.0f} |")
print(f"| BM_MemcpyPassthroughLogs (copy) | {mc:.0f} |")
print(f"Goal: >= 1,000 MB/s per core.")
busy = [r for r in rows if r["otherCores"] > 0.25]
if busy:
    print()
    print(f"WARNING: other processes used more than a quarter of a core during {len(busy)} of {len(rows)} fetches "
          f"(up to {max(r['otherCores'] for r in busy):.2f} cores); the machine was not quiet, treat wall figures with care.")
print()
print(f"({int(datetime.datetime.now().timestamp()) - $START} s of measurement)")
EOF

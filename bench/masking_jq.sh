#!/usr/bin/env bash
# Secret masking, kubegate's streaming masker against jq, on the same ~100 MB SecretList file.
#
#   jq        `.items[].data |= map_values("<masked>")`: parses the whole document into memory,
#             rewrites the data values, prints it again (compact, -c). It does less than kubegate
#             (no stringData, no last-applied annotation, no detectors) and holds the whole body.
#   kubegate  bench/json_masker_bench.cc BM_MaskFile: the JsonMasker fed 16 KiB pieces, default
#             profile, resource `secrets`, best of Google Benchmark's repetitions (CPU time).
#
# Both are timed in CPU time and in wall time (best of JQ_RUNS jq runs, best of 3 kubegate
# repetitions), jq's output to /dev/null. Prints MB/s and the ratios. On a shared machine wall time
# is noisy; CPU time less so. Run it twice.
#
# Environment (defaults in brackets): SIZE_MB [100] JQ_RUNS [3]
#   KUBEGATE_BENCH_BIN [build/kubegate_bench] BENCH_KEEP [unset]: keep the temp dir
#   SECRETLIST [unset]: mask this file instead of generating one (bench/masking_bench.sh passes its own)
#   RESULT_JSON [unset]: also write the figures there as JSON (bench/masking_bench.sh reads them)
# Needs python3 and jq (`scripts/install-deps.sh bench`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MB=${SIZE_MB:-100}
JQ_RUNS=${JQ_RUNS:-3}
BENCH_BIN=${KUBEGATE_BENCH_BIN:-$ROOT/build/kubegate_bench}

command -v jq >/dev/null || { echo "masking_jq: jq is missing (scripts/install-deps.sh bench)" >&2; exit 2; }
[ -x "$BENCH_BIN" ] || { echo "masking_jq: no $BENCH_BIN (cmake --build build --target kubegate_bench)" >&2; exit 2; }

WORK=$(mktemp -d)
cleanup() { if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
BODY=$WORK/secretlist.json

# The SecretList of bench/secretlist.py (the shape of json_masker_bench.cc's), or SECRETLIST's file.
if [ -n "${SECRETLIST:-}" ]; then
  [ -s "$SECRETLIST" ] || { echo "masking_jq: SECRETLIST=$SECRETLIST is not a file" >&2; exit 2; }
  BODY=$SECRETLIST
else
  python3 "$ROOT/bench/secretlist.py" "$BODY" "$SIZE_MB" >/dev/null
fi
BYTES=$(stat -c %s "$BODY")
echo "body: $BODY, $BYTES bytes"

# jq's CPU time (user + sys, as the kubegate figure below) and wall time, best of JQ_RUNS runs.
read -r jq_cpu jq_wall jq_rss < <(python3 - "$BODY" "$JQ_RUNS" <<'PY'
import resource, subprocess, sys, time
best_cpu = best_wall = float("inf")
for _ in range(int(sys.argv[2])):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(["jq", "-c", '.items[].data |= map_values("a3ViZWdhdGU6bWFza2Vk")', sys.argv[1]],
                   stdout=subprocess.DEVNULL, check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    print(f"jq run: cpu {cpu:.2f}s, wall {wall:.2f}s", file=sys.stderr)
    best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
# ru_maxrss of children: the largest child's peak RSS in KiB (jq holds the whole document).
print(best_cpu, best_wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)

KUBEGATE_MASK_FILE=$BODY KUBEGATE_MASK_RESOURCE=secrets "$BENCH_BIN" --benchmark_filter='^BM_MaskFile' \
  --benchmark_repetitions=3 --benchmark_format=json >"$WORK/kubegate.json" 2>"$WORK/kubegate.err" || {
  cat "$WORK/kubegate.err" >&2; exit 1; }

python3 - "$WORK/kubegate.json" "$BYTES" "$jq_cpu" "$jq_wall" "$(jq --version)" "$jq_rss" "${RESULT_JSON:-}" <<'PY'
import json, sys
report, size = json.load(open(sys.argv[1])), int(sys.argv[2])
jq_cpu, jq_wall, jq_name, jq_rss, result_json = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], int(sys.argv[6]), sys.argv[7]
runs = [b for b in report["benchmarks"] if b.get("run_type") == "iteration"]
if not runs or any(b.get("error_occurred") for b in runs):
    sys.exit("masking_jq: the kubegate run failed: %s" % [b.get("error_message") for b in runs])
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[runs[0]["time_unit"]]
kg_cpu = size / (min(b["cpu_time"] for b in runs) * scale) / 1e6
kg_wall = size / (min(b["real_time"] for b in runs) * scale) / 1e6
jq_cpu_mbs, jq_wall_mbs = size / jq_cpu / 1e6, size / jq_wall / 1e6
print("| masker | MB/s (CPU time) | MB/s (wall) | note |\n|---|---|---|---|")
print(f"| {jq_name} | {jq_cpu_mbs:.1f} | {jq_wall_mbs:.1f} | whole document in memory (peak RSS {jq_rss / 1024:.0f} MiB); best of runs |")
print(f"| kubegate JsonMasker | {kg_cpu:.1f} | {kg_wall:.1f} | 16 KiB pieces, {runs[0]['masked_values']:.0f} values "
      f"masked, peak held {runs[0]['peak_held_KiB']:.0f} KiB; best repetition |")
print(f"kubegate / jq = {kg_cpu / jq_cpu_mbs:.0f}x (CPU time), {kg_wall / jq_wall_mbs:.0f}x (wall)")
if result_json:
    json.dump({"bytes": size, "jq": {"version": jq_name, "cpuMBps": jq_cpu_mbs, "wallMBps": jq_wall_mbs,
                                     "peakRssKiB": jq_rss},
               "kubegate": {"cpuMBps": kg_cpu, "wallMBps": kg_wall, "maskedValues": runs[0]["masked_values"],
                            "peakHeldKiB": runs[0]["peak_held_KiB"]}}, open(result_json, "w"))
PY

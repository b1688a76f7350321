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

# Secrets shaped as kube-apiserver lists them: labels, half applied by kubectl (the manifest again
# in last-applied), managedFields naming the keys, 3-5 data keys of 40-2000 random bytes.
python3 - "$BODY" "$SIZE_MB" <<'PY'
import base64, json, random, sys
path, target = sys.argv[1], int(sys.argv[2]) * 1000 * 1000
rng = random.Random(42)
names = ["password", "username", "tls.crt", "tls.key", "api-token"]
with open(path, "w") as out:
    out.write('{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"123456"},"items":[')
    written, index = 0, 0
    while written < target:
        ns, name = f"team-{index % 40}", f"app-{index}-credentials"
        keys = names[:rng.randint(3, 5)]
        data = {k: base64.b64encode(rng.randbytes(rng.randint(40, 2000))).decode() for k in keys}
        labels = {"app": f"app-{index}", "team": ns, "app.kubernetes.io/managed-by": "kubectl"}
        annotations = {"team.example.com/owner": f"{ns}@example.com"}
        if index % 2 == 0:
            manifest = {"apiVersion": "v1", "data": data, "kind": "Secret", "type": "Opaque",
                        "metadata": {"annotations": {}, "labels": labels, "name": name, "namespace": ns}}
            annotations["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(manifest, separators=(",", ":")) + "\n"
        item = {"metadata": {"name": name, "namespace": ns, "uid": f"{rng.getrandbits(128):032x}",
                             "resourceVersion": str(100000 + index), "creationTimestamp": "2026-03-14T09:26:53Z",
                             "labels": labels, "annotations": annotations,
                             "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                                                "apiVersion": "v1", "time": "2026-03-14T09:26:53Z", "fieldsType": "FieldsV1",
                                                "fieldsV1": {"f:data": {".": {}, **{f"f:{k}": {} for k in keys}}, "f:type": {}}}]},
                "data": data, "type": "Opaque"}
        text = ("," if index else "") + json.dumps(item, separators=(",", ":"))
        out.write(text)
        written += len(text)
        index += 1
    out.write("]}")
PY
BYTES=$(stat -c %s "$BODY")
echo "body: $BODY, $BYTES bytes"

# jq's CPU time (user + sys, as the kubegate figure below) and wall time, best of JQ_RUNS runs.
read -r jq_cpu jq_wall < <(python3 - "$BODY" "$JQ_RUNS" <<'PY'
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
print(best_cpu, best_wall)
PY
)

KUBEGATE_MASK_FILE=$BODY KUBEGATE_MASK_RESOURCE=secrets "$BENCH_BIN" --benchmark_filter='^BM_MaskFile' \
  --benchmark_repetitions=3 --benchmark_format=json >"$WORK/kubegate.json" 2>"$WORK/kubegate.err" || {
  cat "$WORK/kubegate.err" >&2; exit 1; }

python3 - "$WORK/kubegate.json" "$BYTES" "$jq_cpu" "$jq_wall" "$(jq --version)" <<'PY'
import json, sys
report, size = json.load(open(sys.argv[1])), int(sys.argv[2])
jq_cpu, jq_wall, jq_name = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
runs = [b for b in report["benchmarks"] if b.get("run_type") == "iteration"]
if not runs or any(b.get("error_occurred") for b in runs):
    sys.exit("masking_jq: the kubegate run failed: %s" % [b.get("error_message") for b in runs])
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[runs[0]["time_unit"]]
kg_cpu = size / (min(b["cpu_time"] for b in runs) * scale) / 1e6
kg_wall = size / (min(b["real_time"] for b in runs) * scale) / 1e6
jq_cpu_mbs, jq_wall_mbs = size / jq_cpu / 1e6, size / jq_wall / 1e6
print("| masker | MB/s (CPU time) | MB/s (wall) | note |\n|---|---|---|---|")
print(f"| {jq_name} | {jq_cpu_mbs:.1f} | {jq_wall_mbs:.1f} | whole document in memory; best of runs |")
print(f"| kubegate JsonMasker | {kg_cpu:.1f} | {kg_wall:.1f} | 16 KiB pieces, {runs[0]['masked_values']:.0f} values "
      f"masked, peak held {runs[0]['peak_held_KiB']:.0f} KiB; best repetition |")
print(f"kubegate / jq = {kg_cpu / jq_cpu_mbs:.0f}x (CPU time), {kg_wall / jq_wall_mbs:.0f}x (wall)")
PY

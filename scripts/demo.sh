#!/usr/bin/env bash
# The demo: starts kube-sim with the demo seed, shows a few real kubectl commands against it, then
# keeps serving until Ctrl-C when run from a terminal (and stops at once otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
state=.demo/kube-sim
mkdir -p "$state"
rm -f "$state/requests.log"
listen=${KUBE_SIM_LISTEN:-127.0.0.1:6443}

node testing/kube-sim/bin/kube-sim.js --listen "$listen" --state-dir "$state" --emulated-version 1.33 \
  > .demo/kube-sim.out 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '"ready":true' .demo/kube-sim.out 2>/dev/null && break
  kill -0 $sim 2>/dev/null || { cat .demo/kube-sim.out; exit 1; }
  sleep 0.1
done
grep -q '"ready":true' .demo/kube-sim.out || { echo "kube-sim did not start"; cat .demo/kube-sim.out; exit 1; }

export KUBECONFIG=$PWD/$state/admin.kubeconfig
kubectl_bin=$(command -v kubectl || true)
run() {
  echo
  echo "\$ kubectl $*"
  "$kubectl_bin" --cache-dir "$PWD/.demo/kube-cache" "$@" || true
}
echo "kube-sim is serving at https://$listen (Kubernetes 1.33 behaviour)."
echo "Admin kubeconfig: $KUBECONFIG"
if [ -n "$kubectl_bin" ]; then
  run get namespaces --show-labels
  run get pods -A
  run -n production exec web-7d9f8b6c5d-x2k4p -- cat /etc/db/username
  run -n production logs web-7d9f8b6c5d-x2k4p --tail=3
  run auth can-i delete namespaces --as=alice
else
  echo "(kubectl is not installed; point any Kubernetes client at the kubeconfig above)"
fi
echo
echo "Every request that reached the cluster is in $state/requests.log."
if [ -t 0 ]; then
  echo "Try: KUBECONFIG=$KUBECONFIG kubectl get pods -n production   (Ctrl-C stops the demo)"
  wait $sim
fi

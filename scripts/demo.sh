#!/usr/bin/env bash
# The demo: kube-sim (the stand-in cluster) with kubegate in front of it, on loopback.
# Writes into .demo/: kubegate.yaml (the gateway's config), kubeconfig-direct (admin, straight to
# kube-sim), kubeconfig-agent (the demo agent, through kubegate), then .demo/ready once both answer.
# From a terminal it keeps serving until Ctrl-C; otherwise it stops after the tour.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=$root/.demo
sim_listen=${KUBE_SIM_LISTEN:-127.0.0.1:6443}
gw_listen=${KUBEGATE_LISTEN:-127.0.0.1:8443}
admin_listen=${KUBEGATE_ADMIN_LISTEN:-127.0.0.1:9443}
rm -rf "$demo"
mkdir -p "$demo/kube-sim" "$demo/pki"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_for() { # file pattern pid what
  for _ in $(seq 1 150); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "$4 exited:"; cat "$1"; exit 1; }
    sleep 0.1
  done
  echo "$4 did not start:"; cat "$1"; exit 1
}

# 1. The cluster.
node testing/kube-sim/bin/kube-sim.js --listen "$sim_listen" --state-dir "$demo/kube-sim" --emulated-version 1.33 \
  > "$demo/kube-sim.log" 2>&1 &
pids+=($!)
wait_for "$demo/kube-sim.log" '"ready":true' "${pids[-1]}" kube-sim
cp "$demo/kube-sim/admin.kubeconfig" "$demo/kubeconfig-direct"
grep '^demo-kubegate-token,' "$demo/kube-sim/tokens.csv" | cut -d, -f1 > "$demo/upstream-token"

# 2. The gateway's PKI: a CA for the gateway's serving certificate and for agents' certificates.
(
  cd "$demo/pki"
  ossl() { openssl "$@" 2>/dev/null; }
  ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -subj /CN=kubegate-demo-ca -days 30
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj /CN=kubegate
  ossl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.crt
  printf 'extendedKeyUsage=clientAuth\n' > agent.ext
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout agent.key -out agent.csr -subj /O=developers/CN=demo-agent
  ossl x509 -req -in agent.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile agent.ext -out agent.crt
)

# 3. The gateway's config, from the example with the demo's paths.
sed -e "s#@LISTEN@#$gw_listen#; s#@ADMIN@#$admin_listen#; s#@DEMO@#$demo#g; s#@SIM@#https://$sim_listen#" \
  examples/demo-kubegate.yaml > "$demo/kubegate.yaml"
b64() { base64 -w0 "$1"; }
cat > "$demo/kubeconfig-agent" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster: {server: "https://$gw_listen/clusters/demo", certificate-authority-data: $(b64 "$demo/pki/ca.crt")}
users:
- name: demo-agent
  user: {client-certificate-data: $(b64 "$demo/pki/agent.crt"), client-key-data: $(b64 "$demo/pki/agent.key")}
contexts:
- name: demo
  context: {cluster: demo, user: demo-agent}
current-context: demo
KUBECONFIG
chmod 600 "$demo/kubeconfig-agent" "$demo/kubeconfig-direct"

build/kubegate serve --config "$demo/kubegate.yaml" > "$demo/kubegate.log" 2>&1 &
pids+=($!)
wait_for "$demo/kubegate.log" '"msg":"listening"' "${pids[-1]}" kubegate
touch "$demo/ready"

kubectl_bin=$(command -v kubectl || true)
run() { # kubeconfig args...
  local kc=$1; shift
  echo; echo "\$ kubectl $*"
  "$kubectl_bin" --kubeconfig "$kc" --cache-dir "$demo/kube-cache" "$@" 2>&1 || true
}
echo "kube-sim (Kubernetes 1.33 stand-in) at https://$sim_listen; kubegate at https://$gw_listen/clusters/demo"
if [ -n "$kubectl_bin" ]; then
  echo; echo "== As the demo agent, through kubegate (.demo/kubeconfig-agent) =="
  run "$demo/kubeconfig-agent" auth whoami
  run "$demo/kubeconfig-agent" -n staging get pods
  run "$demo/kubeconfig-agent" -n staging exec api-5c6b7f9d8-m4n7k -- printenv HOSTNAME
  run "$demo/kubeconfig-agent" -n production get secrets
  echo; echo "== The cluster saw the agent, impersonated by kubegate (.demo/kube-sim/requests.log) =="
  tail -n 3 "$demo/kube-sim/requests.log" | sed -E 's/.*"method":"([A-Z]+)","path":"([^"]*)".*"user":"([^"]*)".*"impersonatedBy":"?([^",]*)"?.*"code":([0-9]+).*/\1 \2  user=\3 via=\4 -> \5/'
fi
cat <<TOUR

Try it yourself:
  export KUBECONFIG=$demo/kubeconfig-agent      # the agent, through kubegate
  kubectl -n staging get pods
  KUBECONFIG=$demo/kubeconfig-direct kubectl get pods -A   # admin, straight to the cluster
  export KUBEGATE_CONFIG=$demo/kubegate.yaml && build/kubegate check-config
  curl -s http://$admin_listen/metrics | grep kubegate_requests_total
Logs: .demo/kubegate.log (JSON lines), .demo/kube-sim/requests.log
TOUR
if [ -t 0 ]; then
  echo "Ctrl-C stops the demo."
  wait "${pids[@]}"
fi

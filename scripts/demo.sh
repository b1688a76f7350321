#!/usr/bin/env bash
# The demo: kube-sim (the stand-in cluster), a real OpenID Connect IdP (testing/idp, panva's
# oidc-provider) and kubegate in front of the cluster, on loopback.
# Writes into .demo/: kubegate.yaml (the gateway's config), kubeconfig-direct (admin, straight to
# kube-sim), kubeconfig-agent and kubeconfig-trusted (the IdP's clients demo-agent, group agents,
# and trusted-agent, group trusted, through kubegate; written by `kubegate kubeconfig`, their
# tokens come from `kubegate credential`), then .demo/ready once everything answers.
# From a terminal (or with KUBEGATE_DEMO_SERVE=1) it keeps serving until Ctrl-C; otherwise it stops
# after the tour. KUBEGATE_DEMO_DIR, KUBEGATE_BIN and the *_LISTEN variables move it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=${KUBEGATE_DEMO_DIR:-$root/.demo}
kubegate=${KUBEGATE_BIN:-$root/build/kubegate}
sim_listen=${KUBE_SIM_LISTEN:-127.0.0.1:6443}
idp_listen=${KUBEGATE_IDP_LISTEN:-127.0.0.1:5556}
gw_listen=${KUBEGATE_LISTEN:-127.0.0.1:8443}
admin_listen=${KUBEGATE_ADMIN_LISTEN:-127.0.0.1:9443}
eks_listen=${KUBE_SIM_EKS_LISTEN:-127.0.0.1:6444}
sts_listen=${AWS_SIM_STS_LISTEN:-127.0.0.1:7443}
pod_identity_listen=${AWS_SIM_CREDENTIALS_LISTEN:-127.0.0.1:7080}
rm -rf "$demo"
mkdir -p "$demo/kube-sim" "$demo/pki" "$demo/idp" "$demo/aws" "$demo/kube-sim-eks"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

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

# 1b. The EKS cluster: testing/aws-sim's STS stand-in (it also hands the gateway its own
# credentials, as EKS Pod Identity does) and a second kube-sim that accepts only EKS tokens.
scripts/demo-eks.sh "$demo" "$eks_listen" "$sts_listen" "$pod_identity_listen" > "$demo/aws-sim.log" 2>&1 &
pids+=($!)
wait_for "$demo/aws-sim.log" 'eks-demo ready' "${pids[-1]}" "the EKS stand-ins"

# 2. The identity provider: client-credentials tokens (at+jwt, aud kubegate) with a groups claim.
node testing/idp/bin/idp.js --listen "$idp_listen" --state-dir "$demo/idp" > "$demo/idp.log" 2>&1 &
pids+=($!)
wait_for "$demo/idp.log" '"ready":true' "${pids[-1]}" "the IdP"
issuer=https://$idp_listen

# 3. The gateway's PKI: a CA for the gateway's serving certificate and for agents' certificates.
(
  cd "$demo/pki"
  ossl() { openssl "$@" 2>/dev/null; }
  # Agents authenticate with IdP tokens; client certificates from this CA are accepted too.
  ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -subj /CN=kubegate-demo-ca -days 30
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj /CN=kubegate
  ossl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.crt
)

# The record's signing key (Ed25519): tree heads signed with it let `kubegate audit verify` prove
# nothing was changed.
mkdir -p "$demo/audit"
openssl genpkey -algorithm ed25519 -out "$demo/audit/signing.pem" 2>/dev/null
chmod 600 "$demo/audit/signing.pem"

# 4. The gateway's config, from the example with the demo's paths.
sed -e "s#@LISTEN@#$gw_listen#; s#@ADMIN@#$admin_listen#; s#@DEMO@#$demo#g; s#@SIM@#https://$sim_listen#; s#@ISSUER@#$issuer#; s#@ROOT@#$root#; s#@EKS_SIM@#https://$eks_listen#; s#@STS@#https://$sts_listen#" \
  examples/demo-kubegate.yaml > "$demo/kubegate.yaml"
chmod 600 "$demo/kubeconfig-direct"

# 5. The agents' kubeconfigs: no secret inside, only the plugin and the path of the client secret.
# Tokens are cached under .demo, so a new demo (a new IdP key) never meets an old token.
# Each has two contexts: demo (current) and eks-demo, the EKS cluster behind the same gateway.
agent_kubeconfig() { # file client-id
  "$kubegate" kubeconfig --gateway "$gw_listen" --gateway-ca "$demo/pki/ca.crt" --cluster demo --cluster eks-demo \
    --issuer "$issuer" --ca-file "$demo/idp/ca.crt" --client-id "$2" \
    --client-secret-file "$demo/idp/clients/$2.secret" --cache-dir "$demo/token-cache" --output "$1"
}
agent_kubeconfig "$demo/kubeconfig-agent" demo-agent
agent_kubeconfig "$demo/kubeconfig-trusted" trusted-agent
agent_kubeconfig "$demo/kubeconfig-reviewer" reviewer

# The gateway's AWS credentials: only the container credentials endpoint (as under EKS Pod
# Identity); nothing from the environment or ~/.aws of whoever runs the demo.
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE -u AWS_ROLE_ARN \
  -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
  AWS_CONTAINER_CREDENTIALS_FULL_URI="http://$pod_identity_listen/v1/credentials" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$demo/aws/pod-identity-token" \
  AWS_CONFIG_FILE="$demo/aws/no-config" AWS_SHARED_CREDENTIALS_FILE="$demo/aws/no-config" AWS_EC2_METADATA_DISABLED=true \
  "$kubegate" serve --config "$demo/kubegate.yaml" > "$demo/kubegate.log" 2>&1 &
pids+=($!)
wait_for "$demo/kubegate.log" '"msg":"listening"' "${pids[-1]}" kubegate
# Ready once the IdP's signing keys are in: /readyz answers 200.
node -e '
  const [host, port] = process.argv[1].split(":");
  const deadline = Date.now() + 15000;
  const poll = () => require("node:http").get({ host, port, path: "/readyz" }, (res) => {
    res.resume();
    if (res.statusCode === 200) process.exit(0);
    retry();
  }).on("error", retry);
  const retry = () => (Date.now() > deadline ? process.exit(1) : setTimeout(poll, 100));
  poll();' "$admin_listen" || { echo "kubegate never became ready:"; cat "$demo/kubegate.log"; exit 1; }
touch "$demo/ready"

kubectl_bin=$(command -v kubectl || true)
run() { # kubeconfig args...
  local kc=$1; shift
  echo; echo "\$ kubectl $*"
  "$kubectl_bin" --kubeconfig "$kc" --cache-dir "$demo/kube-cache" "$@" 2>&1 || true
}
echo "kube-sim (Kubernetes 1.33 stand-in) at https://$sim_listen; IdP at $issuer; kubegate at https://$gw_listen/clusters/demo"
if [ -n "$kubectl_bin" ]; then
  echo; echo "== As the demo agent (IdP client demo-agent, group agents), through kubegate (.demo/kubeconfig-agent) =="
  run "$demo/kubeconfig-agent" auth whoami
  run "$demo/kubeconfig-agent" --context eks-demo auth whoami
  run "$demo/kubeconfig-agent" -n staging get pods
  # exec needs an approval: the request waits while the reviewer decides (docs/approvals.md).
  run "$demo/kubeconfig-agent" -n staging exec api-5c6b7f9d8-m4n7k -- printenv HOSTNAME &
  held=$!
  approval=
  for _ in $(seq 1 100); do
    approval=$("$kubegate" review list --kubeconfig "$demo/kubeconfig-reviewer" --config "$demo/kubegate.yaml" -o json 2>/dev/null |
      node -e 'let s="";process.stdin.on("data",(c)=>s+=c).on("end",()=>{const a=(JSON.parse(s||"{}").items||[]).find((x)=>x.state==="pending");process.stdout.write(a?a.id:"")})')
    [ -n "$approval" ] && break
    sleep 0.1
  done
  echo; echo "  (held: approval $approval waits for a reviewer; as the reviewer, IdP client reviewer:)"
  echo "\$ kubegate review approve $approval --kubeconfig .demo/kubeconfig-reviewer --reason 'checking the pod name'"
  "$kubegate" review approve "$approval" --kubeconfig "$demo/kubeconfig-reviewer" --config "$demo/kubegate.yaml" \
    --reason 'checking the pod name' 2>&1 || true
  wait "$held" || true
  run "$demo/kubeconfig-agent" -n production get secrets
  run "$demo/kubeconfig-agent" delete namespace staging
  run "$demo/kubeconfig-agent" -n staging create -f examples/pods/privileged.yaml
  run "$demo/kubeconfig-agent" -n staging create -f examples/pods/plain.yaml
  echo; echo "== As the trusted agent (IdP client trusted-agent, group trusted) (.demo/kubeconfig-trusted) =="
  run "$demo/kubeconfig-trusted" get pods -A
  run "$demo/kubeconfig-trusted" -n staging exec api-5c6b7f9d8-m4n7k -- printenv HOSTNAME
  echo; echo "== Secret values stay in the gateway, for every agent (docs/masking.md) =="
  run "$demo/kubeconfig-trusted" -n production get secret db-credentials -o jsonpath='{.data.password}{"\n"}'
  run "$demo/kubeconfig-trusted" -n staging exec api-5c6b7f9d8-m4n7k -- env
  echo; echo "== The cluster saw the agents, impersonated by kubegate (.demo/kube-sim/requests.log) =="
  tail -n 3 "$demo/kube-sim/requests.log" | sed -E 's/.*"method":"([A-Z]+)","path":"([^"]*)".*"user":"([^"]*)".*"impersonatedBy":"?([^",]*)"?.*"code":([0-9]+).*/\1 \2  user=\3 via=\4 -> \5/'
  echo; echo "== kubegate's record of it all: refused requests too, and the exec session (docs/audit.md) =="
  echo "\$ kubegate audit query --since 5m"
  "$kubegate" audit query --config "$demo/kubegate.yaml" --since 5m | tail -n 8
  echo; echo "\$ kubegate sessions list"
  "$kubegate" sessions list --config "$demo/kubegate.yaml"
  echo; echo "\$ kubegate audit verify"
  "$kubegate" audit verify --config "$demo/kubegate.yaml" || true
fi
cat <<TOUR

Try it yourself:
  export KUBECONFIG=$demo/kubeconfig-agent      # the agent, through kubegate (token from the IdP)
  kubectl -n staging get pods
  KUBECONFIG=$demo/kubeconfig-trusted kubectl get pods -A   # the trusted agent
  KUBECONFIG=$demo/kubeconfig-direct kubectl get pods -A   # admin, straight to the cluster
  export KUBEGATE_CONFIG=$demo/kubegate.yaml && $kubegate check-config
  curl -s http://$admin_listen/metrics | grep -E 'kubegate_(requests|authentication_failures)_total'
  $kubegate audit query --decision deny                 # the record (KUBEGATE_CONFIG as above)
  $kubegate sessions replay <request id from sessions list>
Logs: $demo/kubegate.log (JSON lines), $demo/kube-sim/requests.log, $demo/idp.log
TOUR
if [ -t 0 ] || [ "${KUBEGATE_DEMO_SERVE:-}" = 1 ]; then
  echo "Ctrl-C stops the demo."
  wait "${pids[@]}"
fi

#!/usr/bin/env bash
# The demo's EKS cluster (scripts/demo.sh starts it): testing/aws-sim's STS stand-in, which also
# serves the gateway's own credentials on a container credentials endpoint (as EKS Pod Identity
# does), and a kube-sim in EKS mode that accepts only EKS tokens and maps IAM roles to users as the
# aws-auth ConfigMap does. Prints "eks-demo ready" once both answer; stops both when it is stopped.
# Usage: scripts/demo-eks.sh DEMO_DIR EKS_LISTEN STS_LISTEN CREDENTIALS_LISTEN
set -euo pipefail
cd "$(dirname "$0")/.."
demo=$1 eks_listen=$2 sts_listen=$3 credentials_listen=$4
account=111122223333
aws=$demo/aws
mkdir -p "$aws" "$demo/kube-sim-eks"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 0' INT TERM

(
  cd "$aws"
  ossl() { openssl "$@" 2>/dev/null; }
  ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -subj /CN=aws-sim-demo-ca -days 30
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj /CN=aws-sim
  ossl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.crt
)
# The projected service-account token a pod would have; the endpoint checks it on every call.
head -c 24 /dev/urandom | base64 | tr -d "\n" > "$aws/pod-identity-token"
chmod 600 "$aws/pod-identity-token"

# The account: the gateway's own role (given out by the credentials endpoint) may assume the two
# roles agents get; they allow session tags and a source identity, which the gateway sets.
agent_trust='{"principals":["arn:aws:iam::'$account':role/kubegate-gateway"],"allowTagSession":true,"allowSourceIdentity":true}'
cat > "$aws/aws-sim.json" <<JSON
{"accountId": "$account",
 "roles": [{"name": "kubegate-gateway", "trust": {}},
           {"name": "kg-eks-agents", "trust": $agent_trust},
           {"name": "kg-eks-admins", "trust": $agent_trust}],
 "sts": {"listen": "$sts_listen", "certFile": "$aws/server.crt", "keyFile": "$aws/server.key"},
 "containerCredentials": {"listen": "$credentials_listen", "path": "/v1/credentials", "tokenFile": "$aws/pod-identity-token",
                          "roleName": "kubegate-gateway", "sessionName": "kubegate-demo"}}
JSON
node testing/aws-sim/bin/aws-sim.js --config "$aws/aws-sim.json" > "$demo/aws-sim-stand-ins.log" 2>&1 &
pids+=($!)

# What aws-auth would say: agents' role → view everywhere; trusted agents' role → cluster admin.
cat > "$demo/kube-sim-eks.json" <<JSON
{"clusterName": "eks-demo", "region": "us-west-2", "partition": "aws",
 "stsUrl": "https://$sts_listen", "stsCaFile": "$aws/ca.crt",
 "mapRoles": [{"rolearn": "arn:aws:iam::$account:role/kg-eks-agents", "username": "eks-agent:{{SessionName}}", "groups": ["viewers"]},
              {"rolearn": "arn:aws:iam::$account:role/kg-eks-admins", "username": "eks-admin:{{SessionName}}", "groups": ["system:masters"]}],
 "mapUsers": []}
JSON
node testing/kube-sim/bin/kube-sim.js --listen "$eks_listen" --state-dir "$demo/kube-sim-eks" --emulated-version 1.33 \
  --eks-config "$demo/kube-sim-eks.json" > "$demo/kube-sim-eks.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 150); do
  if grep -q '"ready":true' "$demo/aws-sim-stand-ins.log" 2>/dev/null && grep -q '"ready":true' "$demo/kube-sim-eks.log" 2>/dev/null; then
    echo "eks-demo ready"
    wait
    exit 0
  fi
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { cat "$demo/aws-sim-stand-ins.log" "$demo/kube-sim-eks.log"; exit 1; }; done
  sleep 0.1
done
echo "the EKS stand-ins did not start"; cat "$demo/aws-sim-stand-ins.log" "$demo/kube-sim-eks.log"; exit 1

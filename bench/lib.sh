# Sourced by the bench scripts: the work directory and the processes it ends, free ports, a
# throwaway PKI, the nginx settings every bench nginx shares, and finding a started gateway's port.
# The caller defines say() and die().

# bench_start PREFIX: a world-readable temp dir in WORK (nginx workers read it) and the working
# directory; every pid the caller adds to PIDS is ended on exit, the dir removed unless BENCH_KEEP.
bench_start() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$WORK"
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  cd "$WORK"
}

bench_cleanup() {
  local pid
  # A load generator, curl or sampler of an interrupted run is a direct child of this shell.
  pkill -TERM -P $$ 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "${BENCH_KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {  # wait_port PORT PID
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# PKI, as a deployment has it: `mkca cluster-ca` for the upstream's serving certificate,
# `mkca gateway-ca` for the certificate agents see and their client certificates (O = group).
ossl() { openssl "$@" 2>/dev/null >/dev/null; }
mkca() {
  ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.crt" \
    -subj "/CN=$1" -days 2
}
issue() {  # issue CA NAME SUBJECT EXTENSIONS
  printf '%b' "$4" >"$2.ext"
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$2.key" -out "$2.csr" -subj "$3"
  ossl x509 -req -in "$2.csr" -CA "$1.crt" -CAkey "$1.key" -CAcreateserial -days 2 -extfile "$2.ext" -out "$2.crt"
}
# The usual set: both CAs, the upstream's and the gateway's serving certificates, an upstream token.
bench_pki() {
  mkca cluster-ca
  mkca gateway-ca
  issue cluster-ca upstream /CN=bench-apiserver 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
  issue gateway-ca front /CN=kubegate 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
  echo "bench-upstream-token-$(openssl rand -hex 16)" >upstream-token
}

# Settings every bench nginx shares: in the foreground, no disk writes outside WORK, long
# keep-alive, TLS 1.2/1.3. nginx_common NAME goes at the top level, nginx_http_common in http {}.
nginx_common() {
  cat <<CONF
daemon off;
master_process on;
pid $WORK/$1.pid;
error_log $WORK/logs/$1.error.log warn;
$( [ "$(id -u)" = 0 ] && echo 'user root;' )
events { worker_connections 4096; }
CONF
}
nginx_http_common() {
  cat <<CONF
  client_body_temp_path $WORK/tmp/body; proxy_temp_path $WORK/tmp/proxy; fastcgi_temp_path $WORK/tmp/fcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi; scgi_temp_path $WORK/tmp/scgi;
  keepalive_requests 10000000; keepalive_timeout 300s;
  ssl_protocols TLSv1.2 TLSv1.3;
CONF
}

gateway_port() {  # gateway_port LOG PID: the port a kubegate logged, once it listens
  local port=
  for _ in $(seq 150); do
    port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$1" | head -1)
    [ -n "$port" ] && break
    kill -0 "$2" 2>/dev/null || die "kubegate exited: $(cat "$1")"
    sleep 0.1
  done
  [ -n "$port" ] || die "kubegate did not start: $(cat "$1")"
  echo "$port"
}

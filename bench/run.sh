#!/usr/bin/env bash
# Benchmark: the cached article page over HTTPS keep-alive, trangtin against nginx
# serving the same bytes from a static file with the same certificate.
#
#   bench/run.sh [seconds-per-run]      (default 15)
#
# Installs nginx and wrk from Debian if missing, builds the release binary, and prints
# requests/s, p50 and p99 latency at 16 and 64 connections, the trangtin/nginx ratio,
# and trangtin's peak RSS. Results also go to bench/out/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-15}"
TT_PORT=18443
NGINX_PORT=19443
ARTICLE=/tin-tuc/techfest-gia-lai-2026-ket-noi-he-sinh-thai-khoi-nghiep

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q nginx-light wrk || \
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q nginx wrk
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release --quiet
BIN=target/release/trangtin
WORK=$(mktemp -d)
mkdir -p bench/out "$WORK/www" "$WORK/nginx"
# nginx workers run as another user: they must be able to read the page.
chmod 755 "$WORK" "$WORK/www"
cleanup() {
  [ -n "${TT_PID:-}" ] && kill "$TT_PID" 2>/dev/null || true
  [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
[ -n "${BENCH_DEBUG:-}" ] && trap - EXIT

"$BIN" --data "$WORK/data" serve --https 127.0.0.1:$TT_PORT --http off >"$WORK/trangtin.log" 2>&1 &
TT_PID=$!
for _ in $(seq 1 100); do
  grep -q "listening on https" "$WORK/trangtin.log" && break
  sleep 0.1
done
grep -q "listening on https" "$WORK/trangtin.log" || { cat "$WORK/trangtin.log"; exit 1; }

# The same bytes for nginx: the article as trangtin serves it (identity encoding).
curl -sk "https://127.0.0.1:$TT_PORT$ARTICLE" -o "$WORK/www/article.html"
chmod 644 "$WORK/www/article.html"
SIZE=$(stat -c %s "$WORK/www/article.html")
[ "$SIZE" -gt 1000 ] || { echo "article fetch failed"; exit 1; }

cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log $WORK/nginx/access.log;
  client_body_temp_path $WORK/nginx;
  proxy_temp_path $WORK/nginx;
  fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx;
  scgi_temp_path $WORK/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl http2;
    ssl_certificate $WORK/data/tls/self-signed.crt;
    ssl_certificate_key $WORK/data/tls/self-signed.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = $ARTICLE { default_type "text/html; charset=utf-8"; alias $WORK/www/article.html; }
  }
}
NGINX
"$NGINX" -c "$WORK/nginx/nginx.conf"
sleep 0.5
curl -sk "https://127.0.0.1:$NGINX_PORT$ARTICLE" | cmp - "$WORK/www/article.html"

# wrk prints latency with units; turn it into milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
    printf "%.2f", n }'
}
run() { # port connections -> "rps p50 p99"
  local out
  out=$(wrk -t2 -c"$2" -d"${DURATION}s" --latency "https://127.0.0.1:$1$ARTICLE")
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

# Warm both (trangtin renders and caches the page on the first request).
wrk -t1 -c4 -d2s "https://127.0.0.1:$TT_PORT$ARTICLE" >/dev/null
wrk -t1 -c4 -d2s "https://127.0.0.1:$NGINX_PORT$ARTICLE" >/dev/null

{
  echo "# trangtin vs nginx: cached article page, HTTPS keep-alive"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${DURATION}s per run, page $SIZE bytes, wrk -t2"
  echo
  echo "| connections | trangtin req/s | p50 ms | p99 ms | nginx req/s | p50 ms | p99 ms | ratio |"
  echo "|---|---|---|---|---|---|---|---|"
} >bench/out/results.md
for c in 16 64; do
  read -r t_rps t_p50 t_p99 <<<"$(run $TT_PORT "$c")"
  read -r n_rps n_p50 n_p99 <<<"$(run $NGINX_PORT "$c")"
  ratio=$(awk -v a="$t_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')
  echo "| $c | $t_rps | $t_p50 | $t_p99 | $n_rps | $n_p50 | $n_p99 | $ratio |" >>bench/out/results.md
done
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$TT_PID/status")
{
  echo
  echo "trangtin peak RSS (VmHWM): $((RSS_KB / 1024)) MB ($RSS_KB kB)"
} >>bench/out/results.md
cat bench/out/results.md

#!/usr/bin/env bash
# Benchmark: the cached article page over HTTPS keep-alive, trangtin against nginx
# serving the same bytes from static files with the same certificate.
#
#   bench/run.sh [seconds-per-run]      (default 15)
#   PIN=1 bench/run.sh [seconds]        servers on CPU 0, the load generators on CPU 1
#   ROUNDS=N bench/run.sh [seconds]     runs per server and line (default 3)
#   RATE=N bench/run.sh [seconds]       requests/s per connection of the fixed-load
#                                       latency runs (default 2500, 16 connections)
#
# Installs nginx (with Debian's brotli_static module), wrk and h2load (nghttp2-client)
# if missing, builds the release binary, and prints, for identity, gzip and br (nginx
# serving precompressed files with gzip_static and brotli_static, the very bytes
# trangtin sends): requests/s, p50 and p99 with wrk over HTTP/1.1 at 16 and 64
# connections, and requests/s over HTTP/2 with h2load (16 connections, 10 streams
# each); the trangtin/nginx ratio; trangtin's peak RSS. Each line alternates trangtin
# and nginx ROUNDS times, back to back, and reports each figure's median: one pair of
# runs on a shared machine can differ by a tenth either way. Then the latency of both
# at the same fixed load (h2load --rps). nginx logs every request, as shipped. Results also go to bench/out/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-15}"
# Each line alternates the two servers this many times and reports the medians.
ROUNDS="${ROUNDS:-3}"
TT_PORT=18443
NGINX_PORT=19443
ARTICLE=/tin-tuc/techfest-gia-lai-2026-ket-noi-he-sinh-thai-khoi-nghiep

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
BROTLI_MODULE=/usr/lib/nginx/modules/ngx_http_brotli_static_module.so
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null || ! command -v h2load >/dev/null \
  || ! [ -f "$BROTLI_MODULE" ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q nginx-light wrk nghttp2-client \
    libnginx-mod-http-brotli-static || \
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q nginx wrk nghttp2-client \
      libnginx-mod-http-brotli-static
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
# Unpinned, both servers share the cores with the load generator, which then measures
# its own waits for a core too (a long tail at high rates). Pinned, each side has a core.
SERVER_CPU=(); LOAD_CPU=(); THREADS=2; SETUP="unpinned, load generator on the same cores"
if [ -n "${PIN:-}" ]; then
  SERVER_CPU=(taskset -c 0); LOAD_CPU=(taskset -c 1); THREADS=1
  SETUP="servers pinned to CPU 0, load generator to CPU 1"
fi

# The same build as the other bench scripts (examples bring dev-dependency features in;
# building without them would build the library again).
cargo build --release --quiet --bins --examples
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

# In a session of its own, as systemd runs it and as nginx's daemon mode runs nginx:
# with the kernel's autogroup on (Debian's default), a session is a scheduling group,
# and a server left in this script's session would share one with the load generator.
"${SERVER_CPU[@]}" setsid "$BIN" --data "$WORK/data" serve --https 127.0.0.1:$TT_PORT --http off >"$WORK/trangtin.log" 2>&1 </dev/null &
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
# The compressed bytes trangtin sends once its best compression is in (it answers a
# miss with a fast one and upgrades in the background).
sleep 1
curl -sk -H 'accept-encoding: gzip' "https://127.0.0.1:$TT_PORT$ARTICLE" -o "$WORK/www/article.html.gz"
curl -sk -H 'accept-encoding: br' "https://127.0.0.1:$TT_PORT$ARTICLE" -o "$WORK/www/article.html.br"
chmod 644 "$WORK/www/article.html.gz" "$WORK/www/article.html.br"
GZ_SIZE=$(stat -c %s "$WORK/www/article.html.gz")
BR_SIZE=$(stat -c %s "$WORK/www/article.html.br")

cat >"$WORK/nginx/nginx.conf" <<NGINX
load_module $BROTLI_MODULE;
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
    location = $ARTICLE {
      default_type "text/html; charset=utf-8";
      alias $WORK/www/article.html;
      gzip_static on;
      brotli_static on;
      gzip_vary on;
    }
  }
}
NGINX
"${SERVER_CPU[@]}" "$NGINX" -c "$WORK/nginx/nginx.conf"
sleep 0.5
curl -sk "https://127.0.0.1:$NGINX_PORT$ARTICLE" | cmp - "$WORK/www/article.html"

# wrk prints latency with units; turn it into milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
    printf "%.2f", n }'
}
run() { # port connections encoding -> "rps p50 p99"
  local out
  out=$("${LOAD_CPU[@]}" wrk -t$THREADS -c"$2" -d"${DURATION}s" --latency -H "Accept-Encoding: $3" "https://127.0.0.1:$1$ARTICLE")
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}
h2() { # port encoding -> "rps"
  "${LOAD_CPU[@]}" h2load -D "$DURATION" -c 16 -m 10 -t $THREADS -H "accept-encoding: $2" "https://127.0.0.1:$1$ARTICLE" 2>/dev/null \
    | awk '/^finished in/ {gsub(",", "", $4); print $4}'
}

# Warm both (trangtin renders and caches the page on the first request).
wrk -t1 -c4 -d2s "https://127.0.0.1:$TT_PORT$ARTICLE" >/dev/null
wrk -t1 -c4 -d2s "https://127.0.0.1:$NGINX_PORT$ARTICLE" >/dev/null
# The same bytes from both, in every encoding.
for enc in gzip br; do
  a=$(curl -sk -H "accept-encoding: $enc" "https://127.0.0.1:$TT_PORT$ARTICLE" | sha256sum)
  b=$(curl -sk -H "accept-encoding: $enc" "https://127.0.0.1:$NGINX_PORT$ARTICLE" | sha256sum)
  [ "$a" = "$b" ] || { echo "nginx does not serve trangtin's $enc bytes" >&2; exit 1; }
done

{
  echo "# trangtin vs nginx: cached article page, HTTPS keep-alive"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${DURATION}s per run, median of $ROUNDS alternated runs per server, page $SIZE bytes (gzip $GZ_SIZE, br $BR_SIZE), wrk -t$THREADS (HTTP/1.1), h2load -c16 -m10 (HTTP/2), $SETUP"
  echo
  echo "| protocol | encoding | connections | trangtin req/s | p50 ms | p99 ms | nginx req/s | p50 ms | p99 ms | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} >bench/out/results.md
# The median of the numbers on stdin, one per line; blank lines are not numbers (each
# run's output ends in a newline, and `<<<` adds one: counted, an empty line sorted
# first and made the "median" of three runs their minimum).
median() { awk 'NF' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# Column $1 of the rows on stdin, median.
col() { awk -v c="$1" 'NF { print $c }' | median; }
for enc in identity gzip br; do
  for c in 16 64; do
    t_runs=""; n_runs=""
    for _ in $(seq 1 "$ROUNDS"); do
      t_runs+="$(run $TT_PORT "$c" "$enc")"$'\n'
      n_runs+="$(run $NGINX_PORT "$c" "$enc")"$'\n'
    done
    t=($(col 1 <<<"$t_runs") $(col 2 <<<"$t_runs") $(col 3 <<<"$t_runs"))
    n=($(col 1 <<<"$n_runs") $(col 2 <<<"$n_runs") $(col 3 <<<"$n_runs"))
    ratio=$(awk -v a="${t[0]}" -v b="${n[0]}" 'BEGIN { printf "%.2f", a / b }')
    echo "| HTTP/1.1 | $enc | $c | ${t[0]} | ${t[1]} | ${t[2]} | ${n[0]} | ${n[1]} | ${n[2]} | $ratio |" >>bench/out/results.md
  done
  t_runs=""; n_runs=""
  for _ in $(seq 1 "$ROUNDS"); do
    t_runs+="$(h2 $TT_PORT "$enc")"$'\n'
    n_runs+="$(h2 $NGINX_PORT "$enc")"$'\n'
  done
  t_rps=$(median <<<"$t_runs")
  n_rps=$(median <<<"$n_runs")
  ratio=$(awk -v a="$t_rps" -v b="$n_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  echo "| HTTP/2 | $enc | 16×10 | $t_rps | | | $n_rps | | | $ratio |" >>bench/out/results.md
done
# Latency at the same load. wrk keeps each connection busy, so the faster server also
# leaves the load generator less of the shared cores, and its waits for a core count
# as the server's latency. Here h2load sends a fixed rate over HTTP/1.1 (16
# connections × RATE requests/s each, below both servers' maximum) and logs each
# request's time.
RATE="${RATE:-2500}"
latency() { # port encoding -> "p50 p99 p99.9" in ms
  rm -f "$WORK/requests.tsv"
  "${LOAD_CPU[@]}" h2load --h1 -D "$DURATION" -c 16 -t "$THREADS" --rps "$RATE" \
    -H "accept-encoding: $2" --log-file "$WORK/requests.tsv" "https://127.0.0.1:$1$ARTICLE" >/dev/null 2>&1
  sort -n -k3 "$WORK/requests.tsv" | awk '{ v[NR] = $3 } END {
    printf "%.2f %.2f %.2f\n", v[int(NR * 0.5)] / 1000, v[int(NR * 0.99)] / 1000, v[int(NR * 0.999)] / 1000 }'
}
{
  echo
  echo "Latency at the same load: $((16 * RATE)) requests/s (16 connections × $RATE), HTTP/1.1, median of $ROUNDS alternated runs:"
  echo
  echo "| encoding | trangtin p50 ms | p99 ms | p99.9 ms | nginx p50 ms | p99 ms | p99.9 ms |"
  echo "|---|---|---|---|---|---|---|"
} >>bench/out/results.md
for enc in identity gzip br; do
  t_runs=""; n_runs=""
  for _ in $(seq 1 "$ROUNDS"); do
    t_runs+="$(latency $TT_PORT "$enc")"$'\n'
    n_runs+="$(latency $NGINX_PORT "$enc")"$'\n'
  done
  echo "| $enc | $(col 1 <<<"$t_runs") | $(col 2 <<<"$t_runs") | $(col 3 <<<"$t_runs") | $(col 1 <<<"$n_runs") | $(col 2 <<<"$n_runs") | $(col 3 <<<"$n_runs") |" >>bench/out/results.md
done
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$TT_PID/status")
{
  echo
  echo "trangtin peak RSS (VmHWM): $((RSS_KB / 1024)) MB ($RSS_KB kB)"
} >>bench/out/results.md
cat bench/out/results.md

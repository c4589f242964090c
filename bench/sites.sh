#!/usr/bin/env bash
# Several sites in one process (issue 19): memory, start-up time and cached throughput
# of SITES sites with the demo content in one process, against one site alone and
# against the same sites as separate processes.
#
#   bench/sites.sh [SITES]      (default 50)
#
# 1. Writes SITES site files (demo content, daily jobs off) and starts the release binary
#    once to seed them; then starts it again and times the start-up (to "listening").
# 2. Resident memory idle, then after a crawl of every page each site's sitemap lists.
# 3. Cached throughput: wrk over HTTPS (64 connections, `Accept-Encoding: gzip`) on the
#    home pages, each request for the next site in turn (connections without SNI are
#    routed by Host); then the same against a process serving one of the sites alone.
# 4. The same sites as SITES separate single-site processes: memory idle and after the
#    same crawl, summed.
# Results go to bench/out/sites.md. Not a test: nothing here asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-50}"
for tool in curl wrk; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install $tool" >&2; exit 2; }
done
cargo build --release --quiet --bins --examples
BIN=$PWD/target/release/trangtin
WORK=$(mktemp -d)
mkdir -p bench/out
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

site_file() { # NAME DATA → a site's settings
  cat <<EOT
hosts = ["$1.test"]
base_url = "https://$1.test"
demo = true
data = "$2"
[backup]
enabled = false
[integrity]
daily = false
EOT
}

mkdir -p "$WORK/etc/sites"
cat >"$WORK/etc/trangtin.toml" <<EOT
data = "$WORK/var"
log = "warn,trangtin=info"
[listen]
https = "127.0.0.1:0"
http = "off"
[limits]
max_connections_per_ip = 1024
EOT
for i in $(seq 1 "$N"); do
  site_file "s$i" "$WORK/var/sites/s$i" >"$WORK/etc/sites/s$i.toml"
done

# start LOG ARGS… : starts the binary, waits for its port; sets PID and PORT.
start() {
  local log="$1"; shift
  : >"$log"
  "$BIN" "$@" >"$log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 1 3000); do
    grep -q "listening on https://" "$log" && break
    kill -0 "$PID" 2>/dev/null || { cat "$log"; echo "the server stopped" >&2; exit 2; }
    sleep 0.05
  done
  PORT=$(grep -o "listening on https://127.0.0.1:[0-9]*" "$log" | head -n 1 | grep -o "[0-9]*$")
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
peak() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# Every page the sitemap of NAME lists, fetched once.
crawl() {
  local name="$1" port="$2" base="https://$1.test:$2"
  local resolve="--resolve $name.test:$port:127.0.0.1"
  # shellcheck disable=SC2086
  curl -sk $resolve "$base/sitemap.xml" | grep -o '<loc>[^<]*</loc>' | sed 's/<loc>//; s/<\/loc>//' |
    while read -r part; do
      # shellcheck disable=SC2086
      curl -sk $resolve "$(echo "$part" | sed "s#^https://[^/]*#$base#")" | grep -o '<loc>[^<]*</loc>' |
        sed 's/<loc>//; s/<\/loc>//; s#^https://[^/]*##'
    done >"$WORK/pages-$name.txt"
  {
    while read -r path; do
      echo "url = \"$base$path\""
      echo "output = \"/dev/null\""
    done <"$WORK/pages-$name.txt"
  } >"$WORK/crawl-$name.cfg"
  # shellcheck disable=SC2086
  curl -sk $resolve -H 'accept-encoding: br, gzip' -K "$WORK/crawl-$name.cfg" -w '%{http_code}\n' | grep -vc '^200$' || true
}

throughput() { # PORT HOSTS → req/s and p99 of wrk on the home pages
  local port="$1" hosts="$2"
  cat >"$WORK/hosts.lua" <<EOT
local hosts = {}
for i = 1, $hosts do hosts[i] = "s" .. i .. ".test" end
local n = 0
request = function()
  n = n % $hosts + 1
  return wrk.format("GET", "/", { ["Host"] = hosts[n], ["Accept-Encoding"] = "gzip" })
end
EOT
  wrk -t2 -c64 -d3s -s "$WORK/hosts.lua" "https://127.0.0.1:$port/" >/dev/null
  wrk -t2 -c64 -d8s --latency -s "$WORK/hosts.lua" "https://127.0.0.1:$port/" >"$WORK/wrk.txt"
  awk '/Requests\/sec/ {r=$2} /99%/ {p=$2} END {print r, p}' "$WORK/wrk.txt"
}

echo "seeding $N sites…" >&2
start "$WORK/seed.log" --config "$WORK/etc/trangtin.toml" serve
kill "$PID"; wait "$PID" 2>/dev/null || true

started=$(date +%s.%N)
start "$WORK/multi.log" --config "$WORK/etc/trangtin.toml" serve
ready=$(date +%s.%N)
MULTI=$PID MULTI_PORT=$PORT
sleep 5
idle=$(rss "$MULTI")
bad=0
for i in $(seq 1 "$N"); do bad=$((bad + $(crawl "s$i" "$MULTI_PORT"))); done
pages=$(cat "$WORK"/pages-*.txt | wc -l)
crawled=$(rss "$MULTI") crawled_peak=$(peak "$MULTI")
read -r multi_rps multi_p99 < <(throughput "$MULTI_PORT" "$N")
after_load=$(rss "$MULTI")
kill "$MULTI"; wait "$MULTI" 2>/dev/null || true

# One site alone: s1's folder, its own process.
mkdir -p "$WORK/one/sites"
printf 'data = "%s"\nlog = "warn,trangtin=info"\n[listen]\nhttps = "127.0.0.1:0"\nhttp = "off"\n[limits]\nmax_connections_per_ip = 1024\n' \
  "$WORK/one" >"$WORK/one/trangtin.toml"
site_file s1 "$WORK/var/sites/s1" >"$WORK/one/sites/s1.toml"
start "$WORK/one.log" --config "$WORK/one/trangtin.toml" serve
ONE=$PID
sleep 2
crawl s1 "$PORT" >/dev/null
one_idle=$(rss "$ONE")
read -r one_rps one_p99 < <(throughput "$PORT" 1)
kill "$ONE"; wait "$ONE" 2>/dev/null || true

# The same sites as separate processes.
SEPARATE=()
PORTS=()
for i in $(seq 1 "$N"); do
  mkdir -p "$WORK/p$i"
  printf 'data = "%s"\nhosts = ["s%s.test"]\nbase_url = "https://s%s.test"\ndemo = true\n[listen]\nhttps = "127.0.0.1:0"\nhttp = "off"\n[backup]\nenabled = false\n[integrity]\ndaily = false\n' \
    "$WORK/var/sites/s$i" "$i" "$i" >"$WORK/p$i/trangtin.toml"
  start "$WORK/p$i.log" --config "$WORK/p$i/trangtin.toml" serve
  SEPARATE+=("$PID"); PORTS+=("$PORT")
done
sleep 5
sep_idle=0; for pid in "${SEPARATE[@]}"; do sep_idle=$((sep_idle + $(rss "$pid"))); done
for i in $(seq 1 "$N"); do crawl "s$i" "${PORTS[$((i - 1))]}" >/dev/null; done
sep_crawled=0; for pid in "${SEPARATE[@]}"; do sep_crawled=$((sep_crawled + $(rss "$pid"))); done
for pid in "${SEPARATE[@]}"; do kill "$pid" 2>/dev/null || true; done

mb() { echo "$(( $1 / 1024 ))"; }
{
  echo "# $N sites in one process"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, release build, demo content in every site"
  echo
  echo "| measure | one process, $N sites | $N processes |"
  echo "|---|---|---|"
  echo "| start-up (to listening, stores already seeded) | $(printf "%.2f" "$(echo "$ready - $started" | bc)") s | |"
  echo "| RSS idle | $(mb "$idle") MB | $(mb "$sep_idle") MB |"
  echo "| RSS after a crawl of every site ($pages pages, $bad not 200) | $(mb "$crawled") MB (peak $(mb "$crawled_peak") MB) | $(mb "$sep_crawled") MB |"
  echo "| RSS after the throughput run | $(mb "$after_load") MB | |"
  echo "| per added site, after the crawl | $(( (crawled - one_idle) / (N - 1) / 1024 )) MB | |"
  echo
  echo "Cached home pages over HTTPS/1.1, 64 connections, gzip, each request for the next site:"
  echo
  echo "| | req/s | p99 |"
  echo "|---|---|---|"
  echo "| $N sites in one process | $multi_rps | $multi_p99 |"
  echo "| one site alone | $one_rps | $one_p99 |"
  echo
  echo "One site alone after its crawl: $(mb "$one_idle") MB."
} | tee bench/out/sites.md

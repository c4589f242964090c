#!/usr/bin/env bash
# Uncached renders: the first request for each of ENTRIES distinct articles, and a crawl
# of every page of the site with an empty cache.
#
#   bench/render.sh [ENTRIES]      (default 1000)
#
# Builds the release binary and the `render_seed` example, starts the binary on a
# temporary data folder (the demo content), stops it, adds ENTRIES generated articles,
# and starts it again. Then, over one keep-alive HTTPS connection (TLS set up before
# the clock starts; `Accept-Encoding: br, gzip`, as browsers send):
#   - the time from request to last byte of the first request for each new article
#     (median, p90, p99);
#   - the same for a second request (the cached path), for comparison;
#   - after a restart (empty cache), every page the sitemap lists: pages per second.
# Results also go to bench/out/render.md. Not a test: nothing here asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES="${1:-1000}"
command -v curl >/dev/null || { echo "curl is missing: apt-get install curl" >&2; exit 2; }

# The same build as the other bench scripts (examples bring dev-dependency features in;
# building the two apart would build the library twice).
cargo build --release --quiet --bins --examples
BIN=target/release/trangtin
SEED=target/release/examples/render_seed
WORK=$(mktemp -d)
mkdir -p bench/out
cleanup() {
  if [ -n "${TT_PID:-}" ]; then kill "$TT_PID" 2>/dev/null || true; wait "$TT_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

start() {
  : >"$WORK/trangtin.log"
  "$BIN" --data "$WORK/data" serve --https 127.0.0.1:0 --http off >"$WORK/trangtin.log" 2>&1 &
  TT_PID=$!
  for _ in $(seq 1 600); do
    grep -q "listening on https://" "$WORK/trangtin.log" && break
    sleep 0.1
  done
  BASE=$(grep -o "listening on https://[^ ]*" "$WORK/trangtin.log" | head -n 1 | sed 's/^listening on //; s/[^0-9]*$//')
  [ -n "$BASE" ] || { cat "$WORK/trangtin.log"; echo "the server did not start" >&2; exit 2; }
}
stop() {
  kill "$TT_PID"; wait "$TT_PID" 2>/dev/null || true; TT_PID=""
}

# One curl run over one connection: the first URL sets TLS up and is not counted.
timed() {
  local list="$1" out="$2"
  {
    echo "url = \"$BASE/robots.txt\""
    echo "output = \"/dev/null\""
    while read -r path; do
      echo "url = \"$BASE$path\""
      echo "output = \"/dev/null\""
    done <"$list"
  } >"$WORK/curl.cfg"
  curl -sk --http1.1 -H 'accept-encoding: br, gzip' -w '%{http_code} %{time_total}\n' -K "$WORK/curl.cfg" | tail -n +2 >"$out"
}

stats() {
  awk '{print $2 * 1000}' "$1" | sort -n | awk '
    { v[NR] = $1; s += $1 }
    END {
      printf "%d requests, median %.2f ms, p90 %.2f ms, p99 %.2f ms, mean %.2f ms\n",
        NR, v[int(NR * 0.5) + 1], v[int(NR * 0.9) + 1], v[int(NR * 0.99) + 1], s / NR
    }'
}

start
stop
"$SEED" "$WORK/data" "$ENTRIES" >"$WORK/articles.txt"
start

timed "$WORK/articles.txt" "$WORK/first.txt"
timed "$WORK/articles.txt" "$WORK/second.txt"
bad=$(awk '$1 != 200' "$WORK/first.txt" | wc -l)

# Every page the sitemap lists, with an empty cache.
curl -sk "$BASE/sitemap.xml" | grep -o '<loc>[^<]*</loc>' | sed 's/<loc>//; s/<\/loc>//' >"$WORK/parts.txt"
: >"$WORK/pages.txt"
while read -r part; do
  # shellcheck disable=SC2001
  curl -sk "$(echo "$part" | sed "s#^https://[^/]*#$BASE#")" | grep -o '<loc>[^<]*</loc>' | sed 's/<loc>//; s/<\/loc>//; s#^https://[^/]*##' >>"$WORK/pages.txt"
done <"$WORK/parts.txt"
stop
start
started=$(date +%s.%N)
timed "$WORK/pages.txt" "$WORK/crawl.txt"
ended=$(date +%s.%N)
pages=$(wc -l <"$WORK/crawl.txt")
crawl_bad=$(awk '$1 != 200' "$WORK/crawl.txt" | wc -l)
rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$TT_PID/status")

{
  echo "# Uncached renders: $ENTRIES generated articles over the demo site"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, one keep-alive HTTPS/1.1 connection, accept-encoding br, gzip"
  echo
  echo "- first request (render, fast compression): $(stats "$WORK/first.txt")"
  echo "- second request (cached): $(stats "$WORK/second.txt")"
  echo "- non-200 answers: $bad"
  echo "- crawl of every page in the sitemap, empty cache: $pages pages in $(echo "$ended - $started" | bc) s = $(echo "$pages / ($ended - $started)" | bc) pages/s ($crawl_bad not 200)"
  echo "- server peak RSS: ${rss} MB"
} | tee bench/out/render.md

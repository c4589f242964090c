#!/usr/bin/env bash
# Benchmark: one million entries on one box.
#
#   bench/million.sh [ENTRIES]      (default 1000000; needs about 8 GB of free disk)
#
# MILLION_DATA=DIR keeps the generated folder there and, when it already holds one,
# skips generating and indexing.
#
# Generates the entries (bench/million_seed.rs: four in five news articles of ~480 words
# in eight sections, one in five legal documents with their metadata) into an empty data
# folder, builds the search index with `trangtin reindex`, then starts the release
# server on it (demo = false, as `trangtin install` writes) and measures, each request
# uncached and over one keep-alive HTTPS connection (curl, TLS setup excluded):
#   - the home page (the first request after a start, over seven starts);
#   - 200 list pages across the pagination of /tin-tuc and of a section, and 20 pages
#     of the legal document register /van-ban;
#   - the sitemap index and every sitemap part;
#   - 1,000 searches (one to three common syllables, half without diacritics);
# then the server's peak RSS; then, through the running server, the time of an
# integrity check and of a backup, and the peak RSS after each. The daily backup and
# check are off while the pages are measured, and run on demand after.
# Results go to bench/out/million.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES="${1:-1000000}"
PORT=18643
command -v curl >/dev/null || { echo "needs curl"; exit 1; }

# The same build as the other bench scripts (examples bring dev-dependency features in;
# building the two apart would build the library twice).
cargo build --release --quiet --bins --examples
BIN=target/release/trangtin
WORK=$(mktemp -d)
cleanup() {
  [ -n "${TT_PID:-}" ] && kill "$TT_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
DATA="${MILLION_DATA:-$WORK/data}"
mkdir -p bench/out

if [ -f "$DATA/trangtin.redb" ] && [ -f "$DATA/.million-times" ]; then
  read -r SEED_SECS INDEX_SECS INDEX_RSS <"$DATA/.million-times"
else
  echo "generating $ENTRIES entries…"
  SEED_SECS=$(target/release/examples/million_seed "$DATA" "$ENTRIES")
  echo "indexing…"
  START=$(date +%s.%N)
  /usr/bin/time -f %M -o "$WORK/reindex.rss" "$BIN" --data "$DATA" reindex >/dev/null
  INDEX_SECS=$(printf %.1f "$(echo "$(date +%s.%N) - $START" | bc)")
  INDEX_RSS=$(( $(cat "$WORK/reindex.rss") / 1024 ))
  echo "$SEED_SECS $INDEX_SECS $INDEX_RSS" >"$DATA/.million-times"
fi
STORE_MB=$(( $(stat -c %s "$DATA/trangtin.redb") / 1000000 ))
INDEX_MB=$(( $(du -sb "$DATA/search" | cut -f1) / 1000000 ))

cat >"$WORK/trangtin.toml" <<TOML
demo = false
[backup]
enabled = false
[integrity]
daily = false
TOML
# Starts the server in the background (TT_PID) and waits until it listens.
start_server() {
  "$BIN" --config "$WORK/trangtin.toml" --data "$DATA" serve --https 127.0.0.1:$PORT --http off \
    >"$WORK/server.log" 2>&1 &
  TT_PID=$!
  for _ in $(seq 1 600); do
    grep -q "listening on https" "$WORK/server.log" && break
    sleep 0.1
  done
  grep -q "listening on https" "$WORK/server.log" || { cat "$WORK/server.log"; exit 1; }
}
ORIGIN="https://127.0.0.1:$PORT"

# Times (ms) of each URL in "$@", one keep-alive connection, TLS setup excluded.
times() {
  local args=()
  for url in "$@"; do args+=(-o /dev/null "$ORIGIN$url"); done
  curl -sk --compressed -w '%{http_code} %{time_appconnect} %{time_total}\n' "${args[@]}" |
    awk '$1 != "200" { bad++ } { printf "%.3f\n", ($3 - $2) * 1000 } END { if (bad) print "non-200: " bad > "/dev/stderr" }'
}
stats() { # label, times on stdin -> "| label | n | median | p95 | max |"
  sort -n | awk -v label="$1" '{ v[NR] = $1 } END {
    if (NR == 0) { print "| " label " | 0 | | | |"; exit }
    printf "| %s | %d | %.2f | %.2f | %.2f |\n", label, NR, v[int((NR + 1) / 2)], v[int(NR * 0.95 + 0.999)], v[NR] }'
}

# The home page is cached once rendered: its uncached time is that of the first
# request after a start (the store's cache and the process's memory cold too), taken
# over several starts, since one sample on a shared machine says little.
# The server's own time for it (from its request log, written when it stops) is
# reported beside: the rest is the new process's first run of its code paths.
HOME_TIMES=(); HOME_OWN=()
for _ in $(seq 1 7); do
  start_server
  HOME_TIMES+=("$(times / | head -1)")
  kill "$TT_PID"
  wait "$TT_PID" 2>/dev/null || true
  LOG=$(ls -t "$DATA"/logs/requests-*.log | head -1)
  HOME_OWN+=("$(awk '$3 == "GET" && $4 == "/" { ms = $6 } END { print ms }' "$LOG")")
done
HOME_ROW=$(printf '%s\n' "${HOME_TIMES[@]}" | stats "home page (first request after a start, 7 starts)")
HOME_OWN_ROW=$(printf '%s\n' "${HOME_OWN[@]}" | stats "the same, the server's own time (its request log)")
start_server
START_RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$TT_PID/status")
ARTICLES=$(( ENTRIES * 4 / 5 ))
DEEP=()
for i in $(seq 1 200); do
  if (( i % 2 )); then
    DEEP+=("/tin-tuc?trang=$(( (ARTICLES / 12) * i / 201 + 1 ))")
  else
    DEEP+=("/chuyen-muc/chuyen-doi-so?trang=$(( (ARTICLES / 8 / 12) * i / 201 + 1 ))")
  fi
done
LIST_ROW=$(times "${DEEP[@]}" | stats "list pages across the pagination (/tin-tuc and a section)")
REGISTER=()
for i in $(seq 1 20); do REGISTER+=("/van-ban?trang=$(( (ENTRIES / 5 / 20) * i / 21 + 1 ))"); done
REGISTER_ROW=$(times "${REGISTER[@]}" | stats "legal document register pages (/van-ban, filters over every document)")
INDEX_MS=$(times /sitemap.xml | head -1)
mapfile -t PARTS < <(curl -sk "$ORIGIN/sitemap.xml" | grep -o "<loc>[^<]*</loc>" | sed -e 's|<loc>https://[^/]*||' -e 's|</loc>||')
PART_ROW=$(times "${PARTS[@]}" | stats "sitemap parts (every one, up to 2,000 URLs each)")

WORDS=(khoa học công nghệ đổi mới sáng tạo quyết định kế hoạch nhiệm vụ đề tài dự án tiêu chuẩn đo lường chất lượng sở hữu trí tuệ chuyển số thông tin điện tử hội thảo nghiên cứu ứng dụng nông nghiệp)
PLAIN=(khoa hoc cong nghe doi moi sang tao quyet dinh ke hoach nhiem vu de tai du an tieu chuan do luong chat luong so huu tri tue chuyen so thong tin dien tu hoi thao nghien cuu ung dung nong nghiep)
QUERIES=()
RANDOM=42
for i in $(seq 1 1000); do
  n=$(( RANDOM % 3 + 1 ))
  q=""
  for _ in $(seq 1 $n); do
    k=$(( RANDOM % ${#WORDS[@]} ))
    if (( i % 2 )); then w=${WORDS[$k]}; else w=${PLAIN[$k]}; fi
    q="$q${q:++}$w"
  done
  QUERIES+=("/tim-kiem?q=$(printf '%s' "$q" | jq -sRr @uri 2>/dev/null || printf '%s' "$q")")
done
SEARCH_ROW=$(times "${QUERIES[@]}" | stats "searches (1,000, top 10 with snippets, page rendered)")

RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$TT_PID/status")
# Of the resident memory now: the process's own (anonymous) and the pages of mapped
# files (the binary, and index files a writer mapped: the kernel's page cache, shared
# and dropped under memory pressure, but counted in RSS).
ANON_KB=$(awk '/RssAnon/ {print $2}' "/proc/$TT_PID/status")
FILE_KB=$(awk '/RssFile/ {print $2}' "/proc/$TT_PID/status")
START=$(date +%s.%N)
"$BIN" --data "$DATA" verify >/dev/null || true
VERIFY_SECS=$(echo "$(date +%s.%N) - $START" | bc)
VERIFY_RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$TT_PID/status")
START=$(date +%s.%N)
"$BIN" --data "$DATA" backup >/dev/null
BACKUP_SECS=$(echo "$(date +%s.%N) - $START" | bc)
BACKUP_RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$TT_PID/status")
BACKUP_MB=$(( $(du -sb "$DATA/backups" | cut -f1) / 1000000 ))
rm -rf "$DATA/backups"

{
  echo "# One million entries on one box"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $ENTRIES entries ($ARTICLES articles, $((ENTRIES - ARTICLES)) legal documents)"
  echo
  echo "| measure | value |"
  echo "|---|---|"
  echo "| generate and publish (1,000 per transaction) | ${SEED_SECS} s |"
  echo "| build the search index (\`trangtin reindex\`) | $INDEX_SECS s, peak RSS $INDEX_RSS MB |"
  echo "| store (trangtin.redb) / search index | $STORE_MB MB / $INDEX_MB MB |"
  echo "| server RSS after start / peak after the requests below | $((START_RSS_KB / 1024)) MB / $((RSS_KB / 1024)) MB |"
  echo "| of the RSS after the requests: anonymous / mapped files | $((ANON_KB / 1024)) MB / $((FILE_KB / 1024)) MB |"
  echo "| integrity check through the running server | $(printf %.1f "$VERIFY_SECS") s; server peak RSS then $((VERIFY_RSS_KB / 1024)) MB |"
  echo "| backup through the running server | $(printf %.1f "$BACKUP_SECS") s ($BACKUP_MB MB); server peak RSS then $((BACKUP_RSS_KB / 1024)) MB |"
  echo
  echo "Uncached requests (ms, keep-alive HTTPS, TLS setup excluded):"
  echo
  echo "| request | n | median | p95 | max |"
  echo "|---|---|---|---|---|"
  echo "$HOME_ROW"
  echo "$HOME_OWN_ROW"
  echo "| sitemap index | 1 | $INDEX_MS | | |"
  echo "$LIST_ROW"
  echo "$REGISTER_ROW"
  echo "$PART_ROW"
  echo "$SEARCH_ROW"
} >bench/out/million.md
cat bench/out/million.md

#!/usr/bin/env bash
# Lighthouse 12, mobile (its default form factor, simulated slow 4G and 4x CPU slowdown),
# on four public pages: home, one article, /van-ban and the question form.
#
#   bench/lighthouse.sh [BASE_URL]      e.g. https://127.0.0.1:8443
#
# With no BASE_URL it builds the release binary, starts it on a temporary data folder
# with the demo content on a free loopback port, and stops it at the end
# (TRANGTIN_BIN=path uses that binary as it is, without building).
# Each page runs three times; the table has the median performance score and the
# lowest accessibility, best-practices and SEO scores of the three, and below it every
# audit of those three categories that scored under 1. Reports go to bench/out/lighthouse/,
# the table to bench/out/lighthouse.md. Exit 1 if a page's performance is under
# LH_MIN_PERF (default 95), 2 if Lighthouse could not run.
#
# Environment: CHROME_PATH (default /usr/bin/chromium), LH_ARTICLE (the article's path;
# default: the first /tin-tuc/ link on the home page), LH_RUNS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${1:-}"
MIN_PERF="${LH_MIN_PERF:-95}"
RUNS="${LH_RUNS:-3}"
LH=.ci/node_modules/lighthouse/cli/index.js
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"

if ! [ -f "$LH" ]; then
  echo "Lighthouse is not installed in .ci/node_modules; install it (with axe-core, which the tests use) by:" >&2
  echo "  npm install --prefix .ci --no-save --no-audit --no-fund axe-core@4.14 lighthouse@12" >&2
  exit 2
fi
command -v node >/dev/null || { echo "node is missing: apt-get install nodejs" >&2; exit 2; }
[ -x "$CHROME_PATH" ] || { echo "no Chromium at $CHROME_PATH: apt-get install chromium, or set CHROME_PATH" >&2; exit 2; }

WORK=$(mktemp -d)
cleanup() {
  if [ -n "${TT_PID:-}" ]; then
    kill "$TT_PID" 2>/dev/null || true
    wait "$TT_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "$BASE" ]; then
  BIN="${TRANGTIN_BIN:-}"
  if [ -z "$BIN" ]; then
    cargo build --release --quiet --bins --examples
    BIN=target/release/trangtin
  fi
  # Port 0: the kernel picks a free port; the log line names it.
  "$BIN" --data "$WORK/data" serve --https 127.0.0.1:0 --http off >"$WORK/trangtin.log" 2>&1 &
  TT_PID=$!
  for _ in $(seq 1 600); do
    grep -q "listening on https://" "$WORK/trangtin.log" && break
    kill -0 "$TT_PID" 2>/dev/null || break
    sleep 0.1
  done
  BASE=$(grep -o "listening on https://[^ ]*" "$WORK/trangtin.log" | head -n 1 | sed 's/^listening on //; s/[^0-9]*$//') || true
  [ -n "$BASE" ] || { cat "$WORK/trangtin.log"; echo "the server did not start" >&2; exit 2; }
fi
BASE="${BASE%/}"

ARTICLE="${LH_ARTICLE:-}"
if [ -z "$ARTICLE" ]; then
  ARTICLE=$(curl -sk "$BASE/" | grep -o 'href="/tin-tuc/[^"?#]\+"' | head -n 1 | sed 's/^href="//; s/"$//') || true
  [ -n "$ARTICLE" ] || { echo "no /tin-tuc/ article link on $BASE/; set LH_ARTICLE" >&2; exit 2; }
fi
PAGES=(/ "$ARTICLE" /van-ban /hoi-dap/gui-cau-hoi)

# The self-signed certificate: --ignore-certificate-errors lets Chromium load the page
# (without it Lighthouse stops at the interstitial, INSECURE_DOCUMENT_REQUEST);
# is-on-https and the other HTTPS audits still judge the page as served over HTTPS.
CHROME_FLAGS="--headless=new --no-sandbox --ignore-certificate-errors"
OUT=bench/out/lighthouse
rm -rf "$OUT"
mkdir -p "$OUT"

# One report -> "performance accessibility best-practices seo" (0-100; -1 if missing),
# then one line per audit under 1 in the last three categories.
scores() {
  # shellcheck disable=SC2016 # a JavaScript template literal, not the shell's
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const pct = (id) => { const c = r.categories[id]; return c && c.score !== null ? Math.round(c.score * 100) : -1; };
    console.log(["performance", "accessibility", "best-practices", "seo"].map(pct).join(" "));
    for (const id of ["accessibility", "best-practices", "seo"]) {
      for (const ref of (r.categories[id] || { auditRefs: [] }).auditRefs) {
        const a = r.audits[ref.id];
        if (!["binary", "numeric", "metricSavings", "error"].includes(a.scoreDisplayMode)) continue;
        if (a.score !== null && a.score >= 1) continue;
        const items = ((a.details && a.details.items) || []).map((it) =>
          (it.node && (it.node.selector || it.node.snippet)) || it.url || it.description || it.source || "").filter(Boolean);
        console.log(`  ${id}: ${a.id} (${a.title})${a.errorMessage ? ": " + a.errorMessage : ""}${a.explanation ? ": " + a.explanation.split("\n")[0] : ""}${items.length ? ": " + items.slice(0, 5).join(", ") : ""}`);
      }
    }' "$1"
}

{
  echo "# Lighthouse $(node -p 'require("./.ci/node_modules/lighthouse/package.json").version'), mobile: $BASE"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $("$CHROME_PATH" --version 2>/dev/null | head -n 1), runs a page: $RUNS"
  echo
  echo "| page | performance (median) | accessibility | best-practices | seo |"
  echo "|---|---|---|---|---|"
} >bench/out/lighthouse.md
FAILED=0
DETAILS=""
for page in "${PAGES[@]}"; do
  name=$(echo "$page" | sed 's|^/$|home|; s|^/||; s|/|_|g')
  perfs=()
  a11y=100 bp=100 seo=100
  for run in $(seq 1 "$RUNS"); do
    report="$OUT/$name-$run.json"
    echo "lighthouse $page ($run/$RUNS)" >&2
    if ! node "$LH" "$BASE$page" --quiet --output=json --output-path="$report" \
        --only-categories=performance,accessibility,best-practices,seo \
        --chrome-flags="$CHROME_FLAGS"; then
      [ -f "$report" ] && node -e 'const r = require(process.argv[1]); if (r.runtimeError) console.error(r.runtimeError.code + ": " + r.runtimeError.message)' "$(realpath "$report")"
      echo "Lighthouse failed on $BASE$page" >&2
      exit 2
    fi
    out=$(scores "$report")
    read -r p a b s <<<"$(head -n 1 <<<"$out")"
    perfs+=("$p")
    if [ "$a" -lt "$a11y" ]; then a11y=$a; fi
    if [ "$b" -lt "$bp" ]; then bp=$b; fi
    if [ "$s" -lt "$seo" ]; then seo=$s; fi
    # Failing audits of the first run; later runs see the same page.
    if [ "$run" -eq 1 ] && [ "$(wc -l <<<"$out")" -gt 1 ]; then
      DETAILS+="$page"$'\n'"$(tail -n +2 <<<"$out")"$'\n'
    fi
  done
  perf=$(printf '%s\n' "${perfs[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
  echo "| $page | $perf (${perfs[*]}) | $a11y | $bp | $seo |" >>bench/out/lighthouse.md
  if [ "$perf" -lt "$MIN_PERF" ]; then FAILED=1; fi
done
if [ -n "$DETAILS" ]; then
  {
    echo
    echo "Audits under 1 (first run):"
    echo
    echo '```'
    printf '%s' "$DETAILS"
    echo '```'
  } >>bench/out/lighthouse.md
fi
cat bench/out/lighthouse.md
if [ "$FAILED" -ne 0 ]; then
  echo "performance under $MIN_PERF on at least one page" >&2
  exit 1
fi

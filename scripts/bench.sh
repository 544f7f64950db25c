#!/usr/bin/env bash
# Benchmarks for the closing notes (numbers, not pass/fail):
#   /login SSR req/s vs a bare axum route, idle RSS, cold start with migrations, WASM size,
#   publishing throughput vs a bare client loop and the burst's RSS peak, library page and
#   search latency at 10k drafts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
bash scripts/build.sh --release
BIN="$CARGO_TARGET_DIR/release/covalynce"

echo "==> WASM: the first load, then each lazy page group (main + the chunks it fetches), gzip -9"
python3 - "$SITE_ROOT/pkg" <<'PY'
import gzip, json, os, sys
pkg = sys.argv[1]
gz = lambda f: len(gzip.compress(open(os.path.join(pkg, f), "rb").read(), 9))
first = gz("covalynce_bg.wasm") + gz("covalynce.js") + gz("__wasm_split.______________________.js")
wasm = [f for f in os.listdir(pkg) if f.endswith(".wasm")]
print(f"first load (wasm + js glue + chunk loader) {first:>9} B   ({len(wasm)} wasm files, {sum(gz(f) for f in wasm)} B all together)")
for split, chunks in sorted(json.load(open(os.path.join(pkg, "__wasm_split_manifest.json"))).items()):
    print(f"  {split.rsplit('_', 1)[0]:<18} {len(chunks):>3} files   first load + group {first + sum(gz(c + '.wasm') for c in chunks):>9} B")
print(f"covalynce.css {gz('covalynce.css'):>9} B")
PY

echo "==> cold start (fresh data dir: key generation + all migrations) and idle RSS"
for db in sqlite postgres; do
  DIR=$(mktemp -d); PORT=$((3900 + RANDOM % 50))
  URL=""; [ "$db" = postgres ] && { psql -q -h 127.0.0.1 -d test -c "drop database if exists cov_bench" -c "create database cov_bench" >/dev/null; URL="postgres://127.0.0.1:5432/cov_bench"; }
  start=$(date +%s%N)
  DATA_DIR="$DIR" PORT=$PORT DATABASE_URL="$URL" RUST_LOG=warn "$BIN" serve & PID=$!
  until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do sleep 0.005; done
  end=$(date +%s%N)
  curl -sf "http://127.0.0.1:$PORT/login" >/dev/null
  sleep 3
  rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  printf '%-9s cold start %5d ms   idle RSS %6.1f MB\n' "$db" $(((end - start) / 1000000)) "$(awk "BEGIN{print $rss/1024}")"
  kill $PID; wait $PID 2>/dev/null || true; rm -rf "$DIR"
done

echo "==> publishing: queue vs a bare client loop (0 and 100 ms platform latency), 10,000 posts due in one minute (lateness, RSS peak)"
cargo bench -p server --bench dispatch --quiet

echo "==> /login SSR vs bare axum"
cargo bench -p server --bench http --quiet

echo "==> content library at 10,000 drafts: /api/content/library p50/p95 (SQLite, PostgreSQL)"
cargo bench -p server --bench library --quiet

echo "==> calendar month with 5,000 posts (GET /api/calendar p50/p95, SQLite and PostgreSQL)"
cargo bench -p server --bench calendar --quiet

echo "==> dashboard stats at 100,000 posts and 1M snapshots: /api/dashboard/stats p50/p95 (SQLite, PostgreSQL)"
cargo bench -p server --bench dashboard --quiet

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

echo "==> WASM bundle"
W="$SITE_ROOT/pkg/covalynce_bg.wasm"; J="$SITE_ROOT/pkg/covalynce.js"; C="$SITE_ROOT/pkg/covalynce.css"
for f in "$W" "$J" "$C"; do
  printf '%-22s raw %8d B   gzip %8d B\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
done

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

#!/usr/bin/env bash
# README command 2: every check and test. Installs prerequisites first (idempotent).
#   - fmt and clippy (-D warnings) per package and feature set
#   - unit tests, and the integration suite on SQLite and on PostgreSQL
#     (TEST_DATABASE_URL, default postgres://127.0.0.1:5432/test; unreachable = failure)
#   - the crash test (kill -9 while publishing), three replicas sharing one PostgreSQL and a
#     replica whose clock runs 45 s ahead (faketime); graceful shutdown, per-account rate
#     limits across replicas and a paused replica (server/tests/lifecycle.rs)
#   - a short cargo-fuzz pass over the untrusted-input parsers (scripts/fuzz.sh)
#   - Playwright end-to-end tests in Debian's Chromium, with and without JavaScript
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
PG_URL="${TEST_DATABASE_URL:-postgres://127.0.0.1:5432/test}"
step() { echo; echo "==> $*"; }

bash scripts/install.sh

step "format"
cargo fmt --all --check

step "clippy"
cargo clippy -p covalynce --all-targets -- -D warnings
cargo clippy -p covalynce --all-targets --features server -- -D warnings
cargo clippy -p app --all-targets --features ssr -- -D warnings
cargo clippy -p app --all-targets --features hydrate -- -D warnings
cargo clippy -p server --all-targets -- -D warnings
cargo clippy -p sandbox --all-targets -- -D warnings
# The production build: no `demo` feature, so no sandbox in the binary.
cargo clippy -p server --no-default-features -- -D warnings
cargo clippy -p frontend -- -D warnings
# The fuzz crate is its own workspace: check it here so a core change that breaks a fuzz
# target fails in a minute, not after the whole suite.
cargo check --quiet --manifest-path fuzz/Cargo.toml --bins --target-dir "${FUZZ_TARGET_DIR:-$HOME/.cache/covalynce-fuzz-target}/check"

step "build (wasm, css, server)"
bash scripts/build.sh

step "unit tests"
cargo test -p covalynce --features server
cargo test -p app --features ssr --lib

step "integration tests on SQLite"
env -u TEST_DATABASE_URL cargo test -p server --lib --bins --test api

step "integration tests on PostgreSQL ($PG_URL)"
TEST_DATABASE_URL="$PG_URL" cargo test -p server --test api

step "crash and replica tests (real processes: kill -9 during dispatch on SQLite; three replicas on PostgreSQL)"
# One test at a time: each starts up to three servers, and two at once on two cores
# measure contention, not the queue.
TEST_DATABASE_URL="$PG_URL" cargo test -p server --test crash -- --nocapture --test-threads=1

step "queue lifecycle with real processes (SIGTERM with requests in flight, per-account 429 across replicas, a paused replica)"
TEST_DATABASE_URL="$PG_URL" cargo test -p server --test lifecycle -- --nocapture --test-threads=1

step "fuzzing (a short pass: 20 s per target; longer runs: bash scripts/fuzz.sh 600)"
bash scripts/fuzz.sh 20

step "end-to-end (Playwright + Chromium)"
E2E_BIN="$CARGO_TARGET_DIR/debug/covalynce" node_modules/.bin/playwright test -c end2end/playwright.config.ts

echo; echo "==> all checks passed"

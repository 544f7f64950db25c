#!/usr/bin/env bash
# README command 1: install prerequisites, build, and run Covalynce on http://localhost:3000
# with SQLite in ./data (keys are generated there on first start).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
bash scripts/install.sh
bash scripts/build.sh --release
mkdir -p data
echo "==> open http://localhost:${PORT:-3000}"
exec "$CARGO_TARGET_DIR/release/covalynce" serve

#!/usr/bin/env bash
# Builds the site (WASM + JS glue + CSS + public files) and the server binary.
#   scripts/build.sh [--release]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
PROFILE=debug; CARGO_PROFILE_FLAG=()
if [ "${1:-}" = "--release" ]; then PROFILE=release; CARGO_PROFILE_FLAG=(--release); fi

echo "==> wasm (Debian rustc-web, build-std)"
# Debian's cargo by path: rustup's proxy ignores [unstable] in frontend/.cargo/config.toml.
(cd frontend && CARGO_TARGET_DIR="$WASM_TARGET_DIR" /usr/bin/cargo build --profile wasm-release --quiet)
echo "==> split at the lazy routes, then wasm-bindgen"
cargo build -p wasm-split --quiet
# Chunk names change with the code: clear the old ones.
rm -rf "$SITE_ROOT/pkg" && mkdir -p "$SITE_ROOT/pkg"
"$CARGO_TARGET_DIR/debug/wasm-split" "$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm" "$SITE_ROOT/pkg" covalynce
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --remove-name-section --remove-producers-section \
  --out-dir "$SITE_ROOT/pkg" --out-name covalynce "$SITE_ROOT/pkg/covalynce_split.wasm"
rm "$SITE_ROOT/pkg/covalynce_split.wasm"

echo "==> css (Tailwind CLI)"
node_modules/.bin/tailwindcss -i style/input.css -o "$SITE_ROOT/pkg/covalynce.css" --minify 2>/dev/null
cp -r public/. "$SITE_ROOT/"

echo "==> server ($PROFILE)"
cargo build -p server --bin covalynce "${CARGO_PROFILE_FLAG[@]}" --quiet
echo "==> built: $CARGO_TARGET_DIR/$PROFILE/covalynce, site in $SITE_ROOT"

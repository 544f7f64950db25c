# Shared settings for the project scripts (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Builds live outside the clone so every clone (and CI) reuses the warm cache.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/covalynce-target}"
export WASM_TARGET_DIR="${WASM_TARGET_DIR:-$CARGO_TARGET_DIR/front}"
export SITE_ROOT="${SITE_ROOT:-$CARGO_TARGET_DIR/site}"
# The wasm-bindgen CLI must equal the wasm-bindgen crate pinned in Cargo.toml.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$ROOT/Cargo.toml")"
export PATH="$HOME/.cargo/bin:$PATH"

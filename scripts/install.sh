#!/usr/bin/env bash
# Installs everything Covalynce needs on Debian 12 (with rustup's stable toolchain present).
# Idempotent: each step is skipped when already done.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
# rustc-web + rust-web-src build std for wasm32 (rustup cannot add that target here);
# lld-22 makes /usr/bin/rust-lld resolve; chromium runs the end-to-end tests; faketime runs a
# replica with a skewed clock in the crash tests.
APT_PKGS=(rustc-web cargo-web rust-web-src lld-22 chromium pkg-config ca-certificates faketime)
missing=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "rustup's stable toolchain is required (https://rustup.rs)" >&2; exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  echo "==> cargo: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (takes a few minutes once)"
  # Not --locked: its lockfile wants a webpki-roots version this registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -d node_modules/@playwright/test ] || [ package.json -nt node_modules/.install-stamp ]; then
  echo "==> npm: installing Tailwind CLI and Playwright"
  # Not `npm ci`: the registry lacks non-Linux optional packages, so the lockfile is Linux-only.
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules/.install-stamp
fi
echo "==> prerequisites ready"

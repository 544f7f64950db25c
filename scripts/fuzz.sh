#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz / libFuzzer, AddressSanitizer) of the parsers and
# checks that take untrusted input: bash scripts/fuzz.sh [seconds-per-target] [target...]
#   - installs cargo-fuzz when missing; uses the nightly toolchain when rustup has one, else
#     stable with RUSTC_BOOTSTRAP=1 (cargo fuzz needs -Z flags)
#   - builds in its own target dir (sanitizer flags rebuild everything)
#   - runs each target for the given time (default 60 s) on fuzz/corpus/<target> (git-ignored,
#     grows between runs) plus the tracked seeds in fuzz/seeds/<target>
#   - prints executions per target; exits non-zero when any target crashed (the input is
#     saved in fuzz/artifacts/<target>/, the run's output in fuzz/logs/<target>.log; replay
#     with `cd fuzz && cargo +nightly fuzz run -O <target> <file>`)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
SECS="${1:-60}"
shift || true
ALL=(template csv_import webhook_signature text_length image_decode json_bodies)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/covalynce-fuzz-target}"

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  FUZZ=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  FUZZ=(cargo +stable fuzz)
fi

cd "$ROOT/fuzz"
echo "==> building fuzz targets (${FUZZ[*]})"
"${FUZZ[@]}" build -O

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" logs
  seeds=()
  [ -d "seeds/$t" ] && seeds=("seeds/$t")
  # Images: bounded inputs, and room for one decode under ASan.
  extra=()
  [ "$t" = image_decode ] && extra=(-max_len=262144 -rss_limit_mb=4096 -timeout=30)
  log="logs/$t.log"
  echo "==> $t for ${SECS}s"
  if "${FUZZ[@]}" run -O "$t" "corpus/$t" "${seeds[@]}" -- -max_total_time="$SECS" -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
    status=ok
  else
    status=CRASH
    failed+=("$t")
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" | head -n 10 || true
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  secs="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  summary+=("$(printf '%-18s %-6s %12s execs  %8s/s  corpus %s' "$t" "$status" "${runs:-?}" "${secs:-?}" "$(ls "corpus/$t" | wc -l)")")
done

echo; echo "==> fuzzing summary (${SECS}s per target)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/<target>/, logs in fuzz/logs/)"
  exit 1
fi

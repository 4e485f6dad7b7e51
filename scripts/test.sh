#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every check: formatting, clippy with
# warnings as errors, and the whole test suite; ends with one summary line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# A build and the suite need several GB; say so plainly before a compiler
# fails halfway with "No space left on device".
free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ "${free_kb:-0}" -lt 8000000 ]; then
  echo "test.sh: warning: only $((free_kb / 1024)) MiB free here; the build and tests need about 8 GB" >&2
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The OpenFX host tests load the plugin bundle and run the CLI beside it.
cargo build -p retake-ofx -p retake-cli
log=$(mktemp); trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' "$log" | paste -sd+ | bc)
failed=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' "$log" | paste -sd+ | bc)
echo
echo "summary: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"

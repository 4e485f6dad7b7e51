#!/usr/bin/env bash
# Fuzz Retake's parsers of untrusted input for a bounded time each:
#   frame_range       --frames and job-file ranges
#   job_params        job-file operation tables (TOML -> parameter structs)
#   sequence_pattern  shot.####.exr / shot.%04d.png resolution
#   image_header      EXR/PNG/TIFF headers and pixels (bombs, truncation)
# Needs the nightly toolchain and cargo-fuzz (installed here on first use
# from crates.io). Not part of CI. Usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]
# Findings land in fuzz/artifacts/TARGET/; the corpus grows in fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(frame_range job_params sequence_pattern image_header)
fi

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz.sh: the nightly toolchain is needed: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo +nightly install cargo-fuzz --locked
fi

# A small picture budget, so any allocation over -malloc_limit_mb is a
# real finding (a size not checked against the limit), not a legal picture.
export RETAKE_MAX_PIXELS=4194304
failed=0
for t in "${targets[@]}"; do
  echo "== $t: ${seconds}s"
  mkdir -p "fuzz/corpus/$t"
  if ! (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10); then
    echo "fuzz.sh: $t found a problem; see fuzz/artifacts/$t/" >&2
    failed=1
  fi
done
exit "$failed"

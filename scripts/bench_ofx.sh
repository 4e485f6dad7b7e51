#!/usr/bin/env bash
# Per-frame render time of Retake Mask, Remove and Relight inside the Rust
# test host against the `retake` CLI on the same frames with the same
# parameters, measured in the same run (release builds). Prints plugin
# ms/frame, CLI ms/frame and their ratio.
#   bash scripts/bench_ofx.sh [--width 960] [--height 540] [--frames 24] [--window 6]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release -p retake-ofx -p retake-cli
cargo run --release -p retake-ofx-host --example bench_ofx -- "$@"

#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every check: formatting, clippy with
# warnings as errors, and the whole test suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace

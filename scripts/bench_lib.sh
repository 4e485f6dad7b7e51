# Shared by the benchmark scripts (sourced, not run): set up, build, and
# time commands with their peak RSS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh >/dev/null
for tool in /usr/bin/time bc; do
  command -v $tool >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time bc >/dev/null
done
cargo build --release -q -p retake-cli
retake=$PWD/target/release/retake
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -loglevel error -y "$@"; }
now() { date +%s.%N; }
# timed CMD...: prints seconds; peak RSS (KiB) goes to $work/rss, CPU
# seconds (user + sys) to $work/cpu
timed() {
  local t0 t1 rss user sys
  t0=$(now)
  /usr/bin/time -f '%M %U %S' -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  t1=$(now)
  read -r rss user sys <"$work/time"
  echo "$rss" >"$work/rss"
  echo "$user + $sys" | bc -l >"$work/cpu"
  echo "$t1 - $t0" | bc -l
}

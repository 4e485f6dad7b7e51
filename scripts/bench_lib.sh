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
# clip W H FRAMES NAME: bigbuckbunny (720p) scaled to WxH, looped to FRAMES
# -> $work/NAME.mp4
clip() {
  ff -stream_loop -1 -i samples/bigbuckbunny.mp4 -vf "scale=$1:$2:flags=bicubic" -frames:v "$3" \
    -c:v libx264 -crf 16 -pix_fmt yuv420p "$work/$4.mp4"
}
# box W H FRAMES NAME: a 480x216 white box (5% of 1080p) moving right on
# black -> $work/NAME.mkv, the benchmarks' removal mask
box() {
  ff -f lavfi -i "color=c=black:size=$1x$2:rate=24[bg];color=c=white:size=480x216:rate=24[box];[bg][box]overlay=x=100+6*n:y=H/2-108,format=gray[out0]" \
    -frames:v "$3" -c:v ffv1 "$work/$4.mkv"
}
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

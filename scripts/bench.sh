#!/usr/bin/env bash
# Benchmarks (not tests). Prints ratios against baselines measured in the
# same run:
#   1. decode -> float linear -> encode (`retake convert`) against the
#      `ffmpeg` tool doing the same transcode with the same codec settings,
#      at 720p (bigbuckbunny) and 1080p (bigbuckbunny upscaled);
#   2. `retake mask` frames per second at 1080p;
#   3. peak RSS of convert and mask on a 100-frame and a 500-frame clip
#      (memory must not grow with clip length).
# Usage: scripts/bench.sh [--quick]   (--quick skips the 500-frame mask run)
quick=${1:-}
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

# Inputs: 720p is the sample itself; 1080p is it upscaled; long clips loop it.
ff -i samples/bigbuckbunny.mp4 -vf scale=1920:1080:flags=bicubic -c:v libx264 -crf 16 -pix_fmt yuv420p "$work/bbb1080.mp4"
ff -stream_loop -1 -i "$work/bbb1080.mp4" -frames:v 100 -c:v libx264 -crf 16 "$work/bbb1080_100.mp4"
ff -stream_loop -1 -i "$work/bbb1080.mp4" -frames:v 500 -c:v libx264 -crf 16 "$work/bbb1080_500.mp4"

frames() { "$retake" probe --json "$1" | sed -n 's/^  "frames": \([0-9]*\),/\1/p'; }

echo "== 1. transcode throughput: retake convert vs ffmpeg (same codec settings), best of 2"
printf '%-7s %-10s %8s %8s %12s %12s %7s\n' res codec frames "" "ffmpeg fps" "retake fps" ratio
for res in 720 1080; do
  in=samples/bigbuckbunny.mp4; [ $res = 1080 ] && in=$work/bbb1080.mp4
  n=$(frames "$in")
  for codec in prores-hq h264; do
    case $codec in
      prores-hq) ffargs=(-c:v prores_ks -profile:v 3 -pix_fmt yuv422p10le -threads 0); ext=mov;;
      h264) ffargs=(-c:v libx264 -crf 18 -preset medium -pix_fmt yuv420p -threads 0); ext=mp4;;
    esac
    best_f=999999; best_r=999999
    for rep in 1 2; do
      f=$(timed ffmpeg -loglevel error -y -i "$in" "${ffargs[@]}" "$work/ff.$ext")
      r=$(timed "$retake" convert "$in" -o "$work/rt.$ext" --codec $codec -q -y)
      best_f=$(echo "if ($f < $best_f) $f else $best_f" | bc -l)
      best_r=$(echo "if ($r < $best_r) $r else $best_r" | bc -l)
    done
    printf '%-7s %-10s %8d %8s %12.1f %12.1f %7.2f\n' ${res}p $codec "$n" "" \
      "$(echo "$n / $best_f" | bc -l)" "$(echo "$n / $best_r" | bc -l)" "$(echo "$best_f / $best_r" | bc -l)"
  done
done

echo
echo "== 2. retake mask at 1080p (u2netp on CPU, $(nproc) cores)"
t=$(timed "$retake" mask "$work/bbb1080_100.mp4" -o "$work/m100.mov" -q -y)
m100=$(cat "$work/rss")
mask_fps=$(echo "100 / $t" | bc -l)
model_fps=$("$retake" models bench u2netp --runs 20 | sed -n 's/.* \([0-9.]*\) runs\/s.*/\1/p')
printf 'mask 1080p: %.2f fps over 100 frames; the model alone: %.2f runs/s; ratio %.2f\n' \
  "$mask_fps" "$model_fps" "$(echo "$mask_fps / $model_fps" | bc -l)"

echo
echo "== 3. peak RSS against clip length (1080p)"
timed "$retake" convert "$work/bbb1080_100.mp4" -o "$work/c100.mov" -q -y >/dev/null; c100=$(cat "$work/rss")
timed "$retake" convert "$work/bbb1080_500.mp4" -o "$work/c500.mov" -q -y >/dev/null; c500=$(cat "$work/rss")
printf 'convert: 100 frames %6d MiB, 500 frames %6d MiB, ratio %.2f\n' $((c100/1024)) $((c500/1024)) "$(echo "$c500 / $c100" | bc -l)"
if [ "$quick" != "--quick" ]; then
  timed "$retake" mask "$work/bbb1080_500.mp4" -o "$work/m500.mov" -q -y >/dev/null; m500=$(cat "$work/rss")
  printf 'mask:    100 frames %6d MiB, 500 frames %6d MiB, ratio %.2f\n' $((m100/1024)) $((m500/1024)) "$(echo "$m500 / $m100" | bc -l)"
else
  printf 'mask:    100 frames %6d MiB (500-frame run skipped with --quick)\n' $((m100/1024))
fi
bash scripts/bench_remove.sh "$quick"
bash scripts/bench_relight.sh "$quick"
bash scripts/bench_reangle.sh "$quick"

#!/usr/bin/env bash
# Benchmarks (not tests): one row per speed goal of issue 15, each beside a
# baseline measured in the same run, with the goal and PASS or MISS.
#   remove   1080p (bigbuckbunny upscaled), a moving 480x216 box (5% of the
#            frame), FFV1 out; against OpenCV's Telea inpainting run on
#            every frame on its own (decode, inpaint, encode: FFV1 too)
#   reangle  --move orbit at 1080p: frames per second and peak RSS
#   relight  --preset key, built-in geometry, 1080p: frames per second
#   mask     1080p, against the model alone (`retake models bench u2netp`:
#            u2netp through the same ONNX Runtime, same threads)
#   convert  1080p to ProRes 422 HQ and to H.264, against the `ffmpeg` tool
#            doing the same transcode with the same codec settings
#   eval     `retake eval` (PSNR, SSIM, warping error) on 70 frames at
#            432x240; the goal is 10x faster than the 77 s of issue 15
#   memory   (full run only) peak RSS of every operation on a 100- and a
#            500-frame clip at 640x360: must not grow with clip length
# Timings are wall-clock: run on an otherwise idle machine. CPU seconds
# (user + sys) are printed beside each Retake run.
# Usage: scripts/bench.sh [--quick|--memory]   (--quick: fewer 1080p
# frames, no memory rows; about a third of the full run's time. --memory:
# the memory rows alone, which do not need an idle machine). The detailed
# per-operation scripts (bench_remove.sh, bench_relight.sh,
# bench_reangle.sh) remain for variants and resolution sweeps.
quick=${1:-}
case "$quick" in ""|--quick|--memory) ;; *) echo "usage: scripts/bench.sh [--quick|--memory]" >&2; exit 2;; esac
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
source scripts/eval_venv.sh

n=24; [ "$quick" = "--quick" ] && n=12

rows=()
# row NAME MEASURED BASELINE RATIO-OR-VALUE GOAL-TEXT COMPARISON(bc, 1 = pass)
row() {
  local verdict=MISS
  [ "$(echo "$6" | bc -l)" = 1 ] && verdict=PASS
  rows+=("$(printf '%-30s %-26s %-30s %-12s %-16s %s' "$1" "$2" "$3" "$4" "$5" "$verdict")")
  echo "${rows[-1]}"
}
div() { echo "$1 / $2" | bc -l; }
fmt() { printf "%.${2:-2}f" "$1"; }
mib() { echo $(($(cat "$work/rss") / 1024)); }
printf '%-30s %-26s %-30s %-12s %-16s %s\n' goal retake baseline ratio "goal" ""

if [ "$quick" != "--memory" ]; then
# Inputs (clip, box: bench_lib.sh): bigbuckbunny upscaled to 1080p; longer
# clips loop it.
clip 1920 1080 "$n" hd
box 1920 1080 "$n" hdbox
clip 1920 1080 100 hd100

# remove vs Telea.
t_telea=$(timed "$venv/bin/python" scripts/bench/telea_video.py "$work/hd.mp4" "$work/hdbox.mkv" "$work/telea.mkv" 1920 1080)
t_rm=$(timed "$retake" remove "$work/hd.mp4" --mask "$work/hdbox.mkv" -o "$work/rm.mkv" --codec ffv1 -q -y)
cpu_rm=$(cat "$work/cpu")
f_rm=$(div "$n" "$t_rm"); f_telea=$(div "$n" "$t_telea")
row "remove 1080p, 5% moving box" "$(fmt "$f_rm") fps ($(fmt "$cpu_rm" 0) cpu-s)" "Telea per frame $(fmt "$f_telea") fps" \
  "$(fmt "$(div "$f_rm" "$f_telea")")x" ">= 1.0x" "$f_rm >= $f_telea"

# reangle orbit.
t_re=$(timed "$retake" reangle "$work/hd.mp4" -o "$work/re.mkv" --codec ffv1 -q -y --move orbit)
cpu_re=$(cat "$work/cpu"); rss_re=$(mib)
f_re=$(div "$n" "$t_re")
row "reangle orbit 1080p, speed" "$(fmt "$f_re") fps ($(fmt "$cpu_re" 0) cpu-s)" "issue 15: 0.38 fps" "$(fmt "$f_re") fps" ">= 1.5 fps" "$f_re >= 1.5"
row "reangle orbit 1080p, memory" "peak RSS $rss_re MiB" "issue 15: 2.7 GB" "$rss_re MiB" "<= 1.2 GB" "$rss_re * 1048576 <= 1200000000"

# relight, built-in geometry.
t_rl=$(timed "$retake" relight "$work/hd.mp4" -o "$work/rl.mkv" --codec ffv1 -q -y --preset key)
cpu_rl=$(cat "$work/cpu")
f_rl=$(div "$n" "$t_rl")
row "relight key 1080p, built-in" "$(fmt "$f_rl") fps ($(fmt "$cpu_rl" 0) cpu-s)" "issue 15: 1.8 fps" "$(fmt "$f_rl") fps" ">= 5 fps" "$f_rl >= 5"

# mask vs the model alone.
t_mk=$(timed "$retake" mask "$work/hd.mp4" -o "$work/mk.mkv" --codec ffv1 -q -y)
cpu_mk=$(cat "$work/cpu")
f_mk=$(div "$n" "$t_mk")
model=$("$retake" models bench u2netp --runs 20 | sed -n 's/.* \([0-9.]*\) runs\/s.*/\1/p')
row "mask 1080p vs model alone" "$(fmt "$f_mk") fps ($(fmt "$cpu_mk" 0) cpu-s)" "u2netp alone $(fmt "$model") runs/s" \
  "$(fmt "$(div "$f_mk" "$model")")x" ">= 0.9x" "$f_mk >= 0.9 * $model"

# convert vs ffmpeg, best of 2 each.
for codec in prores-hq h264; do
  case $codec in
    prores-hq) ffargs=(-c:v prores_ks -profile:v 3 -pix_fmt yuv422p10le -threads 0); ext=mov; goal=0.95;;
    h264) ffargs=(-c:v libx264 -crf 18 -preset medium -pix_fmt yuv420p -threads 0); ext=mp4; goal=0.9;;
  esac
  best_f=999999; best_r=999999
  for rep in 1 2; do
    f=$(timed ffmpeg -loglevel error -y -i "$work/hd100.mp4" "${ffargs[@]}" "$work/ff.$ext")
    r=$(timed "$retake" convert "$work/hd100.mp4" -o "$work/rt.$ext" --codec $codec -q -y)
    best_f=$(echo "if ($f < $best_f) $f else $best_f" | bc -l)
    best_r=$(echo "if ($r < $best_r) $r else $best_r" | bc -l)
  done
  row "convert 1080p $codec" "$(fmt "$(div 100 "$best_r")") fps" "ffmpeg $(fmt "$(div 100 "$best_f")") fps" \
    "$(fmt "$(div "$best_f" "$best_r")")x" ">= ${goal}x" "$best_f >= $goal * $best_r"
done

# retake eval: 70 frames at 432x240, a result with a box painted in (so the
# in-mask figures have something to measure).
clip 432 240 70 small
ff -i "$work/small.mp4" -vf "drawbox=x=120:y=80:w=96:h=64:color=gray:t=fill" -c:v ffv1 "$work/small_result.mkv"
ff -f lavfi -i "color=c=black:size=432x240:rate=24,drawbox=x=120:y=80:w=96:h=64:color=white:t=fill,format=gray" \
  -frames:v 70 -c:v ffv1 "$work/small_mask.mkv"
t_ev=$(timed "$retake" eval "$work/small_result.mkv" "$work/small.mp4" --mask "$work/small_mask.mkv")
cpu_ev=$(cat "$work/cpu")
row "eval 70 frames 432x240" "$(fmt "$t_ev" 1) s ($(fmt "$cpu_ev" 0) cpu-s)" "issue 15: 77 s" "$(fmt "$(div 77 "$t_ev")" 1)x" ">= 10x (<= 7.7 s)" "$t_ev <= 7.7"

fi

# Peak RSS against clip length.
if [ "$quick" != "--quick" ]; then
  for len in 100 500; do clip 640 360 $len s$len; box 640 360 $len b$len; done
  for op in convert mask remove relight reangle; do
    for len in 100 500; do
      case $op in
        convert) args=(convert "$work/s$len.mp4");;
        mask) args=(mask "$work/s$len.mp4");;
        remove) args=(remove "$work/s$len.mp4" --mask "$work/b$len.mkv");;
        relight) args=(relight "$work/s$len.mp4" --preset key);;
        reangle) args=(reangle "$work/s$len.mp4" --move orbit);;
      esac
      timed "$retake" "${args[@]}" -o "$work/rss.mkv" --codec ffv1 -q -y >/dev/null
      eval "rss$len=$(mib)"
    done
    row "memory flat: $op 360p" "500 frames: $rss500 MiB" "100 frames: $rss100 MiB" \
      "$(fmt "$(div "$rss500" "$rss100")")x" "<= 1.1x" "$rss500 <= 1.1 * $rss100"
  done
fi

echo
case "$quick" in
  --memory) scope="--memory: memory rows only";;
  --quick) scope="$n frames at 1080p, --quick: no memory rows";;
  *) scope="$n frames at 1080p";;
esac
echo "== summary ($(nproc) cores, $scope)"
printf '%-30s %-26s %-30s %-12s %-16s %s\n' goal retake baseline ratio "goal" ""
printf '%s\n' "${rows[@]}"

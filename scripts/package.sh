#!/usr/bin/env bash
# Packages the retake CLI for farm workers as a relocatable tarball:
#   target/dist/retake-VERSION-x86_64-linux.tar.gz
#     retake-VERSION-x86_64-linux/bin/retake
#     retake-VERSION-x86_64-linux/lib/libonnxruntime.so.1.31.1
#     retake-VERSION-x86_64-linux/share/retake/models/   manifests and u2netp.onnx
#     retake-VERSION-x86_64-linux/share/doc/retake/      README.md and the licences
# Extract it anywhere: retake finds ONNX Runtime and the models relative to
# its own executable. The worker needs Debian 12's FFmpeg 5.1 libraries
# (libavcodec59, libavformat59, libavfilter8, libavdevice59, libswscale6,
# libswresample4).
#
#   bash scripts/package.sh                   # release build, then the tarball
#   bash scripts/package.sh --debug           # package the debug build
#   bash scripts/package.sh --no-build --bin PATH --out DIR   # for tests
#   bash scripts/package.sh --deb             # also a .deb with cargo-deb
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/runtime_files.sh"
target="${CARGO_TARGET_DIR:-$root/target}"
profile=release
build=1
bin=""
out="$target/dist"
deb=0

die() { printf 'package: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'package: %s\n' "$*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --release) profile=release ;;
    --debug) profile=debug ;;
    --no-build) build=0 ;;
    --bin) [ $# -ge 2 ] || die "--bin needs a path"; bin="$2"; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a folder"; out="$2"; shift ;;
    --deb) deb=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) die "unknown argument \`$1\` (see --help)" ;;
  esac
  shift
done

if [ "$build" = 1 ]; then
  flag=()
  [ "$profile" = release ] && flag=(--release)
  (cd "$root" && cargo build -p retake-cli "${flag[@]}")
fi
[ -n "$bin" ] || bin="$target/$profile/retake"
[ -x "$bin" ] || die "$bin not found: build it with \`cargo build -p retake-cli --release\`"

version=$(workspace_version)
name="retake-$version-x86_64-linux"
mkdir -p "$out"
stage="$out/.$name.stage.$$"
trap 'rm -rf "$stage"' EXIT
rm -rf "$stage"
mkdir -p "$stage/$name/bin" "$stage/$name/share/doc/retake"
top="$stage/$name"
cp -L "$bin" "$top/bin/retake"
copy_onnxruntime "$top/lib" || die "no ONNX Runtime in .deps/onnxruntime: run scripts/setup.sh"
copy_models "$top/share/retake/models"
[ -f "$top/share/retake/models/u2netp.onnx" ] || die "models/u2netp.onnx missing: run scripts/setup.sh"
cp "$root/README.md" "$top/share/doc/retake/README.md"

# Licences: Retake and the bundled model are Apache-2.0 (Debian's copy of
# the text); ONNX Runtime's licence and notices come from its wheel.
cp /usr/share/common-licenses/Apache-2.0 "$top/share/doc/retake/LICENSE.Apache-2.0" \
  || die "/usr/share/common-licenses/Apache-2.0 missing (Debian's base-files)"
ort_wheel=$(ls "$root"/.deps/wheels/onnxruntime-1.31.1-*.whl 2>/dev/null | head -n1)
[ -n "$ort_wheel" ] || die "the onnxruntime wheel is missing from .deps/wheels: run scripts/setup.sh"
unzip -p "$ort_wheel" 'onnxruntime/LICENSE' \
  > "$top/share/doc/retake/LICENSE.onnxruntime" 2>/dev/null || true
unzip -p "$ort_wheel" 'onnxruntime/ThirdPartyNotices.txt' \
  > "$top/share/doc/retake/ThirdPartyNotices.onnxruntime.txt" 2>/dev/null || true
[ -s "$top/share/doc/retake/LICENSE.onnxruntime" ] \
  || die "no licence file found in $ort_wheel"
cat > "$top/share/doc/retake/COPYRIGHT" <<TEXT
Retake $version: Apache-2.0 (LICENSE.Apache-2.0).
ONNX Runtime 1.31.1 (lib/): MIT (LICENSE.onnxruntime, ThirdPartyNotices.onnxruntime.txt).
Models (share/retake/models/): the licence of each is in its manifest's
\`licence\` key; u2netp (U^2-Net small) is Apache-2.0.
TEXT

tarball="$out/$name.tar.gz"
tar -C "$stage" --owner=0 --group=0 -czf "$tarball.partial" "$name"
mv "$tarball.partial" "$tarball"
say "wrote $tarball"

if [ "$deb" = 1 ]; then
  command -v cargo-deb >/dev/null 2>&1 \
    || die "cargo-deb not found: install it with \`cargo install cargo-deb --locked\`"
  cargo_profile=$profile; [ "$profile" = debug ] && cargo_profile=dev
  (cd "$root" && cargo deb -p retake-cli --no-build --profile "$cargo_profile" --output "$out")
  say "wrote $(ls -t "$out"/*.deb | head -n1)"
fi

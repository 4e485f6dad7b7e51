#!/usr/bin/env bash
# Builds the OpenFX plugin and assembles Retake.ofx.bundle:
#   Contents/Info.plist
#   Contents/Linux-x86-64/Retake.ofx                 the plugin (cdylib of ofx-bridge)
#   Contents/Linux-x86-64/libonnxruntime.so.1.31.1   ONNX Runtime, loaded at run time
#   Contents/Resources/models/                       model manifests and the models present
#   Contents/Resources/README.txt
# then, with --install, copies it into /usr/OFX/Plugins (or the folder given).
#
#   bash scripts/ofx_bundle.sh                      # release build -> target/Retake.ofx.bundle
#   bash scripts/ofx_bundle.sh --install            # ... and install into /usr/OFX/Plugins
#   bash scripts/ofx_bundle.sh --install ~/ofx      # ... or into ~/ofx
#   bash scripts/ofx_bundle.sh --debug              # debug build
# For tests: --no-build --lib PATH --out DIR/Retake.ofx.bundle packages a
# library already built (the test host loads exactly what this script makes).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
profile=release
build=1
lib=""
out=""
install_to=""

. "$root/scripts/runtime_files.sh"
die() { printf 'ofx_bundle: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'ofx_bundle: %s\n' "$*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --release) profile=release ;;
    --debug) profile=debug ;;
    --no-build) build=0 ;;
    --lib) [ $# -ge 2 ] || die "--lib needs a path"; lib="$2"; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a path"; out="$2"; shift ;;
    --install)
      if [ $# -ge 2 ] && [ "${2#--}" = "$2" ]; then install_to="$2"; shift; else install_to=/usr/OFX/Plugins; fi ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown argument \`$1\` (see --help)" ;;
  esac
  shift
done

if [ "$build" = 1 ]; then
  flag=()
  [ "$profile" = release ] && flag=(--release)
  (cd "$root" && cargo build -p retake-ofx "${flag[@]}")
fi
[ -n "$lib" ] || lib="$target/$profile/libretake_ofx.so"
[ -f "$lib" ] || die "$lib not found: build it with \`cargo build -p retake-ofx\` (add --release for a release build)"
[ -n "$out" ] || out="$target/Retake.ofx.bundle"

version=$(workspace_version)
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp/Contents/Linux-x86-64" "$tmp/Contents/Resources/models"
cp "$lib" "$tmp/Contents/Linux-x86-64/Retake.ofx"

# ONNX Runtime beside the plugin, so the host's own copy (if any) is never used.
copy_onnxruntime "$tmp/Contents/Linux-x86-64" \
  || say "warning: no ONNX Runtime (run scripts/setup.sh); the bundle will need ORT_DYLIB_PATH"

# Model manifests, with each model file that is present beside its manifest.
copy_models "$tmp/Contents/Resources/models"

cat > "$tmp/Contents/Info.plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>CFBundleDevelopmentRegion</key>
  <string>English</string>
  <key>CFBundleExecutable</key>
  <string>Retake.ofx</string>
  <key>CFBundleIdentifier</key>
  <string>org.retake.ofx</string>
  <key>CFBundleInfoDictionaryVersion</key>
  <string>6.0</string>
  <key>CFBundleName</key>
  <string>Retake</string>
  <key>CFBundlePackageType</key>
  <string>BNDL</string>
  <key>CFBundleShortVersionString</key>
  <string>$version</string>
  <key>CFBundleVersion</key>
  <string>$version</string>
</dict>
</plist>
PLIST

cat > "$tmp/Contents/Resources/README.txt" <<TEXT
Retake $version OpenFX plugin. Effects (group "Retake"), each with its own
version (major.minor; a new major means saved settings may not carry over):
  Retake Mask     subject matte from a segmentation model (retake mask)
  Retake Remove   paints out what a matte marks, from other frames (retake remove)
  Retake Relight  adds and moves light in linear light (retake relight)
  Retake Reangle  moves the camera after the fact through depth (retake reangle)
Contexts: filter and general (optional Mask input; Relight and Reangle also
an optional Depth input). Pixels: float, 16-bit and 8-bit RGBA/RGB.

Models are found, first match wins, in: \$RETAKE_MODELS,
~/.local/share/retake/models (or \$XDG_DATA_HOME/retake/models), then
Resources/models of this bundle. A model is a .onnx file beside its .toml
manifest; model menus list installed models only and each menu's help names
the catalogue models not installed (install with \`retake models fetch NAME\`
and copy both files into one of those folders, then reload the plugin).
ONNX Runtime is loaded from \$ORT_DYLIB_PATH or Linux-x86-64/ of this bundle.
Execution providers: \$RETAKE_PROVIDERS (default tensorrt,cuda,cpu).
TEXT

rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$tmp" "$out"
say "assembled $out"

if [ -n "$install_to" ]; then
  mkdir -p "$install_to" || die "cannot create $install_to (run as root for /usr/OFX/Plugins, or give a folder)"
  staged="$install_to/.Retake.ofx.bundle.tmp.$$"
  rm -rf "$staged"
  cp -r "$out" "$staged"
  rm -rf "$install_to/Retake.ofx.bundle"
  mv "$staged" "$install_to/Retake.ofx.bundle"
  say "installed $install_to/Retake.ofx.bundle"
fi

# Sourced by the packaging scripts (ofx_bundle.sh, package.sh): what every
# Retake distribution carries besides its own binary. Needs $root.

# copy_onnxruntime DIR: ONNX Runtime ($ORT_DYLIB_PATH or the one setup.sh
# extracted) into DIR; returns 1 when there is none.
copy_onnxruntime() {
  local ort="${ORT_DYLIB_PATH:-$root/.deps/onnxruntime/libonnxruntime.so.1.31.1}"
  [ -f "$ort" ] || return 1
  mkdir -p "$1"
  cp -L "$ort" "$1/libonnxruntime.so.1.31.1"
}

# copy_models DIR: every model manifest of models/, with each model file
# that is present beside its manifest.
copy_models() {
  local manifest file
  mkdir -p "$1"
  for manifest in "$root"/models/*.toml; do
    [ -f "$manifest" ] || continue
    cp "$manifest" "$1/"
    file=$(sed -n 's/^file *= *"\(.*\)"/\1/p' "$manifest" | head -n1)
    if [ -n "$file" ] && [ -f "$root/models/$file" ]; then
      cp -L "$root/models/$file" "$1/"
    fi
  done
}

# workspace_version: the version in the workspace's Cargo.toml.
workspace_version() {
  sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1
}

# Sourced by the scripts in this folder: the Go settings posedistill builds with.
# GoMLX v0.28.16 needs Go 1.27; GOTOOLCHAIN=auto lets the go command fetch it from the module proxy
# (this image's go.env says "local"). GOEXPERIMENT=simd makes GoMLX's pure-Go backend 2-3x faster.
export GOTOOLCHAIN=auto
export GOEXPERIMENT=simd
export GOFLAGS="${GOFLAGS:-} -mod=mod"
: "${GOMLX_BACKEND:=go}"
export GOMLX_BACKEND
# Never let GoMLX download backends from the internet.
export GOMLX_NO_AUTO_INSTALL=1
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export POSEDISTILL_CACHE="${POSEDISTILL_CACHE:-$repo_root/.cache}"
# ONNX Runtime (the onnx backend, ONNX export checks, ortnode) is located by this one setting; its
# default is the library scripts/setup-onnxruntime installs into the cache, when it is there.
if [ -z "${ONNXRUNTIME_SHARED_LIBRARY_PATH:-}" ]; then
  ort_lib="$POSEDISTILL_CACHE/npm/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
  [ -f "$ort_lib" ] && export ONNXRUNTIME_SHARED_LIBRARY_PATH="$ort_lib"
  unset ort_lib
fi

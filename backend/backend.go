// Package backend opens GoMLX compute backends for posedistill: "go" (pure Go, the default), "onnx"
// (ONNX Runtime, library from $ONNXRUNTIME_SHARED_LIBRARY_PATH; scripts/setup-onnxruntime installs
// it) and, when built with the "xla" tag, "xla" (GPUs; its plugin is downloaded on first use, so it
// is left out of default builds).
//
// # A guard against out-of-bounds SIMD loads
//
// With GOEXPERIMENT=simd, GoMLX's pure-Go kernels use the standard library's partial vector loads
// (simd.LoadFloat32sPart, archsimd.LoadFloat32x16Part). In Go 1.27.0–1.27.4 on amd64 these load a
// whole vector and mask it afterwards, so reading the last elements of a slice also reads up to 60
// bytes past its end. That is harmless inside mapped memory but faults when the slice ends where the
// heap's mapped region ends and the arena's reserved, inaccessible part begins — a rare, random
// SIGSEGV in long training runs (reproduced with a two-page mmap whose second page is PROT_NONE).
// ReserveHeapHeadroom maps heap headroom once per process (a large, never-touched allocation,
// freed at once): the Go heap never unmaps memory, so afterwards the end of every ordinary
// allocation is followed by mapped pages. The allocation costs address space, not resident memory.
// Programs that run the go backend for long call it first thing in main (cmd/posedistill does);
// importing this package does nothing by itself.
package backend

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute-onnx"      // registers the "onnx" backend (ONNX Runtime)
	_ "github.com/gomlx/compute/gobackend" // registers the "go" backend
)

// maxHeadroomBytes is the most heap address space the SIMD guard maps ahead of use.
const maxHeadroomBytes = 4 << 30

// guard maps the heap headroom once per process (see the package documentation).
var guard sync.Once

// ReserveHeapHeadroom maps heap address space ahead of use and frees it again, so that later
// allocations are followed by mapped memory (see the package documentation). It runs once per
// process; call it at start-up: in a fresh process it costs tens of milliseconds, later, when the
// freed pages must be zeroed again, seconds. It maps a quarter of the machine's memory, at most
// 4 GiB, and nothing where the kernel refuses to overcommit.
func ReserveHeapHeadroom() {
	guard.Do(func() {
		n := headroomBytes()
		if n == 0 {
			return
		}
		b := make([]byte, n)
		b[len(b)-1] = 1 // the last page only; the rest is never touched
		runtime.KeepAlive(b)
		b = nil
		runtime.GC()
	})
}

// headroomBytes returns how much address space ReserveHeapHeadroom may map: a quarter of
// MemTotal, at most maxHeadroomBytes, or 0 under strict overcommit accounting (mode 2), where a
// large reservation would count against the commit limit.
func headroomBytes() int {
	if mode, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || strings.TrimSpace(string(mode)) == "2" {
		return 0
	}
	info, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(info), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb int64
			if _, err := fmt.Sscan(rest, &kb); err != nil {
				return 0
			}
			return int(min(kb*1024/4, maxHeadroomBytes))
		}
	}
	return 0
}

// New returns the backend named by config ("go", "go:parallelism=2", "onnx", "onnx:cpu",
// "xla:cuda", …). An empty config uses $GOMLX_BACKEND, then "go". The go backend gets one worker per
// core (GOMAXPROCS) unless config sets parallelism.
func New(config string) (b compute.Backend, err error) {
	if config == "" {
		config = os.Getenv("GOMLX_BACKEND")
	}
	if config == "" {
		config = "go"
	}
	name, _, hasOptions := strings.Cut(config, ":")
	known := false
	for _, b := range compute.List() {
		known = known || b == name
	}
	if !known {
		return nil, fmt.Errorf("backend %q is not available (compiled in: %v)", name, compute.List())
	}
	if name == "onnx" {
		if os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH") == "" {
			return nil, fmt.Errorf("backend onnx: set ONNXRUNTIME_SHARED_LIBRARY_PATH to libonnxruntime.so.1 " +
				"(scripts/setup-onnxruntime installs it and prints the path)")
		}
		if !hasOptions { // without options the onnx backend re-reads $GOMLX_BACKEND
			config = "onnx:cpu"
		}
	}
	if name == "go" && !strings.Contains(config, "parallelism=") {
		// The go backend defaults to 2×GOMAXPROCS workers; one per core was faster here (issue 17:
		// a MoVNect-0.5 training run on 2 cores went from 177 to 202 samples/s).
		if hasOptions {
			config += ","
		} else {
			config += ":"
		}
		config += "parallelism=" + strconv.Itoa(runtime.GOMAXPROCS(0))
	}
	defer func() { // compute.NewWithConfig panics on some bad configurations
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %s: %v", config, r)
		}
	}()
	b, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", config, err)
	}
	return b, nil
}

package nets

import (
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute-onnx"      // registers the "onnx" backend (ONNX Runtime)
	_ "github.com/gomlx/compute/gobackend" // registers the "go" backend
)

// NewBackend returns the GoMLX backend named by config — "go" (pure Go, the default), "go:parallelism=2",
// "onnx" (ONNX Runtime on the CPU, found through ONNXRUNTIME_SHARED_LIBRARY_PATH; see
// scripts/setup-onnxruntime) or any other registered "name:options" — or, when config is empty, by the
// GOMLX_BACKEND environment variable, defaulting to "go".
func NewBackend(config string) (backend compute.Backend, err error) {
	if config == "" {
		config = os.Getenv("GOMLX_BACKEND")
	}
	if config == "" {
		config = "go"
	}
	// The onnx backend re-reads GOMLX_BACKEND when given no options; give it explicit ones.
	if name, _, _ := strings.Cut(config, ":"); (name == "onnx" || name == "onnxruntime") && !strings.Contains(config, ":") {
		config = name + ":cpu"
	}
	defer func() { // compute.NewWithConfig panics on unknown backend names
		if r := recover(); r != nil {
			backend, err = nil, fmt.Errorf("backend %q: %v", config, r)
		}
	}()
	backend, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", config, err)
	}
	return backend, nil
}

// Package ortnode runs ONNX models in ONNX Runtime through Node.js and the npm package
// onnxruntime-node (which scripts/setup-onnxruntime installs), for tests, benchmarks and checks of
// exported models against the Go predictor. Each call starts one node process: it loads the model,
// runs it once on the given input, and optionally times more runs.
package ortnode

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed ort.js
var script []byte

// ErrUnavailable is returned by Find when node or onnxruntime-node is not installed.
var ErrUnavailable = errors.New("ortnode: node or onnxruntime-node is not installed (run scripts/setup-onnxruntime)")

// Runner runs models with the node executable and the node_modules folder holding onnxruntime-node.
type Runner struct {
	Node        string
	NodeModules string
	// Threads is ONNX Runtime's intra-op thread count (0: 2, this project's reference machine).
	Threads int
	// Reference runs models with ONNX Runtime's graph optimizations off, so that every node
	// computes what the ONNX specification says. With them on, a QDQ model's
	// DequantizeLinear → op → QuantizeLinear units are fused into integer kernels (QLinearConv, …)
	// that round differently: the right setting for speed, the wrong one for checking what a
	// quantized model means.
	Reference bool
}

// Find locates node ($POSEDISTILL_NODE, else node on PATH) and the node_modules folder holding
// onnxruntime-node: the one of $ONNXRUNTIME_SHARED_LIBRARY_PATH when that library lies inside an
// onnxruntime-node package (as scripts/setup-onnxruntime installs it, and scripts/env.sh sets
// it), else $POSEDISTILL_CACHE/npm/node_modules. It never searches the working directory.
func Find() (*Runner, error) {
	node := os.Getenv("POSEDISTILL_NODE")
	if node == "" {
		var err error
		if node, err = exec.LookPath("node"); err != nil {
			return nil, ErrUnavailable
		}
	}
	var candidates []string
	if lib := os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH"); lib != "" {
		if i := strings.LastIndex(lib, string(filepath.Separator)+"onnxruntime-node"+string(filepath.Separator)); i >= 0 {
			candidates = append(candidates, lib[:i])
		}
	}
	if cache := os.Getenv("POSEDISTILL_CACHE"); cache != "" {
		candidates = append(candidates, filepath.Join(cache, "npm", "node_modules"))
	}
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, "onnxruntime-node", "package.json")); err == nil {
			return &Runner{Node: node, NodeModules: c}, nil
		}
	}
	return nil, ErrUnavailable
}

// Result holds a run's outputs by name (raw float32, with their dims) and the times in milliseconds
// of the timed runs.
type Result struct {
	Outputs map[string][]float32
	Dims    map[string][]int
	Ms      []float64
}

// Compare loads every model file and runs them on the same input in turn, iterations times after one
// warm-up run each, so that they share the machine's background load; it returns each model's run
// times in milliseconds.
func (r *Runner) Compare(ctx context.Context, models []string, input []float32, dims []int, iterations int) ([][]float64, error) {
	dir, err := r.prepare(input, dims)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	args := append([]string{filepath.Join(dir, "ort.js"), "--compare", filepath.Join(dir, "input.f32"),
		filepath.Join(dir, "dims.json"), strconv.Itoa(iterations), strconv.Itoa(r.threads())}, models...)
	stdout, err := r.node(ctx, args)
	if err != nil {
		return nil, err
	}
	var res struct{ Ms [][]float64 }
	if err := json.Unmarshal(stdout, &res); err != nil || len(res.Ms) != len(models) {
		return nil, fmt.Errorf("ortnode compare: output %q: %v", stdout, err)
	}
	return res.Ms, nil
}

// prepare writes the script and the input to a new temporary folder and returns it.
func (r *Runner) prepare(input []float32, dims []int) (string, error) {
	dir, err := os.MkdirTemp("", "ortnode")
	if err != nil {
		return "", fmt.Errorf("ortnode: %w", err)
	}
	var raw bytes.Buffer
	if err := binary.Write(&raw, binary.LittleEndian, input); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("ortnode: %w", err)
	}
	dimsJSON, err := json.Marshal(dims)
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("ortnode: %w", err)
	}
	for name, b := range map[string][]byte{"ort.js": script, "input.f32": raw.Bytes(), "dims.json": dimsJSON} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("ortnode: %w", err)
		}
	}
	return dir, nil
}

// threads returns the intra-op thread count to use.
func (r *Runner) threads() int {
	if r.Threads <= 0 {
		return 2
	}
	return r.Threads
}

// optimization returns ONNX Runtime's graph optimization level for the runner.
func (r *Runner) optimization() string {
	if r.Reference {
		return "disabled"
	}
	return "all"
}

// node runs the node executable with args and returns its standard output.
func (r *Runner) node(ctx context.Context, args []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, r.Node, args...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+r.NodeModules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ortnode: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout, nil
}

// Run runs the ONNX model file once on input (float32, dims as the model's input), then iterations
// more times for timing.
func (r *Runner) Run(ctx context.Context, modelPath string, input []float32, dims []int, iterations int) (*Result, error) {
	dir, err := r.prepare(input, dims)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	outDir := filepath.Join(dir, "out") // outputs apart from the inputs, whatever their names
	if err := os.Mkdir(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("ortnode: %w", err)
	}
	stdout, err := r.node(ctx, []string{filepath.Join(dir, "ort.js"), modelPath, filepath.Join(dir, "input.f32"),
		filepath.Join(dir, "dims.json"), outDir, strconv.Itoa(iterations), strconv.Itoa(r.threads()), r.optimization()})
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", modelPath, err)
	}
	var res struct {
		Outputs map[string][]int `json:"outputs"`
		Ms      []float64        `json:"ms"`
	}
	if err := json.Unmarshal(stdout, &res); err != nil {
		return nil, fmt.Errorf("ortnode %s: output %q: %w", modelPath, stdout, err)
	}
	out := &Result{Outputs: map[string][]float32{}, Dims: res.Outputs, Ms: res.Ms}
	for name := range res.Outputs {
		b, err := os.ReadFile(filepath.Join(outDir, filepath.Base(name)+".f32"))
		if err != nil {
			return nil, fmt.Errorf("ortnode %s: output %s: %w", modelPath, name, err)
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		out.Outputs[name] = v
	}
	return out, nil
}

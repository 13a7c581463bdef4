package tflite

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/internal/peers"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/nets"
)

// ratioRounds and ratioPer are the ratio benchmarks' schedule: ratioRounds rounds alternate
// between the go backend and the peer, each timing ratioPer inferences of either (after a
// warm-up for the peer, whose process is new each round).
const ratioRounds, ratioPer = 5, 3

// goBackends are the go backend settings the ratio benchmarks run: one thread, as the peers run
// (the fair comparison), and the default of one worker per core.
func goBackends() []struct{ name, config string } {
	return []struct{ name, config string }{{"threads=1", "go:parallelism=1"}, {"go-workers=cores", "go"}}
}

// peerTimes is one round of a peer: the medians of its per-inference wall-clock and CPU times.
type peerTimes func() (wall, cpu float64)

// reportRatio runs ratioRounds alternating rounds of goRun (ratioPer inferences) and peer, and
// reports the medians of the times ("go-ms", "go-cpu-ms", "<peer>-ms", "<peer>-cpu-ms") and of
// the per-round ratios ("go/<peer>", "go/<peer>-cpu"): ratios of one round share the machine's
// load, so they mean more than the times on a busy machine.
func reportRatio(b *testing.B, peerName string, goRun func() error, peer peerTimes) {
	b.Helper()
	for b.Loop() {
		var goMs, goCPU, pMs, pCPU, ratios, cpuRatios []float64
		for range ratioRounds {
			gm, gc := peers.Timed(b, ratioPer, goRun)
			pm, pc := peer()
			goMs, goCPU = append(goMs, gm), append(goCPU, gc)
			pMs, pCPU = append(pMs, pm), append(pCPU, pc)
			ratios, cpuRatios = append(ratios, gm/pm), append(cpuRatios, gc/pc)
		}
		b.ReportMetric(peers.Median(goMs), "go-ms")
		b.ReportMetric(peers.Median(goCPU), "go-cpu-ms")
		b.ReportMetric(peers.Median(pMs), peerName+"-ms")
		b.ReportMetric(peers.Median(pCPU), peerName+"-cpu-ms")
		b.ReportMetric(peers.Median(ratios), "go/"+peerName)
		b.ReportMetric(peers.Median(cpuRatios), "go/"+peerName+"-cpu")
	}
}

// BenchmarkBlazePoseRatio measures the imported networks at batch 1 on the go backend against
// TFLite's WebAssembly build (XNNPACK, one thread) on a busy machine fairly: rounds alternate
// between the two, and the reported go/wasm is the median of the per-round ratios. Each model runs
// twice: "threads=1" with the go backend on one thread (equal threads, the fair comparison) and
// "go-workers=cores" with its default of one worker per core (its CPU time is then the sum over
// both threads). Process CPU time per inference ("-cpu") is less sensitive to other load than
// wall-clock time. Run with -benchtime=1x.
func BenchmarkBlazePoseRatio(b *testing.B) {
	for _, name := range []string{modelstore.PoseLandmarkFull, modelstore.PoseLandmarkHeavy, modelstore.PoseDetection} {
		for _, be := range goBackends() {
			b.Run(name+"/"+be.name, func(b *testing.B) {
				path := blazePoseFile(b, name)
				dir := wasmDir(b)
				r, input := goNetRunnerOn(b, path, be.config)
				reportRatio(b, "wasm", func() error { _, err := r.Run(context.Background(), input); return err },
					func() (float64, float64) {
						w := runWASM(b, dir, path, input, ratioPer+1)
						return warmMedians(w)
					})
			})
		}
	}
}

// warmMedians returns the medians of a peer's wall-clock and CPU times without its first
// (warm-up) inference; the wall-clock median stands for the CPU time when the peer reports none.
func warmMedians(res *peers.NodeResult) (wall, cpu float64) {
	wall = peers.Median(append([]float64(nil), res.Ms[1:]...))
	cpu = wall
	if len(res.CPUMs) == len(res.Ms) {
		cpu = peers.Median(append([]float64(nil), res.CPUMs[1:]...))
	}
	return wall, cpu
}

// BenchmarkORTRatio measures batch-1 inference on the go backend against ONNX Runtime 1.30 (npm
// onnxruntime-node, scripts/setup-onnxruntime) with equal threads: BlazePose-full and the person
// detector (imported from TFLite and exported to ONNX by package export) and the MoVNect student
// (catalog "movnect", 128×128, random weights) run on the go backend with one thread
// ("threads=1") against ONNX Runtime with one intra-op thread, and on both with two
// ("threads=2": the go backend's default of one worker per core on this 2-core machine). Rounds
// alternate as in BenchmarkBlazePoseRatio; "go/ort-cpu" is the median ratio of per-inference
// process CPU times. Run with -benchtime=1x.
func BenchmarkORTRatio(b *testing.B) {
	ort, err := ortnode.Find()
	if err != nil {
		b.Skip(err)
	}
	threadCounts := []int{1, 2}
	for _, name := range []string{modelstore.PoseLandmarkFull, modelstore.PoseDetection, "movnect"} {
		for _, threads := range threadCounts {
			b.Run(name+"/threads="+strconv.Itoa(threads), func(b *testing.B) {
				config := "go:parallelism=" + strconv.Itoa(threads)
				var goRun func() error
				var onnx []byte
				var input []float32
				var dims []int
				if name == "movnect" {
					goRun, onnx, input, dims = studentRun(b, name, config)
				} else {
					path := blazePoseFile(b, name)
					r, in := goNetRunnerOn(b, path, config)
					store, err := r.part.NewStore()
					if err != nil {
						b.Fatal(err)
					}
					s := r.part.Net.InputMultiple
					if onnx, err = export.ONNX(r.part.Net, store, export.ONNXOptions{Batch: 1, Height: s, Width: s}); err != nil {
						b.Fatal(err)
					}
					goRun = func() error { _, err := r.Run(context.Background(), in); return err }
					input, dims = in, []int{1, s, s, r.part.Net.InputChannels}
				}
				file := filepath.Join(b.TempDir(), "model.onnx")
				if err := os.WriteFile(file, onnx, 0o644); err != nil {
					b.Fatal(err)
				}
				reportRatio(b, "ort", goRun, func() (float64, float64) {
					return warmMedians(runORTTimed(b, ort.NodeModules, file, input, dims, threads, ratioPer+1))
				})
			})
		}
	}
}

// studentRun builds the catalog network name at 128×128 with random weights on the go backend
// named by config and returns its batch-1 inference, its ONNX export and the input.
func studentRun(b *testing.B, name, config string) (run func() error, onnx []byte, input []float32, dims []int) {
	b.Helper()
	be, err := backend.New(config)
	if err != nil {
		b.Fatal(err)
	}
	net, err := nets.ByName(name)
	if err != nil {
		b.Fatal(err)
	}
	const size = 128
	dims = []int{1, size, size, net.InputChannels}
	input = personCrop(b, size)
	if net.InputChannels != 3 {
		b.Fatalf("%s takes %d channels, the benchmark's crop has 3", name, net.InputChannels)
	}
	images := tensors.FromFlatDataAndDimensions(input, dims...)
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(1))
	p, err := nets.NewPredictor(be, store, net)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Finalize)
	if _, err := p.Predict(images); err != nil { // creates the variables, compiles
		b.Fatal(err)
	}
	if onnx, err = export.ONNX(net, store, export.ONNXOptions{Batch: 1, Height: size, Width: size}); err != nil {
		b.Fatal(err)
	}
	return func() error { _, err := p.Predict(images); return err }, onnx, input, dims
}

// runORTTimed runs the ONNX model file on input iters times in ONNX Runtime with threads intra-op
// threads (testdata/ort_time.js, onnxruntime-node from modules) and returns its times.
func runORTTimed(t testing.TB, modules, model string, input []float32, dims []int, threads, iters int) *peers.NodeResult {
	t.Helper()
	in := filepath.Join(t.TempDir(), "input.f32")
	if err := os.WriteFile(in, peers.Float32Bytes(input), 0o644); err != nil {
		t.Fatal(err)
	}
	dimsJSON, err := json.Marshal(dims)
	if err != nil {
		t.Fatal(err)
	}
	return peers.RunNode(t, "ort_time.js", []string{modules, model, in, string(dimsJSON), strconv.Itoa(threads), strconv.Itoa(iters)}, "")
}

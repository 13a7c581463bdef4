package nets

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/posedistill/posedistill/backend"
)

// Benchmark sizes: the student probe of DESIGN.md (128×128 input, batch 16 for training, batch 1 for
// inference).
const (
	benchSize       = 128
	benchTrainBatch = 16
)

// torchThreads is the PyTorch thread count: POSEDISTILL_TORCH_THREADS, default 2 (this machine's cores).
func torchThreads() string {
	if v := os.Getenv("POSEDISTILL_TORCH_THREADS"); v != "" {
		return v
	}
	return "2"
}

// BenchmarkStudents times a training step (Adam, MSE to random heatmaps) and batch-1 inference of the
// students on the GoMLX backend selected by GOMLX_BACKEND (default "go"), and runs the identical
// network in PyTorch (testdata/torch_net.py, 2 threads or POSEDISTILL_TORCH_THREADS) in the same run,
// just before and just after the Go loop. It reports PyTorch's median time (the mean of its two runs)
// as "torch-ms/op" and Go's time over PyTorch's as "x-torch" (below 1 is faster than PyTorch); and,
// since wall time is meaningless on a machine shared with other jobs, the process CPU time per op of
// both ("cpu-ms/op", "torch-cpu-ms/op") and its ratio ("x-torch-cpu").
func BenchmarkStudents(b *testing.B) {
	backend, err := backend.New("")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"mobilenetv2", "movnect"} {
		net, err := ByName(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/train", func(b *testing.B) { benchTrain(b, backend, net, benchSize, benchSize) })
		b.Run(name+"/infer", func(b *testing.B) { benchInfer(b, backend, net) })
	}
}

// BenchmarkStudentSizes times the training step of the demo's students at its crop sizes (64×48 and
// 128×96, batch 16), MoVNect 0.5 (64-channel head, configs/student-movnect-synth.yaml) and 1.0, against
// the same network in PyTorch, as BenchmarkStudents does.
func BenchmarkStudentSizes(b *testing.B) {
	backend, err := backend.New("")
	if err != nil {
		b.Fatal(err)
	}
	for _, width := range []float64{0.5, 1} {
		opt := MoVNectOptions{Width: width}
		if width == 0.5 {
			opt.HeadChannels = 64
		}
		net, err := MoVNect(opt)
		if err != nil {
			b.Fatal(err)
		}
		for _, size := range [][2]int{{64, 48}, {128, 96}} {
			b.Run(fmt.Sprintf("movnect-%g/%dx%d", width, size[0], size[1]), func(b *testing.B) {
				benchTrain(b, backend, net, size[0], size[1])
			})
		}
	}
}

func benchTrain(b *testing.B, backend compute.Backend, net *Net, h, w int) {
	shapes, err := net.Shapes(h, w)
	if err != nil {
		b.Fatal(err)
	}
	hm := shapes[net.Heads.Heatmaps]
	images := randomBatch(1, benchTrainBatch, h, w, 3)
	labels := []*tensors.Tensor{randomBatch(2, benchTrainBatch, hm.H, hm.W, hm.C)}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(1))
	trainer := train.NewTrainer(backend, store, ModelFn(net), mseAll, optimizer.Adam().LearningRate(1e-3).Done(), nil, nil)
	batch := train.Batch{Inputs: []*tensors.Tensor{images}, Labels: labels}
	for range 2 { // compile and warm up
		if _, err := trainer.TrainStep(batch); err != nil {
			b.Fatal(err)
		}
	}
	before := measureTorch(b, net, "train", benchTrainBatch, h, w)
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		if _, err := trainer.TrainStep(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportTorch(b, net, "train", benchTrainBatch, h, w, cpuTime()-cpu, before)
}

func benchInfer(b *testing.B, backend compute.Backend, net *Net) {
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(1))
	p, err := NewPredictor(backend, store, net)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Finalize()
	image := randomBatch(3, 1, benchSize, benchSize, 3)
	for range 3 {
		if _, err := p.Predict(image); err != nil {
			b.Fatal(err)
		}
	}
	before := measureTorch(b, net, "infer", 1, benchSize, benchSize)
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		if _, err := p.Predict(image); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportTorch(b, net, "infer", 1, benchSize, benchSize, cpuTime()-cpu, before)
}

// torchTimes are PyTorch's median wall milliseconds and mean CPU milliseconds per op.
type torchTimes struct {
	MS    float64 `json:"ms"`
	CPUMS float64 `json:"cpu_ms"`
}

// measureTorch runs the same network in PyTorch (testdata/torch_net.py) and returns its times per op,
// or nil when PyTorch is missing.
func measureTorch(b *testing.B, net *Net, mode string, batch, h, w int) *torchTimes {
	if exec.Command("/usr/bin/python3", "-c", "import torch").Run() != nil {
		return nil
	}
	path := writeNetJSON(b, net)
	// Ten training steps take seconds; ten batch-1 inferences take a tenth of a second, too short for
	// the process CPU clock: time 100 of those.
	iters := "10"
	if mode == "infer" {
		iters = "100"
	}
	out, err := exec.Command("/usr/bin/python3", filepath.Join("testdata", "torch_net.py"), mode, path,
		"--height", strconv.Itoa(h), "--width", strconv.Itoa(w), "--batch", strconv.Itoa(batch),
		"--threads", torchThreads(), "--iters", iters).Output()
	if err != nil {
		b.Fatalf("torch_net.py: %v", err)
	}
	var res torchTimes
	if err := json.Unmarshal(out, &res); err != nil || res.MS <= 0 {
		b.Fatalf("torch_net.py output %q: %v", out, err)
	}
	return &res
}

// reportTorch measures the same network in PyTorch again and reports the mean of that and of before
// (a measurement taken just before the Go loop, so that both engines see the same average load on a
// shared machine), and the ratio of this benchmark's time per op to it. It does nothing (but say so)
// when PyTorch is missing.
func reportTorch(b *testing.B, net *Net, mode string, batch, h, w int, cpu time.Duration, before *torchTimes) {
	goMS := float64(b.Elapsed().Microseconds()) / 1000 / float64(b.N)
	goCPU := float64(cpu.Microseconds()) / 1000 / float64(b.N)
	b.ReportMetric(goCPU, "cpu-ms/op")
	after := measureTorch(b, net, mode, batch, h, w)
	if before == nil || after == nil {
		b.Log("PyTorch not available: no comparison")
		return
	}
	ms, cpuMS := (before.MS+after.MS)/2, (before.CPUMS+after.CPUMS)/2
	b.ReportMetric(ms, "torch-ms/op")
	b.ReportMetric(goMS/ms, "x-torch")
	b.ReportMetric(cpuMS, "torch-cpu-ms/op")
	b.ReportMetric(goCPU/cpuMS, "x-torch-cpu")
}

// cpuTime returns the user+system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

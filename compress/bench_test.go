package compress

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/export"
	"github.com/posedistill/posedistill/export/ortnode"
	"github.com/posedistill/posedistill/nets"
)

// BenchmarkCompressedMoVNect measures what compression buys at inference: MoVNect (catalog
// "movnect", 128×128, batch 1) as is, with 50% of its channel groups pruned (L1, global; "pruned"
// to any width, "pruned16" to multiples of 16 channels), and with its convolutions factorized at 50%
// of their energy, on the pure-Go backend (nets.Predictor) and in
// ONNX Runtime (exported with export.ONNX, 2 threads). Each of the b.N rounds runs every variant
// 10 times on Go, then 40 times in ONNX Runtime with the variants interleaved run by run
// (ortnode.Runner.Compare), so that they share the machine's background load. It
// reports each variant's median times ("<variant>-go-ms", "<variant>-ort-ms"), its FLOPs as a
// percentage of the original ("<variant>-flops-%") and its speed-ups over the original
// ("<variant>-x-go", "<variant>-x-ort").
func BenchmarkCompressedMoVNect(b *testing.B) {
	backend := goBackend(b)
	net, err := nets.ByName("movnect")
	if err != nil {
		b.Fatal(err)
	}
	store := randomStore(b, backend, net, 1)
	type variant struct {
		name  string
		net   *nets.Net
		store *model.Store
		model string
		p     *nets.Predictor
		goMs  []float64
		ortMs []float64
	}
	plan, err := PlanChannels(net, store, ChannelOptions{Criterion: L1Norm, Ratio: 0.5, Global: true})
	if err != nil {
		b.Fatal(err)
	}
	prunedNet, prunedStore, err := plan.Prune(store, "")
	if err != nil {
		b.Fatal(err)
	}
	plan16, err := PlanChannels(net, store, ChannelOptions{Criterion: L1Norm, Ratio: 0.5, Global: true, Multiple: 16})
	if err != nil {
		b.Fatal(err)
	}
	pruned16Net, pruned16Store, err := plan16.Prune(store, "")
	if err != nil {
		b.Fatal(err)
	}
	lrNet, lrStore, _, err := LowRank(context.Background(), net, store, LowRankOptions{Energy: 0.5})
	if err != nil {
		b.Fatal(err)
	}
	variants := []*variant{{name: "original", net: net, store: store}, {name: "pruned", net: prunedNet, store: prunedStore},
		{name: "pruned16", net: pruned16Net, store: pruned16Store}, {name: "lowrank", net: lrNet, store: lrStore}}
	runner, ortErr := ortnode.Find()
	dir := b.TempDir()
	image := randomImages(2, 1, 128, 128, 3)
	flat := tensors.MustCopyFlatData[float32](image)
	for _, v := range variants {
		if v.p, err = nets.NewPredictor(backend, v.store, v.net); err != nil {
			b.Fatal(err)
		}
		defer v.p.Finalize()
		if _, err := v.p.Predict(image); err != nil {
			b.Fatal(err)
		}
		v.model = filepath.Join(dir, v.name+".onnx")
		if err := export.WriteONNX(v.model, v.net, v.store, export.ONNXOptions{Batch: 1, Height: 128, Width: 128}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		for _, v := range variants {
			for range 10 {
				start := time.Now()
				if _, err := v.p.Predict(image); err != nil {
					b.Fatal(err)
				}
				v.goMs = append(v.goMs, float64(time.Since(start).Microseconds())/1000)
			}
		}
		if ortErr == nil {
			paths := make([]string, len(variants))
			for i, v := range variants {
				paths[i] = v.model
			}
			ms, err := runner.Compare(context.Background(), paths, flat, []int{1, 128, 128, 3}, 40)
			if err != nil {
				b.Fatal(err)
			}
			for i, v := range variants {
				v.ortMs = append(v.ortMs, ms[i]...)
			}
		}
	}
	b.StopTimer()
	f0, _ := net.FLOPs(128, 128)
	goBase, ortBase := median(variants[0].goMs), median(variants[0].ortMs)
	for _, v := range variants {
		f, _ := v.net.FLOPs(128, 128)
		g, o := median(v.goMs), median(v.ortMs)
		b.ReportMetric(100*float64(f)/float64(f0), v.name+"-flops-%")
		b.ReportMetric(g, v.name+"-go-ms")
		if v != variants[0] {
			b.ReportMetric(goBase/g, v.name+"-x-go")
		}
		if ortErr == nil {
			b.ReportMetric(o, v.name+"-ort-ms")
			if v != variants[0] {
				b.ReportMetric(ortBase/o, v.name+"-x-ort")
			}
		}
	}
	if ortErr != nil {
		fmt.Fprintln(os.Stderr, "no ONNX Runtime comparison:", ortErr)
	}
}

// median returns the median of v (0 for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

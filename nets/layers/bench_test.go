package layers

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchmarkLayers times one layer's training pass (forward, and the gradients with respect to its
// input and weights) on the go backend, at the sizes of MobileNetV2's first stages at 128×128, batch
// 16 ("lowered" and "plain": depthwise convolutions as taps and batch norm from plain ops, as on
// other backends). It reports the process CPU time per op ("cpu-ms/op"): wall time means little on a shared machine.
// Run it with GOMLX_BACKEND=go:parallelism=1 for one thread.
func BenchmarkLayers(b *testing.B) {
	backend := goBackend(b)
	type layer struct {
		name    string
		dims    []int
		lowered bool
		build   func(s *model.Scope, x *graph.Node) *graph.Node
	}
	var layers []layer
	for _, d := range []struct {
		dims   []int
		stride int
	}{{[]int{16, 64, 64, 32}, 1}, {[]int{16, 64, 64, 96}, 2}, {[]int{16, 32, 32, 144}, 1}} {
		for _, lowered := range []bool{false, true} {
			name := fmt.Sprintf("depthwise3x3-s%d/%dx%dx%d", d.stride, d.dims[1], d.dims[2], d.dims[3])
			if lowered {
				name += "/lowered"
			}
			layers = append(layers, layer{name, d.dims, lowered, func(s *model.Scope, x *graph.Node) *graph.Node {
				return DepthwiseConv(s, x).Stride(d.stride).Training(true).Done()
			}})
		}
	}
	layers = append(layers,
		layer{"conv1x1+bn+relu6/32x32x24-144", []int{16, 32, 32, 24}, false, func(s *model.Scope, x *graph.Node) *graph.Node {
			return Conv(s, x).Channels(144).BatchNorm(true).Activation(ReLU6).Training(true).Done()
		}},
		layer{"conv1x1+bn/32x32x144-24", []int{16, 32, 32, 144}, false, func(s *model.Scope, x *graph.Node) *graph.Node {
			return Conv(s, x).Channels(24).BatchNorm(true).Training(true).Done()
		}},
	)
	for _, lowered := range []bool{false, true} {
		name := "bn+relu6/32x32x144"
		if lowered {
			name += "/plain"
		}
		layers = append(layers, layer{name, []int{16, 32, 32, 144}, lowered, func(s *model.Scope, x *graph.Node) *graph.Node {
			return activate(ReLU6, newBNVariables(s, shapes.Make(x.DType(), x.Shape().Dimensions[3])).train(x), true)
		}})
	}
	for _, l := range layers {
		b.Run(l.name, func(b *testing.B) {
			lowerDepthwise, plainBatchNorm = l.lowered, l.lowered
			defer func() { lowerDepthwise, plainBatchNorm = false, false }()
			x := randomTensor[float32](1, l.dims...)
			exec, err := model.NewExec(backend, newStore(1), func(scope *model.Scope, x *graph.Node) []*graph.Node {
				y := l.build(scope.At("layer"), x)
				loss := graph.ReduceAllSum(graph.Mul(y, graph.OnesLike(y)))
				vars := []*graph.Node{x}
				for v := range scope.IterVariables() {
					if v.Trainable {
						vars = append(vars, v.NodeValue(x.Graph()))
					}
				}
				return graph.Gradient(loss, vars...)
			})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := exec.Exec(x); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu := layerCPUTime()
			for range b.N {
				if _, err := exec.Exec(x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((layerCPUTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// layerCPUTime returns the user+system CPU time this process has used.
func layerCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

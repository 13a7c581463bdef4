package nets

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/nets/layers"
)

// tinyNets are small configurations of every architecture, fast enough for unit tests at 32×32.
func tinyNets(t testing.TB) []*Net {
	t.Helper()
	var list []*Net
	for _, f := range []func() (*Net, error){
		func() (*Net, error) {
			return MobileNetV2Pose(MobileNetV2Options{Width: 0.25, HeadChannels: 16, Joints: 5})
		},
		func() (*Net, error) {
			return MobileNetV2Pose(MobileNetV2Options{Width: 0.25, HeadChannels: 8, Joints: 5, DeconvHead: true})
		},
		func() (*Net, error) {
			return MoVNect(MoVNectOptions{Width: 0.25, HeadChannels: 16, Joints: 5, Locations: true})
		},
		func() (*Net, error) {
			return SimpleBaseline(SimpleBaselineOptions{Depth: 18, Width: 0.125, HeadChannels: 16, Joints: 5, Mask: true})
		},
		func() (*Net, error) {
			return SimpleBaseline(SimpleBaselineOptions{Depth: 50, Width: 0.125, HeadChannels: 8, Joints: 5})
		},
		func() (*Net, error) {
			return HRNet(HRNetOptions{Width: 4, Joints: 5, Modules: [3]int{1, 1, 1}, Blocks: 1, Mask: true})
		},
	} {
		n, err := f()
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, n)
	}
	return list
}

// backends returns the backends to test on: "go" always, "onnx" when ONNX Runtime is installed.
func backends(t *testing.T) map[string]func(t *testing.T) compute.Backend {
	return map[string]func(t *testing.T) compute.Backend{
		"go": func(t *testing.T) compute.Backend {
			b, err := backend.New("go")
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		"onnx": func(t *testing.T) compute.Backend {
			if os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH") == "" {
				t.Skip("ONNXRUNTIME_SHARED_LIBRARY_PATH is unset: run scripts/setup-onnxruntime and export it to test the onnx backend")
			}
			b, err := backend.New("onnx")
			if err != nil {
				t.Fatalf("onnx backend: %v", err)
			}
			return b
		},
	}
}

// randomBatch returns a float32 tensor with values uniform in [0, 1) from seed.
func randomBatch(seed uint64, dims ...int) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 2))
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// mseAll is the sum over outputs of the mean squared error to their labels.
func mseAll(labels, predictions []*graph.Node) *graph.Node {
	var total *graph.Node
	for i, p := range predictions {
		l := graph.ReduceAllMean(graph.Square(graph.Sub(p, labels[i])))
		if total == nil {
			total = l
		} else {
			total = graph.Add(total, l)
		}
	}
	return total
}

// allOpsNet is a small network that uses every op and activation and all three heads: ONNX Runtime
// takes many seconds to compile each full architecture's training graph, so the "onnx" backend trains
// this one instead.
func allOpsNet(t testing.TB) *Net {
	t.Helper()
	b := newBuilder("all-ops", 3, 8)
	x := b.conv("stem", Input, 8, 3, 2, layers.ReLU6)                                         // 16×16
	p := b.add(Layer{Name: "pool", Op: OpMaxPool, Inputs: []string{x}, Kernel: 3, Stride: 2}) // 8×8
	d := b.dw("dw", p, 3, 2, layers.ReLU)                                                     // 4×4
	g := b.add(Layer{Name: "grouped", Op: OpConv, Inputs: []string{d}, Out: 8, Kernel: 3, Groups: 2, Bias: true, Act: layers.Sigmoid})
	u := b.add(Layer{Name: "deconv", Op: OpDeconv, Inputs: []string{g}, Out: 8, BN: true, Act: layers.ReLU}) // 8×8
	n := b.upsample("nearest", d, layers.Nearest)                                                            // 8×8
	s := b.add(Layer{Name: "sum", Op: OpAdd, Inputs: []string{u, n, p}, Act: layers.ReLU})
	c := b.add(Layer{Name: "cat", Op: OpConcat, Inputs: []string{s, p}})
	y := b.upsample("bilinear", c, layers.Bilinear) // 16×16
	y = b.conv("mix", y, 8, 1, 1, layers.ReLU)
	y = b.upsample("bilinear2", y, layers.Bilinear) // 32×32
	y = b.conv("down", y, 8, 3, 4, layers.ReLU)     // 8×8 = 1/4 of 32
	net, err := b.finish(Heads{Heatmaps: b.head("heatmaps", y, 3), Locations: b.head("locations", y, 9), Mask: b.head("mask", y, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// TestAdamLowersLoss trains every tiny architecture ("go" backend) or the all-ops network ("onnx"
// backend) for a few Adam steps on one batch against random targets and checks the loss falls.
func TestAdamLowersLoss(t *testing.T) {
	const batch, size, steps = 2, 32, 6
	for backendName, newBackend := range backends(t) {
		t.Run(backendName, func(t *testing.T) {
			backend := newBackend(t)
			list := append(tinyNets(t), allOpsNet(t))
			if backendName == "onnx" {
				list = []*Net{allOpsNet(t)}
			}
			for i, net := range list {
				t.Run(net.Name, func(t *testing.T) {
					shapes, err := net.Shapes(size, size)
					if err != nil {
						t.Fatal(err)
					}
					images := randomBatch(uint64(i), batch, size, size, 3)
					var labels []*tensors.Tensor
					for j, head := range []string{net.Heads.Heatmaps, net.Heads.Locations, net.Heads.Mask} {
						if head != "" {
							s := shapes[head]
							labels = append(labels, randomBatch(uint64(100*i+j), batch, s.H, s.W, s.C))
						}
					}
					store := model.NewStore()
					store.SetParam(model.ParamInitialSeed, int64(i+1))
					trainer := train.NewTrainer(backend, store, ModelFn(net), mseAll,
						optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
					var first, last float32
					for step := range steps {
						metrics, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{images}, Labels: labels})
						if err != nil {
							t.Fatalf("step %d: %v", step, err)
						}
						loss := tensors.MustCopyFlatData[float32](metrics[0])[0]
						if step == 0 {
							first = loss
						}
						last = loss
					}
					if !(last < 0.8*first) {
						t.Errorf("loss %g after %d Adam steps, started at %g", last, steps, first)
					}
				})
			}
		})
	}
}

package compress

import (
	"context"
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	gtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TestQATStep trains a small network with QuantModelFn (int8 weights and calibrated uint8
// activations, straight-through gradients) on a fixed batch with GoMLX's trainer — the model function
// train.Run would take — and checks that the quantized training loss falls, that the stored weights
// stay float (the optimizer updates them, not their int8 grid values), and that the quantized
// predictor then fits the targets better than before training.
func TestQATStep(t *testing.T) {
	backend := goBackend(t)
	tc := testNets(t)["movnect"]
	store := randomStore(t, backend, tc.net, 31)
	images := randomImages(32, 4, tc.h, tc.w, 3)
	target := randomImages(33, 4, tc.h/4, tc.w/4, tc.net.Joints) // any fixed target
	cal, err := Calibrate(context.Background(), backend, tc.net, store, []*tensors.Tensor{images}, CalibrationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	acts, err := ActQuants(cal.MinMax)
	if err != nil {
		t.Fatal(err)
	}
	spec := QuantSpec{Activations: acts, Weights: true, STE: true}
	mse := func(labels, preds []*graph.Node) *graph.Node {
		return graph.ReduceAllMean(graph.Square(graph.Sub(preds[0], labels[0])))
	}
	trainer := gtrain.NewTrainer(backend, store, QuantModelFn(tc.net, spec), mse, optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
	var losses []float64
	for range 25 {
		m, err := trainer.TrainStep(gtrain.Batch{Inputs: []*tensors.Tensor{images}, Labels: []*tensors.Tensor{target}})
		if err != nil {
			t.Fatal(err)
		}
		v := tensors.MustCopyFlatData[float32](m[0])
		losses = append(losses, float64(v[0]))
	}
	t.Logf("QAT loss: %.4f → %.4f", losses[0], losses[len(losses)-1])
	if !(losses[len(losses)-1] < 0.95*losses[0]) {
		t.Errorf("QAT did not lower the loss: %v", losses)
	}
	// Stored weights are float: at least one value of the stem kernel is off its int8 grid.
	w, dims, err := readVariable(store, "/"+tc.net.Layers[0].Name+"/weights")
	if err != nil {
		t.Fatal(err)
	}
	q, err := Quantize("stem", w, dims, QuantOptions{Format: Int8, PerChannel: true})
	if err != nil {
		t.Fatal(err)
	}
	dq, _ := q.Dequantize()
	off := 0
	for i := range w {
		if math.Abs(float64(w[i]-dq[i])) > 1e-7 {
			off++
		}
	}
	if off == 0 {
		t.Errorf("the stored weights are all on the int8 grid: the fake-quantized values were stored")
	}
}

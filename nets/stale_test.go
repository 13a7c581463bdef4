package nets

import (
	"bytes"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/posedistill/posedistill/backend"
)

// TestPredictorSeesTrainedWeights checks that a Predictor kept across training steps uses the
// current weights: after training, it must agree with a fresh Predictor on the same store.
func TestPredictorSeesTrainedWeights(t *testing.T) {
	backend, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	net := tinyNets(t)[2]
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(3))
	kept, err := NewPredictor(backend, store, net)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Finalize()
	image := randomBatch(1, 1, 32, 32, 3)
	before, err := kept.Predict(image)
	if err != nil {
		t.Fatal(err)
	}
	beforeBytes := floatBytes(before.Heatmaps)
	shapes, _ := net.Shapes(32, 32)
	var labels []*tensors.Tensor
	for _, h := range []string{net.Heads.Heatmaps, net.Heads.Locations} {
		s := shapes[h]
		labels = append(labels, randomBatch(9, 2, s.H, s.W, s.C))
	}
	trainer := train.NewTrainer(backend, store, ModelFn(net), mseAll, optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
	for range 3 {
		if _, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{randomBatch(2, 2, 32, 32, 3)}, Labels: labels}); err != nil {
			t.Fatal(err)
		}
	}
	after, err := kept.Predict(image)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := NewPredictor(backend, store, net)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Finalize()
	want, err := fresh.Predict(image)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(floatBytes(want.Heatmaps), beforeBytes) {
		t.Fatal("training did not change the outputs")
	}
	if !bytes.Equal(floatBytes(after.Heatmaps), floatBytes(want.Heatmaps)) {
		t.Errorf("kept predictor disagrees with a fresh one after training (stale weights: %v)",
			bytes.Equal(floatBytes(after.Heatmaps), beforeBytes))
	}
}

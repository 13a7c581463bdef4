package nets

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/posedistill/posedistill/backend"
	"github.com/posedistill/posedistill/modelcheck"
)

// TestPredictReportsNonFiniteOutput: a network whose weights hold a NaN fails Predict with a model
// error naming the network (issue 16: a damaged model's NaN surfaced as a JSON writer error).
func TestPredictReportsNonFiniteOutput(t *testing.T) {
	net, err := MoVNect(MoVNectOptions{Width: 0.25, HeadChannels: 8})
	if err != nil {
		t.Fatal(err)
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	images := tensors.FromFlatDataAndDimensions(make([]float32, 32*32*3), 1, 32, 32, 3)
	p, err := NewPredictor(be, store, net)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Predict(images); err != nil {
		t.Fatal(err)
	}
	p.Finalize()
	for v := range store.IterVariables() {
		if v.Shape().Size() > 1 && v.Shape().DType.String() == "Float32" {
			vals := make([]float32, v.Shape().Size())
			for i := range vals {
				vals[i] = float32(math.NaN())
			}
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	p, err = NewPredictor(be, store, net)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	_, err = p.Predict(images)
	if !errors.Is(err, modelcheck.ErrNonFinite) || !strings.Contains(err.Error(), net.Name) || !strings.Contains(err.Error(), "heatmaps") {
		t.Fatalf("got %v, want a non-finite output error naming %s", err, net.Name)
	}
}

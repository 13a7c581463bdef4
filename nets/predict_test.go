package nets

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestPredictorShapesAndDeterminism runs every tiny architecture in inference mode twice from the same
// seed: the outputs have the head shapes and identical bytes, and a different seed changes them.
func TestPredictorShapesAndDeterminism(t *testing.T) {
	backend, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	const size = 32
	image := randomBatch(5, 1, size, size, 3)
	run := func(net *Net, seed int64) Prediction {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, seed)
		p, err := NewPredictor(backend, store, net)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Finalize()
		pred, err := p.Predict(image)
		if err != nil {
			t.Fatal(err)
		}
		return pred
	}
	for _, net := range tinyNets(t) {
		t.Run(net.Name, func(t *testing.T) {
			shapes, err := net.Shapes(size, size)
			if err != nil {
				t.Fatal(err)
			}
			a, b, c := run(net, 7), run(net, 7), run(net, 8)
			check := func(what, head string, x, y *tensors.Tensor) {
				if head == "" {
					if x != nil {
						t.Errorf("%s: output without a head", what)
					}
					return
				}
				s := shapes[head]
				if x == nil || x.Shape().Dimensions[1] != s.H || x.Shape().Dimensions[2] != s.W || x.Shape().Dimensions[3] != s.C {
					t.Fatalf("%s: got %v, want 1x%dx%dx%d", what, x, s.H, s.W, s.C)
				}
				if !bytes.Equal(floatBytes(x), floatBytes(y)) {
					t.Errorf("%s: same seed, different outputs", what)
				}
			}
			check("heatmaps", net.Heads.Heatmaps, a.Heatmaps, b.Heatmaps)
			check("locations", net.Heads.Locations, a.Locations, b.Locations)
			check("mask", net.Heads.Mask, a.Mask, b.Mask)
			if bytes.Equal(floatBytes(a.Heatmaps), floatBytes(c.Heatmaps)) {
				t.Error("different seeds, identical heatmaps")
			}
		})
	}
}

func floatBytes(x *tensors.Tensor) []byte {
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, tensors.MustCopyFlatData[float32](x))
	return buf.Bytes()
}

// TestPredictRejectsBadImages checks input validation.
func TestPredictRejectsBadImages(t *testing.T) {
	backend, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	net := tinyNets(t)[0]
	p, err := NewPredictor(backend, model.NewStore(), net)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	for _, img := range []*tensors.Tensor{randomBatch(1, 1, 32, 32, 1), randomBatch(1, 1, 30, 32, 3), randomBatch(1, 32, 32, 3)} {
		if _, err := p.Predict(img); err == nil {
			t.Errorf("Predict accepted images %s", img.Shape())
		}
	}
}

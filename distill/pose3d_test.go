package distill

import (
	"math"
	"testing"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/nets"
	"github.com/posedistill/posedistill/topdown"
	"github.com/posedistill/posedistill/train"
)

// TestFlipTest3DIsMirrorEquivariant: with the flip test, the maps of a mirrored crop are the
// mirror of the crop's maps (heatmaps mirrored with left and right swapped, location maps also
// with X negated), whatever the network. Without the flip test's averaging an untrained network
// fails this; codec's TestFlipLocationMapsMatchMirroredTargets checks the mirror itself.
func TestFlipTest3DIsMirrorEquivariant(t *testing.T) {
	net, err := nets.MoVNect(nets.MoVNectOptions{Width: 0.25, HeadChannels: 16, Locations: true})
	if err != nil {
		t.Fatal(err)
	}
	be, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(3))
	p, err := nets.NewPredictor(be, store, net)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Finalize()
	cfg := train.DefaultConfig()
	cfg.InputW, cfg.InputH, cfg.Codec = 32, 48, "udp" // UDP: the flip is an exact heatmap mirror
	sc, err := SampleConfig(cfg, false, false, true)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2
	images := topdown.Tensor{Shape: []int{n, cfg.InputH, cfg.InputW, 3}, Data: make([]float32, n*cfg.InputH*cfg.InputW*3)}
	for i := range images.Data {
		images.Data[i] = float32(math.Sin(float64(i)*0.37) + 0.1*float64(i%7))
	}
	hm, lm, err := predict3D(p, images, sc, true)
	if err != nil {
		t.Fatal(err)
	}
	mhm, mlm, err := predict3D(p, train.Mirror(images), sc, true)
	if err != nil {
		t.Fatal(err)
	}
	k, fi := sc.Joints.NumJoints(), sc.Joints.FlipIndex()
	wantHM, err := sc.Codec.FlipHeatmaps(hm, n, k, fi)
	if err != nil {
		t.Fatal(err)
	}
	wantLM, err := codec.FlipLocationMaps(lm, n, sc.Codec.HeatH, sc.Codec.HeatW, k, fi)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want []float32
	}{{"heatmaps", mhm, wantHM}, {"location maps", mlm, wantLM}} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%s: %d values, want %d", c.name, len(c.got), len(c.want))
		}
		for i := range c.got {
			if d := math.Abs(float64(c.got[i] - c.want[i])); d > 1e-5*(1+math.Abs(float64(c.want[i]))) {
				t.Fatalf("%s of the mirrored crop differ from the mirrored maps at %d: %v vs %v", c.name, i, c.got[i], c.want[i])
			}
		}
	}
}

package movenet

import (
	"context"
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/posedistill/posedistill/internal/testkit"
	"github.com/posedistill/posedistill/modelstore"
	"github.com/posedistill/posedistill/nets"
)

// TestImportNetWeightsTrainable checks that no convolution of an imported MoveNet network has
// weights more than 16 times smaller (root mean square over the layer) than a freshly
// initialized layer's (He's √(2/fan-in)). Adam moves every weight by about the learning rate in
// its first steps: with the batch norms TensorFlow folded in, the feature pyramid's last
// pointwise convolution had weights 230 (Lightning) to 600 (MultiPose) times smaller, 5e-5 was 4 %
// of them, and one Adam step at 5e-5 took Lightning's agreement AP with Thunder from 0.852 to
// 0.410 (finetune-video --codec movenet --steps 1). tfjs.NetPart.Balance rescales the channels
// (the outputs are the same bits, TestImportedNetDecodesAsGraph and tfjs's TestBalance).
func TestImportNetWeightsTrainable(t *testing.T) {
	for _, m := range []Model{Lightning, Thunder, MultiPose} {
		file, err := m.File()
		if err != nil {
			t.Fatal(err)
		}
		net, store, err := ImportNet(context.Background(), testkit.Backend(t), modelstore.MoveNetPath(testkit.MoveNetCache(t), file), m, true)
		if err != nil {
			t.Fatal(err)
		}
		lo, at := math.Inf(1), ""
		for _, l := range net.Layers {
			if l.Op != nets.OpConv || l.Name == AffineLayer {
				continue
			}
			v := store.GetVariable("/" + l.Name + "/weights")
			if v == nil {
				t.Fatalf("%s: layer %s has no weights", m, l.Name)
			}
			w := tensors.MustCopyFlatData[float32](v.MustValue())
			var ss float64
			for _, x := range w {
				ss += float64(x) * float64(x)
			}
			fanIn := len(w) / l.Out
			if r := math.Sqrt(ss/float64(len(w))) / math.Sqrt(2/float64(fanIn)); r < lo {
				lo, at = r, l.Name
			}
		}
		t.Logf("%s: smallest weights %.3g of He's (%s)", m, lo, at)
		if lo < 1.0/16 {
			t.Errorf("%s: layer %s's weights are %.2g of a fresh layer's: Adam's first steps at fine-tuning rates throw it off", m, at, lo)
		}
	}
}

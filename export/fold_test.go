package export

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestFoldBatchNorm checks that the folded network computes what the original computes in inference
// mode, and that it has no batch norm left.
func TestFoldBatchNorm(t *testing.T) {
	backend := goBackend(t)
	for name, tc := range testNets(t) {
		t.Run(name, func(t *testing.T) {
			store := randomStore(t, backend, tc.net, 8)
			images := randomImages(1, 1, tc.h, tc.w, tc.net.InputChannels)
			want := predict(t, backend, tc.net, store, images)
			folded, foldedStore, err := FoldBatchNorm(tc.net, store, "", false)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range folded.Layers {
				if l.BN {
					t.Fatalf("layer %s still has batch norm", l.Name)
				}
			}
			got := predict(t, backend, folded, foldedStore, images)
			for head, w := range want {
				if d := relMaxDiff(tensors.MustCopyFlatData[float32](got[head]), tensors.MustCopyFlatData[float32](w)); d > 1e-5 {
					t.Errorf("%s: folded network differs by %.3g (relative)", head, d)
				}
			}
		})
	}
}

// TestFoldedInt8 checks the int8 codes: in range, and every dequantized weight within scale/2.
func TestFoldedInt8(t *testing.T) {
	f := Folded{Dims: [4]int{1, 1, 3, 2}, Kernel: []float32{0.5, 0, -1, 0, 0.25, 0}, Bias: []float32{0, 0}}
	codes, scales := f.Int8()
	if scales[0] != 1.0/127 || scales[1] != 0x1p-126 {
		t.Fatalf("scales %v", scales)
	}
	d := f.DequantizedInt8()
	for i, v := range f.Kernel {
		if math.Abs(float64(d.Kernel[i]-v)) > float64(scales[i%2])/2 || codes[i] < -127 {
			t.Errorf("weight %d: %g → code %d → %g", i, v, codes[i], d.Kernel[i])
		}
	}
	if codes[0] != 64 || codes[2] != -127 || codes[4] != 32 {
		t.Errorf("codes %v", codes)
	}
}

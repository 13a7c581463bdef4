package codec

import "testing"

// BenchmarkDecode decodes a 64×48×17 heatmap with each refinement: DARK's blur and Newton step
// against the plain argmax and the quarter offset.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range []struct {
		name   string
		refine Refinement
	}{{"argmax", RefineNone}, {"quarter", RefineQuarter}, {"dark", RefineDARK}} {
		b.Run(tc.name, func(b *testing.B) {
			c := mustCodec(b, UDP)
			c.Refine = tc.refine
			kps := cocoPose()
			hm := make([]float32, c.NumHeatPixels()*len(kps))
			if err := c.Encode(kps, hm, make([]float32, len(kps))); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := c.Decode(hm, len(kps)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncode encodes 17 joints into 64×48 heatmaps.
func BenchmarkEncode(b *testing.B) {
	c := mustCodec(b, UDP)
	kps := cocoPose()
	hm := make([]float32, c.NumHeatPixels()*len(kps))
	w := make([]float32, len(kps))
	for range b.N {
		if err := c.Encode(kps, hm, w); err != nil {
			b.Fatal(err)
		}
	}
}

package nets

import "testing"

// MoVNect's skips add exactly two lateral 1×1 convolutions with batch norm (stride 8 into the
// head's channels, stride 4 into half of them) and keep every output's shape.
func TestMoVNectSkips(t *testing.T) {
	for _, width := range []float64{0.5, 1} {
		plain, err := MoVNect(MoVNectOptions{Width: width, HeadChannels: 64, Locations: true})
		if err != nil {
			t.Fatal(err)
		}
		skips, err := MoVNect(MoVNectOptions{Width: width, HeadChannels: 64, Locations: true, Skips: true})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := plain.Shapes(128, 96)
		if err != nil {
			t.Fatal(err)
		}
		ss, err := skips.Shapes(128, 96)
		if err != nil {
			t.Fatal(err)
		}
		c8, c4 := ss["features_6_add"].C, ss["features_3_add"].C
		if ss["features_6_add"].H != 16 || ss["features_3_add"].H != 32 {
			t.Fatalf("width %g: lateral inputs at %v and %v, want strides 8 and 4", width, ss["features_6_add"], ss["features_3_add"])
		}
		want := int64(c8*64 + 2*64 + c4*32 + 2*32)
		if d := skips.Params() - plain.Params(); d != want {
			t.Errorf("width %g: skips add %d parameters, want %d", width, d, want)
		}
		for _, head := range []string{plain.Heads.Heatmaps, plain.Heads.Locations} {
			if ps[head] != ss[head] {
				t.Errorf("width %g: head %s is %v with skips, %v without", width, head, ss[head], ps[head])
			}
		}
	}
}

package distill

import "testing"

func TestWithMaskHead(t *testing.T) {
	cfg := tinyConfig("m", 0.25, 8)
	net, err := cfg.Net()
	if err != nil {
		t.Fatal(err)
	}
	m, err := WithMaskHead(net)
	if err != nil {
		t.Fatal(err)
	}
	shapes, err := m.Shapes(32, 32)
	if err != nil {
		t.Fatal(err)
	}
	hm, mk := shapes[m.Heads.Heatmaps], shapes[m.Heads.Mask]
	if mk.C != 1 || mk.H != hm.H || mk.W != hm.W {
		t.Errorf("mask head %+v beside heatmaps %+v", mk, hm)
	}
	if net.Heads.Mask != "" || len(net.Layers) == len(m.Layers) {
		t.Error("the original net was changed or no layer added")
	}
	if again, _ := WithMaskHead(m); again != m {
		t.Error("a net with a mask head was rebuilt")
	}
}

func TestResizeNHWC(t *testing.T) {
	// 1×2×2×1 up to 4×4: corners keep their values, the centre is the mean.
	src := []float32{0, 1, 2, 3}
	out, err := resizeNHWC(src, 1, 2, 2, 1, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != 0 || out[15] != 3 || out[3] != 1 || out[12] != 2 {
		t.Errorf("corners %v %v %v %v", out[0], out[3], out[12], out[15])
	}
	mean := (out[5] + out[6] + out[9] + out[10]) / 4
	if d := mean - 1.5; d > 1e-6 || d < -1e-6 {
		t.Errorf("centre mean %v, want 1.5", mean)
	}
	if _, err := resizeNHWC(src, 1, 2, 3, 1, 4, 4); err == nil {
		t.Error("wrong size: no error")
	}
}

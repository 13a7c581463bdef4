package nets

import (
	"strings"
	"testing"
)

// TestShapesRejectsBadDescriptions checks that invalid descriptions give errors naming the problem.
func TestShapesRejectsBadDescriptions(t *testing.T) {
	conv := func(name, in string, out int) Layer {
		return Layer{Name: name, Op: OpConv, Inputs: []string{in}, Out: out, Kernel: 3}
	}
	heads := Heads{Heatmaps: "h"}
	cases := []struct {
		name   string
		layers []Layer
		heads  Heads
		h, w   int
		want   string
	}{
		{"ok", []Layer{conv("a", Input, 4), conv("h", "a", 2)}, heads, 8, 8, ""},
		{"unknown input", []Layer{conv("a", "b", 4), conv("h", "a", 2)}, heads, 8, 8, "not an earlier layer"},
		{"duplicate", []Layer{conv("a", Input, 4), conv("a", Input, 4), conv("h", "a", 2)}, heads, 8, 8, "duplicate"},
		{"slash in name", []Layer{conv("a/b", Input, 2)}, Heads{Heatmaps: "a/b"}, 8, 8, "invalid name"},
		{"no inputs", []Layer{{Name: "h", Op: OpConv, Out: 2}}, heads, 8, 8, "no inputs"},
		{"bad op", []Layer{{Name: "h", Op: "pool", Inputs: []string{Input}}}, heads, 8, 8, "unknown op"},
		{"bad activation", []Layer{{Name: "h", Op: OpConv, Inputs: []string{Input}, Out: 2, Act: "gelu"}}, heads, 8, 8, "activation"},
		{"even kernel", []Layer{{Name: "h", Op: OpConv, Inputs: []string{Input}, Out: 2, Kernel: 2}}, heads, 8, 8, "odd unless"},
		{"even kernel, valid", []Layer{{Name: "h", Op: OpConv, Inputs: []string{Input}, Out: 2, Kernel: 2, Pad: PadValid}}, heads, 8, 8, ""},
		{"bad padding", []Layer{{Name: "h", Op: OpConv, Inputs: []string{Input}, Out: 2, Kernel: 3, Pad: "full"}}, heads, 8, 8, "padding"},
		{"pool kernel 2 stride 1", []Layer{{Name: "a", Op: OpMaxPool, Inputs: []string{Input}, Kernel: 2}, conv("h", "a", 2)}, heads, 8, 8, "equal to the stride"},
		{"pad fewer channels", []Layer{{Name: "a", Op: OpPad, Inputs: []string{Input}, Out: 2}, conv("h", "a", 2)}, heads, 8, 8, "pad needs out"},
		{"extra head not a layer", []Layer{conv("h", Input, 2)}, Heads{Heatmaps: "h", Extra: []string{"x"}}, 8, 8, "extra head"},
		{"groups", []Layer{{Name: "a", Op: OpConv, Inputs: []string{Input}, Out: 4, Groups: 2}, conv("h", "a", 2)}, heads, 8, 8, "groups"},
		{"add shapes", []Layer{conv("a", Input, 4), {Name: "h", Op: OpAdd, Inputs: []string{"a", Input}}}, heads, 8, 8, "different shapes"},
		{"concat sizes", []Layer{{Name: "a", Op: OpConv, Inputs: []string{Input}, Out: 1, Kernel: 3, Stride: 2}, {Name: "h", Op: OpConcat, Inputs: []string{"a", Input}}}, heads, 8, 8, "different sizes"},
		{"resize", []Layer{{Name: "a", Op: OpUpsample, Inputs: []string{Input}, Resize: "cubic"}, conv("h", "a", 2)}, heads, 8, 8, "resize"},
		{"not a multiple", []Layer{conv("h", Input, 2)}, heads, 8, 10, "not a multiple"},
		{"head channels", []Layer{conv("a", Input, 4), conv("h", "a", 3)}, heads, 8, 8, "has 3 channels"},
		{"no head", []Layer{conv("h", Input, 2)}, Heads{}, 8, 8, "no heatmap head"},
		{"head not a layer", []Layer{conv("h", Input, 2)}, Heads{Heatmaps: "h", Mask: "m"}, 8, 8, "not a layer"},
		{"bad size", []Layer{conv("h", Input, 2)}, heads, 0, 8, "input size"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			net := &Net{Name: "t", InputChannels: 3, InputMultiple: 4, Joints: 2, Layers: tc.layers, Heads: tc.heads}
			_, err := net.Shapes(tc.h, tc.w)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestConstructorsRejectBadOptions checks option validation and that every catalog entry is valid.
func TestConstructorsRejectBadOptions(t *testing.T) {
	if _, err := SimpleBaseline(SimpleBaselineOptions{Depth: 20}); err == nil {
		t.Error("SimpleBaseline accepted depth 20")
	}
	if _, err := MobileNetV2Pose(MobileNetV2Options{Width: -1}); err == nil {
		t.Error("MobileNetV2Pose accepted width -1")
	}
	if _, err := MoVNect(MoVNectOptions{HeadChannels: 1}); err == nil {
		t.Error("MoVNect accepted 1 head channel")
	}
	if _, err := HRNet(HRNetOptions{Width: -2}); err == nil {
		t.Error("HRNet accepted width -2")
	}
	if _, err := ByName("resnet"); err == nil {
		t.Error("ByName accepted an unknown name")
	}
	for _, e := range Catalog() {
		net, err := e.New()
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		shapes, err := net.Shapes(256, 192)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if hm := shapes[net.Heads.Heatmaps]; hm != (Shape{64, 48, 17}) {
			t.Errorf("%s: heatmaps %+v, want 64x48x17", e.Name, hm)
		}
	}
}

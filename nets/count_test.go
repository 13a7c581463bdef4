package nets

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/nets/layers"
)

// TestCountsByHand checks Params and FLOPs on a small description computed by hand.
func TestCountsByHand(t *testing.T) {
	net := &Net{Name: "hand", InputChannels: 3, Joints: 2, Layers: []Layer{
		// 8×8×3 → 4×4×8: 3·3·3·8 = 216 weights + 16 BN; MACs 16·216 = 3456.
		{Name: "stem", Op: OpConv, Inputs: []string{Input}, Out: 8, Kernel: 3, Stride: 2, BN: true, Act: layers.ReLU},
		// depthwise 3×3 on 8 channels: 72 weights + 16 BN; MACs 16·72 = 1152.
		{Name: "dw", Op: OpConv, Inputs: []string{"stem"}, Out: 8, Kernel: 3, Groups: 8, BN: true},
		{Name: "sum", Op: OpAdd, Inputs: []string{"stem", "dw"}, Act: layers.ReLU6},
		// 4×4×8 → 2×2×8: no parameters, no MACs.
		{Name: "pool", Op: OpMaxPool, Inputs: []string{"sum"}, Kernel: 3, Stride: 2},
		// 2×2×8 → 4×4×4: 16·8·4 = 512 weights + 4 bias; MACs 2·2·512 = 2048.
		{Name: "up", Op: OpDeconv, Inputs: []string{"pool"}, Out: 4, Bias: true},
		{Name: "cat", Op: OpConcat, Inputs: []string{"up", "sum"}},
		// grouped 1×1, 12 → 6 channels in 2 groups: (12/2)·6 = 36 weights + 6 bias; MACs 16·36 = 576.
		{Name: "mix", Op: OpConv, Inputs: []string{"cat"}, Out: 6, Groups: 2, Bias: true},
		// 1×1, 6 → 2: 12 weights + 2 bias; MACs 16·12 = 192.
		{Name: "heat", Op: OpConv, Inputs: []string{"mix"}, Out: 2, Bias: true},
	}, Heads: Heads{Heatmaps: "heat"}}
	const wantParams = 216 + 16 + 72 + 16 + 512 + 4 + 36 + 6 + 12 + 2
	const wantFLOPs = 3456 + 1152 + 2048 + 576 + 192
	if got := net.Params(); got != wantParams {
		t.Errorf("Params = %d, want %d", got, wantParams)
	}
	got, err := net.FLOPs(8, 8)
	if err != nil {
		t.Fatal(err)
	}
	if got != wantFLOPs {
		t.Errorf("FLOPs = %d, want %d", got, wantFLOPs)
	}
}

// TestPublishedParamCounts checks full-size architectures against published parameter counts.
func TestPublishedParamCounts(t *testing.T) {
	b := newBuilder("features", 17, 32)
	mobileNetV2Features(b, 1, 7, true)
	sb50, err := SimpleBaseline(SimpleBaselineOptions{Depth: 50})
	if err != nil {
		t.Fatal(err)
	}
	hr32, err := HRNet(HRNetOptions{Width: 32})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		net  *Net
		want int64
	}{
		// torchvision mobilenet_v2: 3,504,872 parameters, minus the 1280·1000 + 1000 classifier.
		{"mobilenetv2 features", b.net, 3504872 - 1281000},
		// ResNet-50 without fc (25,557,032 − 2,049,000 = 23,508,032) + deconvs 2048·256·16 + 2·256·256·16
		// + 3·2·256 BN + 256·17 + 17 head = 33,999,697 (MMPose reports 34.0M).
		{"simplebaseline res50", sb50, 33999697},
	} {
		if got := tc.net.Params(); got != tc.want {
			t.Errorf("%s: Params = %d, want %d", tc.name, got, tc.want)
		}
	}
	// MMPose's model zoo lists hrnet_w32_coco_256x192 at 28.54M parameters and 7.7 GFLOPs.
	if got := hr32.Params(); got < 28535000 || got >= 28545000 {
		t.Errorf("hrnet-w32: Params = %d, want 28.54M", got)
	}
	if got, err := hr32.FLOPs(256, 192); err != nil || got < 7.6e9 || got > 7.75e9 {
		t.Errorf("hrnet-w32: FLOPs = %d (%v), want about 7.7G", got, err)
	}
}

// TestCountsMatchPyTorch builds catalog networks in PyTorch from their JSON description and compares
// parameter and MAC counts at 256×192.
func TestCountsMatchPyTorch(t *testing.T) {
	python := torchPython(t)
	names := []string{"mobilenetv2-0.5", "mobilenetv2-deconv", "movnect-3d", "simplebaseline-res18", "hrnet-w16"}
	args := []string{filepath.Join("testdata", "torch_net.py"), "count", "--height", "256", "--width", "192"}
	var list []*Net
	for _, name := range names {
		net, err := ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, net)
		args = append(args, writeNetJSON(t, net))
	}
	out, err := exec.Command(python, args...).Output()
	if err != nil {
		t.Fatalf("torch_net.py: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(list) {
		t.Fatalf("torch_net.py printed %d lines for %d nets: %q", len(lines), len(list), out)
	}
	for i, net := range list {
		var res struct{ Params, FLOPs int64 }
		if err := json.Unmarshal([]byte(lines[i]), &res); err != nil {
			t.Fatalf("torch_net.py output %q: %v", lines[i], err)
		}
		flops, err := net.FLOPs(256, 192)
		if err != nil {
			t.Fatal(err)
		}
		if res.Params != net.Params() || res.FLOPs != flops {
			t.Errorf("%s: PyTorch params %d, MACs %d; Go %d, %d", net.Name, res.Params, res.FLOPs, net.Params(), flops)
		}
	}
}

// torchPython returns Debian's python3 when it imports torch, or skips the test.
func torchPython(t testing.TB) string {
	t.Helper()
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s with PyTorch not available: %v", python, err)
	}
	return python
}

// writeNetJSON writes net's description to a temporary file and returns its path.
func writeNetJSON(t testing.TB, net *Net) string {
	t.Helper()
	data, err := json.Marshal(net)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), strings.ReplaceAll(net.Name, "/", "_")+".json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

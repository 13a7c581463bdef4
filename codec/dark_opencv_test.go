package codec

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"
)

// darkScript refines heatmap maxima the DARK way with whole-map tools: cv2.GaussianBlur of each
// channel (kernel 11, OpenCV's sigma for that size), the log, central differences of first and
// second order at the argmax, and numpy's inverse of the Hessian.
const darkScript = `
import json, sys
import cv2
import numpy as np

req = json.load(sys.stdin)
h, w, k = req["h"], req["w"], req["k"]
hm = np.array(req["data"], dtype=np.float64).reshape(h, w, k)
out = []
for j in range(k):
    m = hm[:, :, j]
    y, x = np.unravel_index(np.argmax(m), m.shape)
    b = np.log(np.maximum(cv2.GaussianBlur(m, (11, 11), 0), 1e-10))
    dx = 0.5 * (b[y, x + 1] - b[y, x - 1])
    dy = 0.5 * (b[y + 1, x] - b[y - 1, x])
    dxx = b[y, x + 1] - 2 * b[y, x] + b[y, x - 1]
    dyy = b[y + 1, x] - 2 * b[y, x] + b[y - 1, x]
    dxy = 0.25 * (b[y + 1, x + 1] - b[y - 1, x + 1] - b[y + 1, x - 1] + b[y - 1, x - 1])
    hess = np.array([[dxx, dxy], [dxy, dyy]])
    off = -np.linalg.inv(hess) @ np.array([dx, dy])
    out.append([float(x + off[0]), float(y + off[1])])
print(json.dumps(out))
`

// TestDARKMatchesOpenCV compares DARK refinement of noisy gaussian heatmaps (joints at least 8
// pixels inside, where the local blur equals the whole-map one) with the same method written with
// OpenCV and numpy. It skips without /usr/bin/python3 and its OpenCV module.
func TestDARKMatchesOpenCV(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import cv2, numpy").Run(); err != nil {
		t.Skipf("python3 with cv2 not available: %v", err)
	}
	c := mustCodec(t, Unbiased)
	r := rand.New(rand.NewPCG(5, 6))
	const k = 12
	kps := make([]Keypoint, k)
	for j := range kps {
		kps[j] = Keypoint{X: 4 * (8 + r.Float64()*31), Y: 4 * (8 + r.Float64()*47), V: 2}
	}
	hm := make([]float32, c.NumHeatPixels()*k)
	if err := c.Encode(kps, hm, make([]float32, k)); err != nil {
		t.Fatal(err)
	}
	for i := range hm {
		hm[i] += float32(0.03 * r.Float64()) // a network's output is never a clean gaussian
	}
	req, err := json.Marshal(map[string]any{"h": c.HeatH, "w": c.HeatW, "k": k, "data": hm})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", darkScript)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	resp, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v: %s", err, stderr.String())
	}
	var want [][2]float64
	if err := json.Unmarshal(resp, &want); err != nil {
		t.Fatalf("python output %q: %v", resp, err)
	}
	preds, err := c.Decode(hm, k)
	if err != nil {
		t.Fatal(err)
	}
	for j, p := range preds {
		hx, hy := c.InputToHeatmap(p.X, p.Y)
		if math.Abs(hx-want[j][0]) > 1e-4 || math.Abs(hy-want[j][1]) > 1e-4 {
			t.Errorf("joint %d: (%.5f, %.5f), OpenCV/numpy (%.5f, %.5f)", j, hx, hy, want[j][0], want[j][1])
		}
		gx, gy := c.InputToHeatmap(kps[j].X, kps[j].Y)
		if math.Hypot(hx-gx, hy-gy) > 0.2 {
			t.Errorf("joint %d: noisy decode (%.3f, %.3f) far from (%.3f, %.3f)", j, hx, hy, gx, gy)
		}
	}
}

package topdown

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// opencvScript builds MMPose-style warp matrices the way MMPose's get_warp_matrix does — three
// point correspondences (the box centre, a point half a box width above it turned by the angle,
// and a third point a right angle away) handed to cv2.getAffineTransform — and crops the image
// with cv2.warpAffine (bilinear, black border). It prints the matrices as JSON and writes the crops
// as PNG.
const opencvScript = `
import json, sys
import cv2
import numpy as np

cases = json.load(sys.stdin)
out = []
for i, c in enumerate(cases):
    img = cv2.cvtColor(cv2.imread(c["image"], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    cx, cy, bw = c["cx"], c["cy"], c["bw"]
    ow, oh = c["ow"], c["oh"]
    t = np.deg2rad(c["rot"])
    up = np.array([0.0, -0.5 * bw])
    turned = np.array([up[0] * np.cos(t) - up[1] * np.sin(t), up[0] * np.sin(t) + up[1] * np.cos(t)])
    def third(a, b):
        d = a - b
        return b + np.array([-d[1], d[0]])
    src = np.zeros((3, 2), np.float32)
    dst = np.zeros((3, 2), np.float32)
    src[0] = [cx, cy]
    src[1] = src[0] + turned
    src[2] = third(src[0], src[1])
    dst[0] = [ow * 0.5, oh * 0.5]
    dst[1] = dst[0] + np.array([0.0, -0.5 * ow])
    dst[2] = third(dst[0], dst[1])
    m = cv2.getAffineTransform(src, dst)
    crop = cv2.warpAffine(img, m, (ow, oh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    path = c["out"]
    cv2.imwrite(path, cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    out.append(m.reshape(-1).tolist())
print(json.dumps(out))
`

// TestWarpMatchesOpenCV compares WarpMatrix (MSRA) with the matrix MMPose builds through OpenCV,
// and WarpImage with cv2.warpAffine, on a smooth gradient (where OpenCV's 1/32-pixel fixed-point
// interpolation and uint8 rounding cost at most about half a level) and on a photograph. It skips
// without /usr/bin/python3 and its OpenCV module.
func TestWarpMatchesOpenCV(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import cv2, numpy").Run(); err != nil {
		t.Skipf("python3 with cv2 not available: %v", err)
	}
	dir := t.TempDir()
	grad := gradientImage(250, 200)
	gradPath := filepath.Join(dir, "gradient.png")
	if err := dataset.SaveImage(gradPath, rgbToImage(grad)); err != nil {
		t.Fatal(err)
	}
	type tcase struct {
		Image           string  `json:"image"`
		Out             string  `json:"out"`
		CX, CY, BW      float64 `json:"-"`
		Rot             float64 `json:"rot"`
		OW, OH          int     `json:"-"`
		src             *RGB
		meanTol, maxTol float64
	}
	cases := []tcase{
		{Image: gradPath, CX: 120, CY: 90, BW: 150, Rot: 0, OW: 96, OH: 128, src: grad, meanTol: 0.3, maxTol: 0.6},
		// Crops reaching past the image: at its edge the values jump by up to 249 levels per pixel, and
		// OpenCV's 1/32-pixel positions cost up to 249/64 ≈ 3.9 levels there.
		{Image: gradPath, CX: 100.5, CY: 80.25, BW: 300, Rot: 37, OW: 48, OH: 64, src: grad, meanTol: 0.3, maxTol: 4.5},
		{Image: gradPath, CX: 10, CY: 190, BW: 120, Rot: -70, OW: 96, OH: 128, src: grad, meanTol: 0.3, maxTol: 4.5},
	}
	if raw, err := dataset.LoadImage(benchPhoto); err == nil {
		photo, err := ToRGB(raw)
		if err != nil {
			t.Fatal(err)
		}
		// OpenCV's JPEG decoder upsamples chroma differently: hand it Go's pixels as PNG.
		photoPath := filepath.Join(dir, "photo.png")
		if err := dataset.SaveImage(photoPath, rgbToImage(photo)); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, tcase{Image: photoPath, CX: 300, CY: 160, BW: 200, Rot: 25, OW: 192, OH: 256, src: photo, meanTol: 0.6, maxTol: 4.5})
	}
	type wire struct {
		Image string  `json:"image"`
		Out   string  `json:"out"`
		CX    float64 `json:"cx"`
		CY    float64 `json:"cy"`
		BW    float64 `json:"bw"`
		Rot   float64 `json:"rot"`
		OW    int     `json:"ow"`
		OH    int     `json:"oh"`
	}
	var in []wire
	for i := range cases {
		cases[i].Out = filepath.Join(dir, fmt.Sprintf("crop%d.png", i))
		c := cases[i]
		in = append(in, wire{c.Image, c.Out, c.CX, c.CY, c.BW, c.Rot, c.OW, c.OH})
	}
	req, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", opencvScript)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	resp, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v: %s", err, stderr.String())
	}
	var mats [][6]float64
	if err := json.Unmarshal(resp, &mats); err != nil {
		t.Fatalf("python output %q: %v", resp, err)
	}
	for i, c := range cases {
		box := Box{CX: c.CX, CY: c.CY, W: c.BW, H: c.BW * float64(c.OH) / float64(c.OW)}
		m := WarpMatrix(box, c.Rot, c.OW, c.OH, false)
		for j := range m {
			if math.Abs(m[j]-mats[i][j]) > 1e-4*math.Max(1, math.Abs(m[j])) { // OpenCV solves in float32 input
				t.Errorf("case %d: matrix %v, OpenCV %v", i, m, mats[i])
				break
			}
		}
		got := make([]float32, 3*c.OW*c.OH)
		if err := WarpImage(c.src, m, c.OW, c.OH, got); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(c.Out)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		want, err := ToRGB(ref)
		if err != nil {
			t.Fatal(err)
		}
		var sum, worst float64
		for j, v := range want.Pix {
			d := math.Abs(float64(got[j]) - float64(v))
			sum += d
			worst = math.Max(worst, d)
		}
		mean := sum / float64(len(want.Pix))
		t.Logf("case %d: mean |Δ| %.3f, max %.2f levels", i, mean, worst)
		if mean > c.meanTol || worst > c.maxTol {
			t.Errorf("case %d: crop differs from cv2.warpAffine: mean %.3f (≤ %v), max %.2f (≤ %v)", i, mean, c.meanTol, worst, c.maxTol)
		}
	}
}

// rgbToImage returns m as an image.RGBA.
func rgbToImage(m *RGB) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	for p := 0; p < m.W*m.H; p++ {
		copy(img.Pix[4*p:4*p+3], m.Pix[3*p:3*p+3])
		img.Pix[4*p+3] = 255
	}
	return img
}

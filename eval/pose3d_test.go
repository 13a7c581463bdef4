package eval

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"
)

// randomPose returns k joints spread over a person-sized volume (mm).
func randomPose(rng *rand.Rand, k int) []float64 {
	p := make([]float64, 3*k)
	for i := range p {
		p[i] = 400 * rng.NormFloat64()
	}
	p[2] += 4000 // in front of the camera
	return p
}

// noisy returns p plus Gaussian noise of standard deviation sigma.
func noisy(rng *rand.Rand, p []float64, sigma float64) []float64 {
	out := make([]float64, len(p))
	for i, x := range p {
		out[i] = x + sigma*rng.NormFloat64()
	}
	return out
}

// similarity returns s·R·x + t for each joint, R a rotation by angle about axis (unit).
func similarity(p []float64, s float64, axis [3]float64, angle float64, t [3]float64) []float64 {
	c, sn := math.Cos(angle), math.Sin(angle)
	x, y, z := axis[0], axis[1], axis[2]
	r := [3][3]float64{ // Rodrigues
		{c + x*x*(1-c), x*y*(1-c) - z*sn, x*z*(1-c) + y*sn},
		{y*x*(1-c) + z*sn, c + y*y*(1-c), y*z*(1-c) - x*sn},
		{z*x*(1-c) - y*sn, z*y*(1-c) + x*sn, c + z*z*(1-c)},
	}
	out := make([]float64, len(p))
	for j := 0; j < len(p)/3; j++ {
		for a := 0; a < 3; a++ {
			v := 0.0
			for b := 0; b < 3; b++ {
				v += r[a][b] * p[3*j+b]
			}
			out[3*j+a] = s*v + t[a]
		}
	}
	return out
}

func TestPose3DHandComputed(t *testing.T) {
	// Four joints; root 0. Ground truth root at (0, 0, 1000).
	gt := []float64{0, 0, 1000, 100, 0, 1000, 0, 100, 1000, 0, 0, 1100}
	tests := []struct {
		name      string
		pred      []float64
		valid     []bool
		root      int
		mpjpe     float64
		pck3d     float64
		auc       float64
		perJoint1 float64
	}{
		// Whole pose shifted by 500 mm: zero root-relative error, 500 absolute.
		{"translation, root-relative", shiftAll(gt, 300, 400, 0), nil, 0, 0, 1, 1, 0},
		{"translation, absolute", shiftAll(gt, 300, 400, 0), nil, -1, 500, 0, 0, 500},
		// Joint 1 off by (30, 40, 0) = 50 mm, joint 3 by 200 mm: errors 0, 50, 0, 200.
		// MPJPE 62.5; PCK@150 = 3/4; AUC over thresholds 0, 5, …, 150 (31), error ≤ threshold:
		// PCK(0..45) = 2/4 (10 thresholds), PCK(50..150) = 3/4 (21 thresholds).
		{"two errors", withJoint(withJoint(gt, 1, 130, 40, 1000), 3, 0, 200, 1100), nil, 0, 62.5, 0.75, (10*0.5 + 21*0.75) / 31, 50},
		// The same with joint 3 invalid: errors 0, 50, 0 → 50/3; PCK(0..45) = 2/3, then 1.
		{"invalid joint skipped", withJoint(withJoint(gt, 1, 130, 40, 1000), 3, 0, 200, 1100), []bool{true, true, true, false}, 0, 50.0 / 3, 1, (10*2.0/3 + 21*1.0) / 31, 50},
	}
	for _, tc := range tests {
		r, err := Evaluate3D([]Pose3DPair{{Pred: tc.pred, GT: gt, Valid: tc.valid}}, Pose3DConfig{Root: tc.root})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(r.MPJPE-tc.mpjpe) > 1e-9 || math.Abs(r.PCK3D-tc.pck3d) > 1e-12 || math.Abs(r.AUC-tc.auc) > 1e-12 {
			t.Errorf("%s: MPJPE %v PCK %v AUC %v, want %v %v %v", tc.name, r.MPJPE, r.PCK3D, r.AUC, tc.mpjpe, tc.pck3d, tc.auc)
		}
		if math.Abs(r.PerJointMPJPE[1]-tc.perJoint1) > 1e-9 {
			t.Errorf("%s: joint 1 MPJPE %v, want %v", tc.name, r.PerJointMPJPE[1], tc.perJoint1)
		}
		if r.PAMPJPE > r.MPJPE+1e-9 && tc.root >= 0 {
			t.Errorf("%s: PA-MPJPE %v above MPJPE %v", tc.name, r.PAMPJPE, r.MPJPE)
		}
	}
	// A pose that is an exact similarity transform of the truth has zero PA-MPJPE.
	pa, err := PAMPJPE(similarity(gt, 0.5, [3]float64{0, 0, 1}, 1.0, [3]float64{10, 20, 30}), gt, nil)
	if err != nil || pa > 1e-9 {
		t.Errorf("PA-MPJPE of a similar pose = %v, %v; want 0", pa, err)
	}
	// A mirrored pose is not a rotation: Procrustes must not reflect it onto the truth.
	mirror := append([]float64(nil), gt...)
	for j := 0; j < 4; j++ {
		mirror[3*j] = -mirror[3*j]
	}
	if pa, _ := PAMPJPE(mirror, gt, nil); pa < 1 {
		t.Errorf("PA-MPJPE of a mirror image = %v, want > 0 (no reflections)", pa)
	}
}

func shiftAll(p []float64, dx, dy, dz float64) []float64 {
	out := append([]float64(nil), p...)
	for j := 0; j < len(p)/3; j++ {
		out[3*j] += dx
		out[3*j+1] += dy
		out[3*j+2] += dz
	}
	return out
}

func withJoint(p []float64, j int, x, y, z float64) []float64 {
	out := append([]float64(nil), p...)
	out[3*j], out[3*j+1], out[3*j+2] = x, y, z
	return out
}

// TestPAMPJPEInvariance: rotating, scaling and translating the prediction does not change
// PA-MPJPE, and PA-MPJPE never exceeds MPJPE.
func TestPAMPJPEInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 50; trial++ {
		gt := randomPose(rng, 17)
		pred := noisy(rng, gt, 60)
		base, err := PAMPJPE(pred, gt, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := MPJPE(pred, gt, nil)
		if base > m+1e-9 {
			t.Fatalf("trial %d: PA-MPJPE %v > MPJPE %v", trial, base, m)
		}
		axis := [3]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		n := math.Sqrt(axis[0]*axis[0] + axis[1]*axis[1] + axis[2]*axis[2])
		axis = [3]float64{axis[0] / n, axis[1] / n, axis[2] / n}
		moved := similarity(pred, 0.2+3*rng.Float64(), axis, 2*math.Pi*rng.Float64(),
			[3]float64{1000 * rng.NormFloat64(), 1000 * rng.NormFloat64(), 1000 * rng.NormFloat64()})
		got, err := PAMPJPE(moved, gt, nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-base) > 1e-7*base {
			t.Fatalf("trial %d: PA-MPJPE %v after a similarity transform, %v before", trial, got, base)
		}
	}
}

func TestPose3DErrors(t *testing.T) {
	gt := []float64{0, 0, 0, 1, 0, 0, 0, 1, 0}
	tests := []struct {
		name  string
		pairs []Pose3DPair
		cfg   Pose3DConfig
	}{
		{"no poses", nil, Pose3DConfig{}},
		{"length mismatch", []Pose3DPair{{Pred: gt[:6], GT: gt}}, Pose3DConfig{}},
		{"valid mismatch", []Pose3DPair{{Pred: gt, GT: gt, Valid: []bool{true}}}, Pose3DConfig{}},
		{"invalid root", []Pose3DPair{{Pred: gt, GT: gt, Valid: []bool{false, true, true}}}, Pose3DConfig{Root: 0}},
		{"root out of range", []Pose3DPair{{Pred: gt, GT: gt}}, Pose3DConfig{Root: 3}},
		{"NaN", []Pose3DPair{{Pred: []float64{math.NaN(), 0, 0, 1, 0, 0, 0, 1, 0}, GT: gt}}, Pose3DConfig{}},
		{"too few joints for Procrustes", []Pose3DPair{{Pred: gt, GT: gt, Valid: []bool{true, true, false}}}, Pose3DConfig{}},
		{"degenerate prediction", []Pose3DPair{{Pred: make([]float64, 9), GT: gt}}, Pose3DConfig{}},
	}
	for _, tc := range tests {
		if _, err := Evaluate3D(tc.pairs, tc.cfg); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// numpyScript computes the same metrics independently with numpy; it reads the cases as JSON on
// stdin and prints the figures as JSON.
const numpyScript = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
out = {"mpjpe": [], "pa": [], "pck3d": [], "auc": [], "pck2d": []}
for c in d["poses3d"]:
    p = np.array(c["pred"]).reshape(-1, 3); g = np.array(c["gt"]).reshape(-1, 3)
    v = np.array(c["valid"], dtype=bool)
    r = d["root"]
    e = np.linalg.norm((p - p[r]) - (g - g[r]), axis=1)[v]
    out["mpjpe"].append(float(e.mean()))
    out["pck3d"].append(float((e <= 150).mean()))
    out["auc"].append(float(np.mean([(e <= t).mean() for t in np.arange(0, 151, 5)])))
    pv, gv = p[v], g[v]
    mp, mg = pv.mean(0), gv.mean(0)
    a, b = pv - mp, gv - mg
    u, s, vt = np.linalg.svd(a.T @ b)
    dd = np.ones(3); dd[2] = np.sign(np.linalg.det(u @ vt))
    rot = u @ np.diag(dd) @ vt
    scale = (s * dd).sum() / (a ** 2).sum()
    aligned = scale * (a @ rot) + mg
    out["pa"].append(float(np.linalg.norm(aligned - gv, axis=1).mean()))
for c in d["pck2d"]:
    p = np.array(c["pred"]).reshape(-1, 3)[:, :2]; g = np.array(c["gt"]).reshape(-1, 3)
    lab = g[:, 2] > 0
    dist = np.linalg.norm(p - g[:, :2], axis=1)[lab]
    out["pck2d"].append(float((dist < d["alpha"] * max(c["bbox"][2], c["bbox"][3])).mean()))
print(json.dumps(out))
`

// TestPose3DAgainstNumpy cross-checks MPJPE, PA-MPJPE, 3D PCK, AUC and box PCK against an
// independent numpy implementation (skipped when /usr/bin/python3 or numpy is missing).
func TestPose3DAgainstNumpy(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import numpy").Run(); err != nil {
		t.Skipf("no /usr/bin/python3 with numpy: %v", err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	type case3 struct {
		Pred  []float64 `json:"pred"`
		GT    []float64 `json:"gt"`
		Valid []bool    `json:"valid"`
	}
	type case2 struct {
		Pred []float64  `json:"pred"`
		GT   []float64  `json:"gt"`
		BBox [4]float64 `json:"bbox"`
	}
	in := struct {
		Root    int     `json:"root"`
		Alpha   float64 `json:"alpha"`
		Poses3D []case3 `json:"poses3d"`
		PCK2D   []case2 `json:"pck2d"`
	}{Root: 0, Alpha: 0.1}
	for i := 0; i < 20; i++ {
		gt := randomPose(rng, 17)
		valid := make([]bool, 17)
		for j := range valid {
			valid[j] = j == 0 || rng.Float64() > 0.2
		}
		in.Poses3D = append(in.Poses3D, case3{noisy(rng, gt, 20+10*float64(i)), gt, valid})
		g2 := make([]float64, 51)
		for j := 0; j < 17; j++ {
			g2[3*j], g2[3*j+1], g2[3*j+2] = 500*rng.Float64(), 500*rng.Float64(), float64(rng.IntN(3))
		}
		g2[2] = 2
		in.PCK2D = append(in.PCK2D, case2{noisy(rng, g2, 5+float64(i)), g2, [4]float64{0, 0, 100 + 10*float64(i), 150}})
	}
	js, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", numpyScript)
	cmd.Stdin = bytes.NewReader(js)
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("numpy script: %v", err)
	}
	var want struct{ MPJPE, PA, PCK3D, AUC, PCK2D []float64 }
	if err := json.Unmarshal(outb, &want); err != nil {
		t.Fatalf("numpy output %q: %v", outb, err)
	}
	for i, c := range in.Poses3D {
		r, err := Evaluate3D([]Pose3DPair{{Pred: c.Pred, GT: c.GT, Valid: c.Valid}}, Pose3DConfig{Root: 0})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct {
			name      string
			got, want float64
		}{{"MPJPE", r.MPJPE, want.MPJPE[i]}, {"PA-MPJPE", r.PAMPJPE, want.PA[i]}, {"PCK3D", r.PCK3D, want.PCK3D[i]}, {"AUC", r.AUC, want.AUC[i]}} {
			if math.Abs(m.got-m.want) > 1e-9*math.Max(1, m.want) {
				t.Errorf("pose %d %s: %v, numpy %v", i, m.name, m.got, m.want)
			}
		}
	}
	for i, c := range in.PCK2D {
		r, err := PCK([]PCKPair{{Pred: c.Pred, GT: c.GT, BBox: c.BBox}}, PCKConfig{Alpha: in.Alpha, Norm: NormBox})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.PCK-want.PCK2D[i]) > 1e-12 {
			t.Errorf("pair %d PCK: %v, numpy %v", i, r.PCK, want.PCK2D[i])
		}
	}
}

// FuzzEvaluate3D feeds arbitrary 4-joint poses: Evaluate3D must not panic, and when it accepts
// moderate finite input its PA-MPJPE must be finite and the alignment must not raise the RMS
// error.
func FuzzEvaluate3D(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), uint8(15), int8(-1))
	f.Add(make([]byte, 192), uint8(7), int8(0))
	f.Fuzz(func(t *testing.T, data []byte, validBits uint8, root int8) {
		if len(data) < 24*8 {
			return
		}
		v := make([]float64, 24)
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
		valid := make([]bool, 4)
		for j := range valid {
			valid[j] = validBits&(1<<j) != 0
		}
		pair := Pose3DPair{Pred: v[:12], GT: v[12:], Valid: valid}
		r, err := Evaluate3D([]Pose3DPair{pair}, Pose3DConfig{Root: int(root)})
		if err != nil {
			return
		}
		for _, x := range v {
			if math.Abs(x) > 1e6 {
				return
			}
		}
		if math.IsNaN(r.PAMPJPE) || math.IsInf(r.PAMPJPE, 0) {
			t.Fatalf("PA-MPJPE %v", r.PAMPJPE)
		}
		// Procrustes minimises the squared error, and the identity is one of the transforms it
		// chooses from: the aligned RMS error never exceeds the unaligned one.
		aligned, err := Procrustes(pair.Pred, pair.GT, valid)
		if err != nil {
			t.Fatalf("Evaluate3D accepted what Procrustes rejects: %v", err)
		}
		if a, b := rmsError(aligned, pair.GT, valid), rmsError(pair.Pred, pair.GT, valid); a > b*(1+1e-9)+1e-9 {
			t.Fatalf("aligned RMS error %v above unaligned %v", a, b)
		}
	})
}

// rmsError is the root-mean-square joint distance over the valid joints.
func rmsError(a, b []float64, valid []bool) float64 {
	ss, n := 0.0, 0
	for j := 0; j < len(a)/3; j++ {
		if valid != nil && !valid[j] {
			continue
		}
		for c := 0; c < 3; c++ {
			d := a[3*j+c] - b[3*j+c]
			ss += d * d
		}
		n++
	}
	return math.Sqrt(ss / float64(n))
}

// TestPAMPJPEOutlier documents the limit of "PA-MPJPE ≤ MPJPE": Procrustes minimises squared
// error, so a single outlier joint, which it spreads over all joints, can make the aligned mean
// error larger than the unaligned one, while the RMS error still drops.
func TestPAMPJPEOutlier(t *testing.T) {
	// The 8 corners of a 100 mm cube; the prediction moves one corner by 100 mm: MPJPE 12.5 mm,
	// PA-MPJPE about 23 mm (numpy gives 23.05).
	var gt []float64
	for i := 0; i < 8; i++ {
		gt = append(gt, float64(100*(i>>2&1)), float64(100*(i>>1&1)), float64(100*(i&1)))
	}
	pred := append([]float64(nil), gt...)
	pred[0] += 100
	m, _ := MPJPE(pred, gt, nil)
	pa, err := PAMPJPE(pred, gt, nil)
	if err != nil {
		t.Fatal(err)
	}
	aligned, _ := Procrustes(pred, gt, nil)
	t.Logf("MPJPE %.2f, PA-MPJPE %.2f, RMS %.2f → %.2f", m, pa, rmsError(pred, gt, nil), rmsError(aligned, gt, nil))
	if !(pa > m) {
		t.Errorf("PA-MPJPE %.2f not above MPJPE %.2f: the example no longer shows the limit", pa, m)
	}
	if rmsError(aligned, gt, nil) > rmsError(pred, gt, nil) {
		t.Error("alignment raised the RMS error")
	}
}

// TestEvaluate3DSkipsUnalignablePoses checks that a pose with two valid joints (a person mostly
// outside the image) is skipped and counted instead of failing the whole evaluation.
func TestEvaluate3DSkipsUnalignablePoses(t *testing.T) {
	gt := []float64{0, 0, 1000, 100, 0, 1000, 0, 100, 1000, 50, 50, 1100}
	pred := []float64{10, 0, 1000, 110, 0, 1000, 10, 100, 1000, 60, 50, 1100}
	pairs := []Pose3DPair{
		{Pred: pred, GT: gt},
		{Pred: pred, GT: gt, Valid: []bool{true, true, false, false}},
	}
	res, err := Evaluate3D(pairs, Pose3DConfig{Root: -1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Poses != 1 || res.Skipped != 1 || res.Joints != 4 {
		t.Errorf("poses %d, skipped %d, joints %d; want 1, 1, 4", res.Poses, res.Skipped, res.Joints)
	}
	if math.Abs(res.MPJPE-10) > 1e-9 {
		t.Errorf("MPJPE %v, want 10", res.MPJPE)
	}
}

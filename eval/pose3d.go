package eval

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// PCK3DThreshold is the distance (mm) within which a 3D joint counts as correct in 3D PCK, as in
// VNect and MPI-INF-3DHP. A joint is correct when its error is at most the threshold, so that a
// perfect prediction scores 1 at every threshold, 0 mm included.
const PCK3DThreshold = 150.0

// AUCThresholds returns the thresholds of the 3D PCK area under the curve: 0, 5, …, 150 mm.
func AUCThresholds() []float64 {
	t := make([]float64, 31)
	for i := range t {
		t[i] = 5 * float64(i)
	}
	return t
}

// Pose3DPair is one predicted 3D pose and its ground truth, x, y, z per joint in millimetres.
type Pose3DPair struct {
	Pred, GT []float64
	// Valid marks the joints to evaluate; nil means all.
	Valid []bool
}

// Pose3DConfig configures Evaluate3D.
type Pose3DConfig struct {
	// Root is the joint subtracted from both poses before MPJPE and 3D PCK (root-relative errors,
	// the Human3.6M and MPI-INF-3DHP protocols; 0 is the pelvis of H36M-17). A negative Root
	// compares the poses as given (absolute camera-space errors). PA-MPJPE is independent of
	// Root: its alignment removes any translation.
	Root int
}

// Pose3DResult holds the 3D error figures of Evaluate3D, in millimetres where they are lengths.
type Pose3DResult struct {
	// MPJPE is the mean per-joint position error over all evaluated joints.
	MPJPE float64
	// PAMPJPE is the MPJPE after aligning each prediction to its ground truth by the similarity
	// transform (scale, rotation, translation) that minimises the squared error. The alignment
	// never raises the RMS error, and on ordinary noisy poses PA-MPJPE < MPJPE, but a single
	// outlier joint, which the squared-error fit spreads over all joints, can make PA-MPJPE the
	// larger of the two.
	PAMPJPE float64
	// PCK3D is the fraction of joints with error at most PCK3DThreshold.
	PCK3D float64
	// AUC is the mean of 3D PCK over AUCThresholds.
	AUC float64
	// PerJointMPJPE is the MPJPE of each joint (NaN where never evaluated).
	PerJointMPJPE []float64
	// Poses and Joints count what was evaluated; Skipped counts the poses with fewer than three
	// valid joints, which no similarity transform can align (people mostly outside the image).
	Poses, Joints, Skipped int
}

// Evaluate3D computes MPJPE, PA-MPJPE, 3D PCK@150mm and its AUC over pairs. All poses must have
// the same number of joints; a pair whose root joint is not valid is an error, since its
// root-relative errors are undefined. Pairs with fewer than three valid joints are skipped and
// counted in Skipped: PA-MPJPE cannot align them.
func Evaluate3D(pairs []Pose3DPair, cfg Pose3DConfig) (Pose3DResult, error) {
	if len(pairs) == 0 {
		return Pose3DResult{}, fmt.Errorf("evaluate 3D: no poses")
	}
	k := len(pairs[0].GT) / 3
	thresholds := AUCThresholds()
	under := make([]int, len(thresholds))
	var res Pose3DResult
	res.PerJointMPJPE = make([]float64, k)
	perJointN := make([]int, k)
	sumErr, sumPA := 0.0, 0.0
	for i, p := range pairs {
		if err := check3D(p, k); err != nil {
			return Pose3DResult{}, fmt.Errorf("evaluate 3D: pose %d: %w", i, err)
		}
		if cfg.Root >= k {
			return Pose3DResult{}, fmt.Errorf("evaluate 3D: root joint %d out of range (%d joints)", cfg.Root, k)
		}
		if countValid(p.Valid, k) < 3 {
			res.Skipped++
			continue
		}
		errs, err := jointErrors(p, cfg.Root)
		if err != nil {
			return Pose3DResult{}, fmt.Errorf("evaluate 3D: pose %d: %w", i, err)
		}
		pa, err := PAMPJPE(p.Pred, p.GT, p.Valid)
		if err != nil {
			return Pose3DResult{}, fmt.Errorf("evaluate 3D: pose %d: %w", i, err)
		}
		n := 0
		for j, e := range errs {
			if math.IsNaN(e) {
				continue
			}
			n++
			sumErr += e
			res.PerJointMPJPE[j] += e
			perJointN[j]++
			for t, thr := range thresholds {
				if e <= thr {
					under[t]++
				}
			}
		}
		sumPA += pa * float64(n)
		res.Joints += n
		res.Poses++
	}
	if res.Joints == 0 {
		return Pose3DResult{}, fmt.Errorf("evaluate 3D: no valid joints")
	}
	nj := float64(res.Joints)
	res.MPJPE = sumErr / nj
	res.PAMPJPE = sumPA / nj
	for t, thr := range thresholds {
		pck := float64(under[t]) / nj
		res.AUC += pck / float64(len(thresholds))
		if thr == PCK3DThreshold {
			res.PCK3D = pck
		}
	}
	for j := range res.PerJointMPJPE {
		if perJointN[j] == 0 {
			res.PerJointMPJPE[j] = math.NaN()
		} else {
			res.PerJointMPJPE[j] /= float64(perJointN[j])
		}
	}
	return res, nil
}

// countValid returns the number of valid joints of k (all when valid is nil).
func countValid(valid []bool, k int) int {
	if valid == nil {
		return k
	}
	n := 0
	for _, v := range valid {
		if v {
			n++
		}
	}
	return n
}

// check3D verifies a pair's shape against k joints.
func check3D(p Pose3DPair, k int) error {
	if k == 0 || len(p.GT) != 3*k || len(p.Pred) != 3*k {
		return fmt.Errorf("prediction has %d values and ground truth %d, want 3 × %d joints", len(p.Pred), len(p.GT), k)
	}
	if p.Valid != nil && len(p.Valid) != k {
		return fmt.Errorf("%d validity flags for %d joints", len(p.Valid), k)
	}
	for i := range p.GT {
		if j := i / 3; p.Valid == nil || p.Valid[j] {
			if math.IsNaN(p.Pred[i]) || math.IsInf(p.Pred[i], 0) || math.IsNaN(p.GT[i]) || math.IsInf(p.GT[i], 0) {
				return fmt.Errorf("joint %d has a non-finite coordinate", j)
			}
		}
	}
	return nil
}

// jointErrors returns each joint's Euclidean error after subtracting the root joint from both
// poses (root < 0: none), NaN for joints that are not valid.
func jointErrors(p Pose3DPair, root int) ([]float64, error) {
	k := len(p.GT) / 3
	var pr, gr [3]float64
	if root >= 0 {
		if p.Valid != nil && !p.Valid[root] {
			return nil, fmt.Errorf("root joint %d is not valid", root)
		}
		copy(pr[:], p.Pred[3*root:3*root+3])
		copy(gr[:], p.GT[3*root:3*root+3])
	}
	errs := make([]float64, k)
	for j := range errs {
		if p.Valid != nil && !p.Valid[j] {
			errs[j] = math.NaN()
			continue
		}
		ss := 0.0
		for c := 0; c < 3; c++ {
			d := (p.Pred[3*j+c] - pr[c]) - (p.GT[3*j+c] - gr[c])
			ss += d * d
		}
		errs[j] = math.Sqrt(ss)
	}
	return errs, nil
}

// MPJPE returns the mean Euclidean distance between the valid joints of pred and gt (x, y, z
// per joint; valid nil means all), without any alignment.
func MPJPE(pred, gt []float64, valid []bool) (float64, error) {
	p := Pose3DPair{Pred: pred, GT: gt, Valid: valid}
	if err := check3D(p, len(gt)/3); err != nil {
		return 0, fmt.Errorf("mpjpe: %w", err)
	}
	errs, _ := jointErrors(p, -1)
	sum, n := 0.0, 0
	for _, e := range errs {
		if !math.IsNaN(e) {
			sum += e
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("mpjpe: no valid joints")
	}
	return sum / float64(n), nil
}

// PAMPJPE returns the MPJPE between the valid joints of gt and pred after Procrustes alignment
// of pred (see Procrustes).
func PAMPJPE(pred, gt []float64, valid []bool) (float64, error) {
	aligned, err := Procrustes(pred, gt, valid)
	if err != nil {
		return 0, fmt.Errorf("pa-mpjpe: %w", err)
	}
	return MPJPE(aligned, gt, valid)
}

// Procrustes returns pred mapped by the similarity transform x → s·x·Q + t (scale s > 0,
// rotation Q with det +1, translation t) that minimises the squared distance of its valid joints
// to gt (Umeyama's solution through the SVD of the 3×3 cross-covariance). Invalid joints are
// transformed too but do not influence the fit. At least three valid joints not all at one point
// are needed.
func Procrustes(pred, gt []float64, valid []bool) ([]float64, error) {
	k := len(gt) / 3
	if err := check3D(Pose3DPair{Pred: pred, GT: gt, Valid: valid}, k); err != nil {
		return nil, fmt.Errorf("procrustes: %w", err)
	}
	var idx []int
	for j := 0; j < k; j++ {
		if valid == nil || valid[j] {
			idx = append(idx, j)
		}
	}
	if len(idx) < 3 {
		return nil, fmt.Errorf("procrustes: %d valid joints, need at least 3", len(idx))
	}
	var muP, muG [3]float64
	for _, j := range idx {
		for c := 0; c < 3; c++ {
			muP[c] += pred[3*j+c] / float64(len(idx))
			muG[c] += gt[3*j+c] / float64(len(idx))
		}
	}
	// Cross-covariance M = P0ᵀ·G0 of the centred valid joints (rows are joints).
	m := mat.NewDense(3, 3, nil)
	varP := 0.0
	for _, j := range idx {
		for a := 0; a < 3; a++ {
			pa := pred[3*j+a] - muP[a]
			varP += pa * pa
			for b := 0; b < 3; b++ {
				m.Set(a, b, m.At(a, b)+pa*(gt[3*j+b]-muG[b]))
			}
		}
	}
	if !(varP > 0) {
		return nil, fmt.Errorf("procrustes: the valid predicted joints are all at one point")
	}
	var svd mat.SVD
	if !svd.Factorize(m, mat.SVDFull) {
		return nil, fmt.Errorf("procrustes: SVD did not converge")
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	sv := svd.Values(nil)
	// Q = U·D·Vᵀ with D = diag(1, 1, ±1) so that Q is a rotation, not a reflection.
	d := [3]float64{1, 1, 1}
	if mat.Det(&u)*mat.Det(&v) < 0 {
		d[2] = -1
	}
	var q [3][3]float64
	for a := 0; a < 3; a++ {
		for b := 0; b < 3; b++ {
			for c := 0; c < 3; c++ {
				q[a][b] += u.At(a, c) * d[c] * v.At(b, c)
			}
		}
	}
	s := (sv[0]*d[0] + sv[1]*d[1] + sv[2]*d[2]) / varP
	out := make([]float64, len(pred))
	for j := 0; j < k; j++ {
		for b := 0; b < 3; b++ {
			x := 0.0
			for a := 0; a < 3; a++ {
				x += (pred[3*j+a] - muP[a]) * q[a][b]
			}
			out[3*j+b] = s*x + muG[b]
		}
	}
	return out, nil
}

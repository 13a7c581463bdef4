package eval

import (
	"math"
	"testing"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// torso3D returns H36M17 joints (millimetres, camera coordinates: x right, y down, z away from
// the camera) of a torso 3 m in front of the camera whose left shoulder is at leftShoulder
// relative to the neck (the right one mirrored through the neck); the other joints sit at the
// pelvis.
func torso3D(leftShoulder [3]float64) []float64 {
	h := skeleton.H36M17()
	j := make([]float64, 3*h.NumJoints())
	pelvis := [3]float64{0, 0, 3000}
	for i := range h.NumJoints() {
		copy(j[3*i:], pelvis[:])
	}
	set := func(name string, p [3]float64) { copy(j[3*h.Index(name):], p[:]) }
	neck := [3]float64{0, -500, 3000}
	set("neck", neck)
	set("left_shoulder", [3]float64{neck[0] + leftShoulder[0], neck[1] + leftShoulder[1], neck[2] + leftShoulder[2]})
	set("right_shoulder", [3]float64{neck[0] - leftShoulder[0], neck[1] - leftShoulder[1], neck[2] - leftShoulder[2]})
	return j
}

// TestFacingOf: a chest turned to the camera has its left shoulder on the image's right.
func TestFacingOf(t *testing.T) {
	for _, c := range []struct {
		name  string
		joint []float64
		want  Facing
	}{
		{"front", torso3D([3]float64{200, 0, 0}), FacingFront},
		{"back", torso3D([3]float64{-200, 0, 0}), FacingBack},
		{"profile", torso3D([3]float64{0, 0, 200}), FacingProfile},
		{"half turned front", torso3D([3]float64{200, 0, 100}), FacingFront},
		{"no 3D joints", nil, FacingUnknown},
	} {
		if got := FacingOf(c.joint); got != c.want {
			t.Errorf("%s: facing %v, want %v", c.name, got, c.want)
		}
	}
}

// TestLeftRightCountsSwapsAndInversions checks the counts on one front-facing person whose wrists
// are far apart and whose hips nearly coincide (as in a profile): a prediction a pixel off towards
// the other hip is a swap by the nearest-side rule but not an inversion (it is right for its own
// joint); wrists predicted on each other's place are both.
func TestLeftRightCountsSwapsAndInversions(t *testing.T) {
	set := skeleton.COCO17()
	gtKps := make([]float64, 3*set.NumJoints())
	put := func(kps []float64, name string, x, y float64) {
		i := set.Index(name)
		kps[3*i], kps[3*i+1], kps[3*i+2] = x, y, 2
	}
	put(gtKps, "left_wrist", 150, 100)
	put(gtKps, "right_wrist", 50, 100)
	put(gtKps, "left_hip", 100.5, 150)
	put(gtKps, "right_hip", 99.5, 150)
	gt := &dataset.Dataset{Annotations: []dataset.Annotation{{ID: 7, Area: 100 * 100, Joints3D: torso3D([3]float64{200, 0, 0})}}}
	box := [4]float64{50, 50, 100, 150}
	predict := func(lw, rw, lh, rh [2]float64) []float64 {
		p := make([]float64, 3*set.NumJoints())
		put(p, "left_wrist", lw[0], lw[1])
		put(p, "right_wrist", rw[0], rw[1])
		put(p, "left_hip", lh[0], lh[1])
		put(p, "right_hip", rh[0], rh[1])
		return p
	}
	for _, c := range []struct {
		name               string
		pred               []float64
		swapped, inverted  int
		wristSwap, hipSwap int // the pairs' swapped joints
	}{
		{"exact", predict([2]float64{150, 100}, [2]float64{50, 100}, [2]float64{100.5, 150}, [2]float64{99.5, 150}), 0, 0, 0, 0},
		{"hips a pixel towards each other", predict([2]float64{150, 100}, [2]float64{50, 100}, [2]float64{99.6, 150}, [2]float64{100.4, 150}), 2, 0, 0, 2},
		{"wrists exchanged", predict([2]float64{50, 100}, [2]float64{150, 100}, [2]float64{100.5, 150}, [2]float64{99.5, 150}), 2, 2, 2, 0},
		{"wrists in the middle", predict([2]float64{100, 100}, [2]float64{100, 100}, [2]float64{100.5, 150}, [2]float64{99.5, 150}), 0, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			pairs := []PCKPair{{Pred: c.pred, GT: gtKps, BBox: box, AnnotationID: 7}}
			rep, err := LeftRight(pairs, gt, PCKConfig{Alpha: 0.1, Norm: NormBox})
			if err != nil {
				t.Fatal(err)
			}
			front := rep.ByFacing[FacingFront]
			if front.Joints != 4 || rep.All.Joints != 4 {
				t.Fatalf("judged %d joints (front %d), want 4", rep.All.Joints, front.Joints)
			}
			if front.Swapped != c.swapped || front.Inverted != c.inverted {
				t.Errorf("swapped %d inverted %d, want %d and %d", front.Swapped, front.Inverted, c.swapped, c.inverted)
			}
			if want := float64(c.inverted) / 4; math.Abs(rep.All.InversionRate-want) > 1e-12 {
				t.Errorf("inversion rate %v, want %v", rep.All.InversionRate, want)
			}
			swaps := map[string]int{}
			for _, p := range rep.ByPair {
				swaps[p.Name] = p.Swapped
				if p.Name == "wrist" || p.Name == "hip" {
					if p.Joints != 2 {
						t.Errorf("pair %s: %d joints judged, want 2", p.Name, p.Joints)
					}
				} else if p.Joints != 0 {
					t.Errorf("pair %s: %d joints judged, want 0 (unlabelled)", p.Name, p.Joints)
				}
			}
			if len(rep.ByPair) != 6 || swaps["wrist"] != c.wristSwap || swaps["hip"] != c.hipSwap {
				t.Errorf("%d pairs, wrist swaps %d, hip swaps %d; want 6, %d, %d", len(rep.ByPair), swaps["wrist"], swaps["hip"], c.wristSwap, c.hipSwap)
			}
		})
	}
}

// TestKeypointSimilarity: one joint's OKS term is 1 at the joint, e^{-1/2} at d² = area·(2σ)².
func TestKeypointSimilarity(t *testing.T) {
	if got := keypointSimilarity(0, 0.05, 400); got != 1 {
		t.Errorf("at the joint: %v, want 1", got)
	}
	d := math.Sqrt(400) * 2 * 0.05
	if got, want := keypointSimilarity(d, 0.05, 400), math.Exp(-0.5); math.Abs(got-want) > 1e-12 {
		t.Errorf("at d=%v: %v, want %v", d, got, want)
	}
}

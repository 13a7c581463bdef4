package pose

import (
	"image"
	"math"
	"slices"
	"testing"

	"github.com/posedistill/posedistill/movenet"
)

// multiPosePerson returns a MultiPose pose of a person standing upright, feet at (x, y+h), head
// at (x, y), every keypoint at confidence conf; tilt leans the body by that angle (radians,
// clockwise) about the hips.
func multiPosePerson(x, y, h, conf, tilt float64) movenet.Person {
	// Heights of COCO-17 keypoints as fractions of the body from the top of the head.
	frac := []float64{0.06, 0.05, 0.05, 0.06, 0.06, 0.18, 0.18, 0.32, 0.32, 0.45, 0.45, 0.5, 0.5, 0.72, 0.72, 0.94, 0.94}
	side := []float64{0, -1, 1, -2, 2, -3, 3, -4, 4, -4, 4, -2, 2, -2, 2, -2, 2}
	hx, hy := x, y+0.5*h
	s, c := math.Sincos(tilt)
	var p movenet.Person
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for k := range p.Keypoints {
		u, v := side[k]*0.03*h, (frac[k]-0.5)*h // relative to the hips, upright
		kx, ky := hx+u*c-v*s, hy+u*s+v*c
		p.Keypoints[k] = [3]float64{kx, ky, conf}
		x0, y0, x1, y1 = min(x0, kx), min(y0, ky), max(x1, kx), max(y1, ky)
	}
	p.Box, p.Score = [4]float64{x0, y0, x1 - x0, y1 - y0}, conf
	return p
}

func TestDetectionFromMultiPose(t *testing.T) {
	tests := []struct {
		name       string
		p          movenet.Person
		ok         bool
		hips, face [2]float64
		rot        float64
	}{
		{"standing, 80 px", multiPosePerson(200, 100, 80, 0.5, 0), true, [2]float64{200, 140}, [2]float64{200, 104.48}, 0},
		{"leaning 30° clockwise", multiPosePerson(200, 100, 80, 0.5, math.Pi/6), true, [2]float64{200, 140}, [2]float64{0, 0}, math.Pi / 6},
		{"keypoints too weak", multiPosePerson(200, 100, 80, 0.1, 0), false, [2]float64{}, [2]float64{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := detectionFromMultiPose(tt.p)
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if d.From != DetectMultiPose || d.Score != tt.p.Score {
				t.Errorf("from %q score %v, want multipose %v", d.From, d.Score, tt.p.Score)
			}
			if math.Abs(d.ROI.CX-tt.hips[0]) > 1e-9 || math.Abs(d.ROI.CY-tt.hips[1]) > 1e-9 {
				t.Errorf("crop centred at (%v, %v), want the hips %v", d.ROI.CX, d.ROI.CY, tt.hips)
			}
			if math.Abs(d.ROI.Rotation-tt.rot) > 1e-9 {
				t.Errorf("rotation %v, want %v", d.ROI.Rotation, tt.rot)
			}
			// The body box is a square on the hips holding every keypoint; its side is a little
			// more than the height (twice the farthest keypoint's distance, the eyes', × headMargin).
			side := 2 * headMargin * math.Hypot(0.45, 0.03) * 80
			if d.Box[2] != d.Box[3] || math.Abs(d.Box[0]+d.Box[2]/2-tt.hips[0]) > 1e-9 || math.Abs(d.Box[2]-side) > 1e-9 {
				t.Errorf("body box %v, want a square of side %v on the hips", d.Box, side)
			}
			if math.Abs(d.ROI.W-d.Box[2]*1.25) > 1e-9 {
				t.Errorf("crop side %v, want 1.25 × the body %v", d.ROI.W, d.Box[2])
			}
			if tt.rot == 0 && math.Hypot(d.Face[0]-tt.face[0], d.Face[1]-tt.face[1]) > 1e-9 {
				t.Errorf("face %v, want %v", d.Face, tt.face)
			}
		})
	}
}

func TestMultiPoseSizes(t *testing.T) {
	tests := []struct {
		name string
		c    DetectorConfig
		w, h int
		want []int
	}{
		{"vtest.avi 768×576", DetectorConfig{}, 768, 576, []int{256, 512, 768}},
		{"basketball 640×480", DetectorConfig{}, 640, 480, []int{256, 512, 640}},
		{"messi5 548×342", DetectorConfig{}, 548, 342, []int{256, 512, 576}},
		{"small image", DetectorConfig{}, 200, 100, []int{256}},
		{"4K, capped", DetectorConfig{}, 3840, 2160, []int{256, 512, 1024}},
		{"configured", DetectorConfig{MultiPoseSizes: []int{320}}, 768, 576, []int{320}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.multiPoseSizes(image.Rect(0, 0, tt.w, tt.h)); !slices.Equal(got, tt.want) {
				t.Errorf("sizes %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergePeople(t *testing.T) {
	at := func(score, fx float64, from PeopleDetector) Detection {
		return Detection{Score: score, Face: [2]float64{fx, 100}, Box: [4]float64{fx - 40, 90, 80, 80}, From: from}
	}
	tests := []struct {
		name        string
		blaze, mult []Detection
		want        []Detection
	}{
		{"blazepose only", []Detection{at(0.9, 100, ""), at(0.4, 300, "")}, nil, []Detection{at(0.9, 100, ""), at(0.4, 300, "")}},
		{"multipose only", nil, []Detection{at(0.3, 100, DetectMultiPose)}, []Detection{at(0.3, 100, DetectMultiPose)}},
		{"one person by both: BlazePose's kept",
			[]Detection{at(0.9, 100, "")}, []Detection{at(0.3, 110, DetectMultiPose)}, []Detection{at(0.9, 100, "")}},
		{"a person beside (0.35 body apart) stays",
			[]Detection{at(0.9, 100, "")}, []Detection{at(0.3, 128, DetectMultiPose)}, []Detection{at(0.9, 100, ""), at(0.3, 128, DetectMultiPose)}},
		{"a weak BlazePose detection of a MultiPose person goes; one apart stays after",
			[]Detection{at(0.9, 100, ""), at(0.4, 300, ""), at(0.35, 500, "")}, []Detection{at(0.3, 305, DetectMultiPose)},
			[]Detection{at(0.9, 100, ""), at(0.3, 305, DetectMultiPose), at(0.35, 500, "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergePeople(tt.blaze, tt.mult, 0.5)
			if !slices.Equal(got, tt.want) {
				t.Errorf("merged %v, want %v", got, tt.want)
			}
		})
	}
	e := &Estimator{opts: Options{Detector: DetectorConfig{MinScore: 0.5}}}
	strong, weak := e.splitWeak([]Detection{at(0.9, 100, ""), at(0.3, 305, DetectMultiPose), at(0.35, 500, "")})
	if len(strong) != 2 || strong[1].From != DetectMultiPose || len(weak) != 1 || weak[0].Score != 0.35 {
		t.Errorf("split into strong %v and weak %v: want MultiPose's person strong at 0.3", strong, weak)
	}
}

func TestParsePeopleDetector(t *testing.T) {
	tests := []struct {
		in   string
		want PeopleDetector
		ok   bool
	}{
		{"", DefaultPeopleDetector, true},
		{"blazepose", DetectBlazePose, true},
		{"multipose", DetectMultiPose, true},
		{"both", DetectBoth, true},
		{"Both", "", false},
		{"yolo", "", false},
	}
	for _, tt := range tests {
		got, err := ParsePeopleDetector(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePeopleDetector(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestUnposed: MultiPose's detections that gave no pose are left for the second look;
// BlazePose's are not, nor those that gave one.
func TestUnposed(t *testing.T) {
	at := func(fx float64, from PeopleDetector) Detection {
		return Detection{Score: 0.4, Face: [2]float64{fx, 100}, Box: [4]float64{fx - 40, 90, 80, 80}, ROI: roiFromBox([4]float64{fx - 40, 90, 80, 80}), From: from}
	}
	dets := []Detection{at(100, DetectMultiPose), at(200, DetectMultiPose), at(300, ""), at(400, DetectBlazePose)}
	posed := func(i int) Person { return Person{from: detectedRegions(dets[i : i+1])[0]} }
	tests := []struct {
		name  string
		found []Person
		faces []float64 // faces of the regions left, in order
	}{
		{"nothing posed", nil, []float64{100, 200}},
		{"the first posed", []Person{posed(0)}, []float64{200}},
		{"both posed", []Person{posed(1), posed(0)}, nil},
		{"only BlazePose's posed", []Person{posed(2), posed(3)}, []float64{100, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unposed(dets, tt.found)
			var faces []float64
			for _, r := range got {
				if !r.detected {
					t.Errorf("region at %v is not marked detected", r.face)
				}
				faces = append(faces, r.face[0])
			}
			if !slices.Equal(faces, tt.faces) {
				t.Errorf("left faces at x %v, want %v", faces, tt.faces)
			}
		})
	}
}

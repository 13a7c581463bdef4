package synth

import (
	"math"
	"testing"

	"github.com/posedistill/posedistill/dataset"
)

// standingScene builds a scene with neutral standing people at the given ground depths (mm),
// all in the image centre, facing yaw.
func standingScene(t *testing.T, yaw float64, depths ...float64) (*Renderer, sceneSpec) {
	t.Helper()
	r := mustRenderer(t, Options{Width: 160, Height: 160, MinPeople: 1, MaxPeople: 1})
	rng := newRand(1, 99, 0)
	s := sceneSpec{Ambient: 0.5, Tint: [3]float64{1, 1, 1}, Light: vec3{0, -1, -1}.unit()}
	s.Cam = newCamera(dataset.Camera{Fx: 150, Fy: 150, Cx: 80, Cy: 80}, 160, 160, 1000, 0)
	s.BG = sampleBackground(rng, false)
	for i, z := range depths {
		p := personSpec{Shape: sampleShape(rng), Look: sampleAppearance(rng), Yaw: yaw}
		p.Shape.Height = 1700
		p.Look.HasHair = false
		p.Look.Skirt = 0 // a long skirt would hide the knees
		for side := range 2 {
			p.Pose.Side[side].ShoulderAbd = deg(10)
		}
		p.Pos = vec3{0, 0, z}
		p.TrackID = int64(i + 1)
		s.People = append(s.People, p)
	}
	return r, s
}

// COCO-17 indices used below.
const (
	cNose, cLEye, cREye          = 0, 1, 2
	cLShoulder, cRShoulder       = 5, 6
	cLWrist, cRWrist             = 9, 10
	cLHip, cRHip, cLKnee, cRKnee = 11, 12, 13, 14
)

func vis(p Person, j int) float64 { return p.Keypoints[3*j+2] }

func TestVisibilityOfFaceByFacing(t *testing.T) {
	tests := []struct {
		name string
		yaw  float64
		want float64 // visibility of nose and eyes
	}{
		{"facing the camera", math.Pi, 2},
		{"back to the camera", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, s := standingScene(t, tc.yaw, 4000)
			f, err := r.render(&s, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.People) != 1 {
				t.Fatalf("%d people", len(f.People))
			}
			p := f.People[0]
			for _, j := range []int{cNose, cLEye, cREye} {
				if v := vis(p, j); v != tc.want {
					t.Errorf("joint %d: v=%g, want %g", j, v, tc.want)
				}
			}
			// Shoulders, hips and knees face the camera from the front and the back alike.
			for _, j := range []int{cLShoulder, cRShoulder, cLHip, cRHip, cLKnee, cRKnee} {
				if v := vis(p, j); v != 2 {
					t.Errorf("joint %d: v=%g, want 2", j, v)
				}
			}
			// Seen from the front, the person's left is on the image's right.
			lx, rx := p.Keypoints[3*cLShoulder], p.Keypoints[3*cRShoulder]
			if front := tc.yaw == math.Pi; front != (lx > rx) {
				t.Errorf("left shoulder x %.1f, right %.1f, front view %v", lx, rx, front)
			}
		})
	}
}

func TestVisibilityBehindAnotherPerson(t *testing.T) {
	r, s := standingScene(t, math.Pi, 3000, 5000)
	// The far person holds the arms out sideways: the hands show beside the near person.
	for side := range 2 {
		s.People[1].Pose.Side[side].ShoulderAbd = deg(90)
	}
	f, err := r.render(&s, 1)
	if err != nil {
		t.Fatal(err)
	}
	var near, far *Person
	for i := range f.People {
		switch f.People[i].Index {
		case 0:
			near = &f.People[i]
		case 1:
			far = &f.People[i]
		}
	}
	if near == nil {
		t.Fatal("near person missing")
	}
	for _, j := range []int{cLShoulder, cRShoulder, cLHip, cRHip} {
		if v := vis(*near, j); v != 2 {
			t.Errorf("near person joint %d: v=%g, want 2", j, v)
		}
	}
	if far == nil {
		t.Fatal("far person not annotated although the hands show")
	}
	for _, j := range []int{cLShoulder, cRShoulder, cLHip, cRHip, cNose} {
		if v := vis(*far, j); v != 1 {
			t.Errorf("far person joint %d: v=%g, want 1 (hidden behind the near person)", j, v)
		}
	}
	for _, j := range []int{cLWrist, cRWrist} {
		if v := vis(*far, j); v != 2 {
			t.Errorf("far person wrist %d: v=%g, want 2", j, v)
		}
	}
}

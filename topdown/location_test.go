package topdown

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
)

// TestLocationMapsFollowTheCrop builds samples with 3D joints (H36M-17, projected by the camera)
// under random rotation and flip, and checks that reading the location maps at each joint's 2D
// position gives its root-relative 3D position turned by the crop's rotation, mirrored in X and
// swapped left/right when flipped, relative to the root of the flipped image: the pelvis, and a
// left hip (COCO's root), which the flip turns into the right hip.
func TestLocationMapsFollowTheCrop(t *testing.T) {
	h36 := skeleton.H36M17()
	for _, root := range []int{0, 4} {
		t.Run(h36.Joints[root], func(t *testing.T) { testLocationMaps(t, h36, root) })
	}
}

func testLocationMaps(t *testing.T, h36 *skeleton.Set, root int) {
	cfg := testConfig(t, codec.UDP)
	cfg.Joints3D = h36
	cfg.Root3D = root
	aug := Augment{FlipProb: 0.5, RotateProb: 1, RotateFactor: 40}
	cfg.Augment = &aug
	cam := &dataset.Camera{Fx: 500, Fy: 500, Cx: 320, Cy: 240}
	inst := cocoInstance(3, 270, 120)
	inst.Image.Camera = cam
	r := rand.New(rand.NewPCG(9, 9))
	j3 := make([]float64, 0, 3*17)
	for range 17 { // a body around (0, 0, 3000): projects to about (270–370, 140–340)
		j3 = append(j3, r.Float64()*300-150, r.Float64()*700-350+100, 3000+r.Float64()*200)
	}
	inst.Annotation.Joints3D = j3
	img := noiseImage(640, 480, 5)
	flips := 0
	for seed := uint64(0); seed < 12; seed++ {
		s, err := cfg.Build(inst, img, nil, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if s.Flipped {
			flips++
		}
		toCrop, err := s.ToImage.Inverse()
		if err != nil {
			t.Fatal(err)
		}
		th := s.Rotation * math.Pi / 180
		fi := h36.FlipIndex()
		for j := 0; j < 17; j++ {
			src := j
			if s.Flipped {
				src = fi[j]
			}
			x, y, z := j3[3*src], j3[3*src+1], j3[3*src+2]
			cx, cy := toCrop.Apply(cam.Fx*x/z+cam.Cx, cam.Fy*y/z+cam.Cy)
			hx, hy := cfg.Codec.InputToHeatmap(cx, cy)
			px, py := int(math.Floor(hx+0.5)), int(math.Floor(hy+0.5))
			if px < 0 || py < 0 || px >= 48 || py >= 64 {
				if s.LocationWeights[j] != 0 {
					t.Errorf("joint %d outside the map has weight 1", j)
				}
				continue
			}
			if s.LocationWeights[j] != 1 {
				t.Errorf("seed %d joint %d: weight %v", seed, j, s.LocationWeights[j])
			}
			got, err := cfg.Codec.ReadLocations(s.LocationMaps, make([]float32, cfg.Codec.NumHeatPixels()*17), locPreds(17, j, px, py), 0)
			if err != nil {
				t.Fatal(err)
			}
			rsrc := root
			if s.Flipped {
				rsrc = fi[root]
			}
			dx, dy, dz := x-j3[3*rsrc], y-j3[3*rsrc+1], z-j3[3*rsrc+2]
			want := [3]float64{math.Cos(th)*dx + math.Sin(th)*dy, -math.Sin(th)*dx + math.Cos(th)*dy, dz}
			if s.Flipped {
				want[0] = -want[0]
			}
			for a := range 3 {
				if math.Abs(got[j][a]-want[a]) > 1e-3 {
					t.Fatalf("seed %d joint %d (flipped %v, rot %.1f): read %v, want %v", seed, j, s.Flipped, s.Rotation, got[j], want)
				}
			}
		}
	}
	if flips == 0 || flips == 12 {
		t.Errorf("%d of 12 samples flipped", flips)
	}
	// Without a camera, a 3D set other than the 2D set cannot be placed.
	inst.Image.Camera = nil
	if _, err := cfg.Build(inst, img, nil, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("3D joints without a camera accepted")
	}
}

// locPreds returns k predictions with joint j at heatmap pixel (x, y) and the others at (0, 0).
func locPreds(k, j, x, y int) []codec.Prediction {
	p := make([]codec.Prediction, k)
	p[j].HX, p[j].HY = x, y
	return p
}

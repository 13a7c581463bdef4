package blazepose

import (
	"math"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/skeleton"
)

// rawOutputs returns zeroed outputs of the right sizes.
func rawOutputs() [][]float32 {
	return [][]float32{
		make([]float32, numPoints*valuesPerLM), make([]float32, 1), make([]float32, InputSize*InputSize),
		make([]float32, HeatmapSize*HeatmapSize*numPoints), make([]float32, numPoints*valuesPerWorld),
	}
}

func TestDecode(t *testing.T) {
	out := rawOutputs()
	copy(out[0][0:], []float32{10, 20, -3, 0, 2})                      // nose
	copy(out[0][NumLandmarks*valuesPerLM:], []float32{7, 8, 9, -2, 0}) // first auxiliary point
	out[1][0] = 0.75
	copy(out[4][3:], []float32{0.1, -0.2, 0.3})
	p, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Landmarks) != NumLandmarks || len(p.Auxiliary) != NumAuxiliary || len(p.World) != numPoints {
		t.Fatalf("got %d landmarks, %d auxiliary, %d world points", len(p.Landmarks), len(p.Auxiliary), len(p.World))
	}
	want := Landmark{X: 10, Y: 20, Z: -3, Visibility: 0.5, Presence: 1 / (1 + math.Exp(-2))}
	if p.Landmarks[0] != want {
		t.Errorf("nose = %+v, want %+v", p.Landmarks[0], want)
	}
	if a := p.Auxiliary[0]; a.X != 7 || a.Y != 8 || math.Abs(a.Visibility-1/(1+math.Exp(2))) > 1e-12 {
		t.Errorf("auxiliary 0 = %+v", a)
	}
	if p.Score != 0.75 {
		t.Errorf("score = %v", p.Score)
	}
	if w := p.World[1]; math.Abs(w[0]-0.1) > 1e-7 || math.Abs(w[1]+0.2) > 1e-7 || math.Abs(w[2]-0.3) > 1e-7 {
		t.Errorf("world[1] = %v", w)
	}

	bad := rawOutputs()
	bad[3] = bad[3][:10]
	if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), "output 3") {
		t.Errorf("short heatmaps: err = %v", err)
	}
	if _, err := Decode(bad[:4]); err == nil {
		t.Error("4 outputs: want error")
	}
}

func TestKeypointsCOCO(t *testing.T) {
	p := &Pose{}
	for i := 0; i < NumLandmarks; i++ {
		p.Landmarks = append(p.Landmarks, Landmark{X: float64(i), Y: float64(100 + i), Visibility: 0.5})
	}
	kp, err := p.Keypoints(skeleton.COCO17())
	if err != nil {
		t.Fatal(err)
	}
	coco, bp := skeleton.COCO17(), skeleton.BlazePose33()
	for j, name := range coco.Joints {
		src := bp.Index(name)
		if src < 0 {
			t.Fatalf("COCO joint %s has no BlazePose counterpart", name)
		}
		if got := kp[3*j : 3*j+3]; got[0] != float64(src) || got[1] != float64(100+src) || got[2] != 0.5 {
			t.Errorf("%s = %v, want landmark %d", name, got, src)
		}
	}
}

func TestHeatmapsFor(t *testing.T) {
	p := &Pose{Heatmaps: make([]float32, HeatmapSize*HeatmapSize*numPoints)}
	for cell := 0; cell < HeatmapSize*HeatmapSize; cell++ {
		for c := 0; c < numPoints; c++ {
			p.Heatmaps[cell*numPoints+c] = float32(1000*c + cell%7)
		}
	}
	coco := skeleton.COCO17()
	hm, err := p.HeatmapsFor(coco)
	if err != nil {
		t.Fatal(err)
	}
	bp := skeleton.BlazePose33()
	for _, cell := range []int{0, 5, HeatmapSize*HeatmapSize - 1} {
		for j, name := range coco.Joints {
			if got, want := hm[cell*coco.NumJoints()+j], float32(1000*bp.Index(name)+cell%7); got != want {
				t.Errorf("cell %d %s = %v, want %v", cell, name, got, want)
			}
		}
	}
	if _, err := (&Pose{}).HeatmapsFor(coco); err == nil {
		t.Error("no heatmaps: want error")
	}
}

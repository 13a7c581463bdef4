package distill

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
)

// smoothImage returns a w×h image of smooth colour waves (bilinear resampling at two scales
// changes it little) with a seeded phase.
func smoothImage(w, h int, seed uint64) *topdown.RGB {
	r := rand.New(rand.NewPCG(seed, 3))
	var ph [3]float64
	for c := range ph {
		ph[c] = r.Float64() * 6
	}
	m := topdown.NewRGB(w, h)
	for y := range h {
		for x := range w {
			for c := range 3 {
				f := 0.05 + 0.02*float64(c)
				v := 128 + 60*math.Sin(f*float64(x)+ph[c]) + 60*math.Cos(0.7*f*float64(y)-ph[c])
				m.Pix[3*(y*w+x)+c] = uint8(min(max(v, 0), 255))
			}
		}
	}
	return m
}

// viewInstance returns a COCO-17 person in a 320×240 image: box at (110, 20), 90×200, with
// asymmetric keypoints (left and right differ, so a missed or extra swap shows).
func viewInstance() topdown.Instance {
	kps := make([]float64, 0, 51)
	for j := range 17 {
		x := 120 + float64(j%5)*15 + float64(j)*1.3
		y := 30 + float64(j)*10
		kps = append(kps, x, y, 2)
	}
	return topdown.Instance{
		Image:      dataset.Image{ID: 1, Width: 320, Height: 240},
		Annotation: dataset.Annotation{ID: 7, ImageID: 1, CategoryID: 1, NumKeypoints: 17, BBox: [4]float64{110, 20, 90, 200}, Keypoints: kps},
	}
}

// viewConfig is a 64×96 student crop configuration with MMPose's augmentation (no colour jitter).
func viewConfig(t *testing.T, kind codec.Kind) topdown.Config {
	t.Helper()
	c, err := codec.New(kind, 64, 96, 16, 24, 1.5)
	if err != nil {
		t.Fatal(err)
	}
	sc := topdown.NewConfig(c, skeleton.COCO17())
	a := topdown.DefaultAugment()
	a.HalfBodyProb = 0
	sc.Augment = &a
	return sc
}

// sampleView returns the view of an augmented sample.
func sampleView(s *topdown.Sample, img *topdown.RGB, c *codec.Codec) View {
	return View{Image: img, ToImage: s.ToImage, CropW: c.InputW, CropH: c.InputH, Flipped: s.Flipped}
}

// TestRenderKeypointsIsGroundTruth renders a record holding the annotation's keypoints (as a
// teacher that saw the plain crop, or a mirrored one) into augmented crops: the result must be
// the crop's ground-truth heatmaps, flips and rotations included.
func TestRenderKeypointsIsGroundTruth(t *testing.T) {
	inst := viewInstance()
	img := smoothImage(320, 240, 1)
	k := 17
	fi := skeleton.COCO17().FlipIndex()
	plain := make([]codec.Keypoint, k)
	for j := range plain {
		a := inst.Annotation.Keypoints
		plain[j] = codec.Keypoint{X: a[3*j], Y: a[3*j+1], V: a[3*j+2]}
	}
	mirrored := make([]codec.Keypoint, k)
	for j := range mirrored {
		mirrored[j] = plain[fi[j]]
	}
	for _, kind := range []codec.Kind{codec.MSRA, codec.UDP} {
		sc := viewConfig(t, kind)
		for _, tc := range []struct {
			name string
			rec  Record
		}{
			{"plain record", Record{Keypoints: plain}},
			{"mirrored record", Record{Keypoints: mirrored, Mirrored: true}},
		} {
			t.Run(kind.String()+"/"+tc.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(9, 9))
				flips, rots := 0, 0
				for range 24 {
					s, err := sc.Build(inst, img, nil, rng)
					if err != nil {
						t.Fatal(err)
					}
					if s.Flipped {
						flips++
					}
					if s.Rotation != 0 {
						rots++
					}
					got, err := Render(tc.rec, sampleView(s, img, sc.Codec), sc.Codec, k, fi)
					if err != nil {
						t.Fatal(err)
					}
					for i, v := range got.Heatmaps {
						if math.Abs(float64(v-s.Heatmaps[i])) > 2e-3 { // a gaussian tail at its window edge may be cut on one side of a rounding
							t.Fatalf("flip %v rotation %.1f: heatmap value %d is %v, ground truth %v", s.Flipped, s.Rotation, i, v, s.Heatmaps[i])
						}
					}
				}
				if flips == 0 || rots == 0 {
					t.Fatalf("augmentations drew %d flips and %d rotations: the test needs both", flips, rots)
				}
			})
		}
	}
}

// TestRenderMapsFollowAugmentation stores a network teacher's soft maps as seen on the plain crop
// (the ground-truth heatmaps there) and renders them into augmented crops: each joint's decoded
// peak must land within a heatmap pixel of the crop's ground truth, and the mask (1 inside the
// plain crop) must cover the joints.
func TestRenderMapsFollowAugmentation(t *testing.T) {
	inst := viewInstance()
	img := smoothImage(320, 240, 2)
	sc := viewConfig(t, codec.MSRA)
	c := sc.Codec
	k := 17
	plainCfg := sc
	plainCfg.Augment = nil
	p, err := plainCfg.Build(inst, img, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sx, sy := c.InputPerHeatPixel()
	m2i := topdown.Affine{sx, 0, 0, 0, sy, 0}.Then(p.ToImage)
	ones := make([]float32, c.NumHeatPixels())
	for i := range ones {
		ones[i] = 1
	}
	rec := Record{Maps: p.Heatmaps, MapW: c.HeatW, MapH: c.HeatH, MapToImage: m2i, Mask: ones, MaskW: c.HeatW, MaskH: c.HeatH, MaskToImage: m2i}
	rng := rand.New(rand.NewPCG(4, 4))
	checked := 0
	for range 16 {
		s, err := sc.Build(inst, img, nil, rng)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Render(rec, sampleView(s, img, c), c, k, sc.Joints.FlipIndex())
		if err != nil {
			t.Fatal(err)
		}
		gp, err := c.Decode(got.Heatmaps, k)
		if err != nil {
			t.Fatal(err)
		}
		wp, err := c.Decode(s.Heatmaps, k)
		if err != nil {
			t.Fatal(err)
		}
		for j := range k {
			kp := s.Keypoints[j]
			hx, hy := c.InputToHeatmap(kp.X, kp.Y)
			if s.Weights[j] == 0 || hx < 2 || hy < 2 || hx > float64(c.HeatW-3) || hy > float64(c.HeatH-3) || s.Box.W > 1.3*p.Box.W {
				continue // near the border, or zoomed out so far that the maps shrink below a pixel
			}
			checked++
			// The stored map's peak is already quantised (MSRA) and resampling moves it by up to
			// a pixel more: allow 1.5 heatmap pixels per axis (a missed flip or rotation moves
			// joints much further).
			if dx, dy := math.Abs(gp[j].X-wp[j].X)/sx, math.Abs(gp[j].Y-wp[j].Y)/sy; dx > 1.5 || dy > 1.5 {
				t.Errorf("flip %v rotation %.1f joint %d: rendered peak %.1f,%.1f, ground truth %.1f,%.1f (%.2f, %.2f heatmap px apart)",
					s.Flipped, s.Rotation, j, gp[j].X, gp[j].Y, wp[j].X, wp[j].Y, dx, dy)
			}
			ix, iy := int(math.Round(hx)), int(math.Round(hy))
			if m := got.Mask[iy*c.HeatW+ix]; m < 0.99 {
				t.Errorf("joint %d: mask %v at its heatmap pixel, want 1", j, m)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d joints checked", checked)
	}
}

// TestTeacherCropCoversStudentRegion checks that a teacher's crop of the original image shows the
// student's augmented crop region: every student pixel, found in the teacher's crop at its image
// position, has the same colour (both sample the same image there), for a square BlazePose-style
// crop and a wider network crop; a teacher crop that ignores the augmentation (the plain box)
// does not.
func TestTeacherCropCoversStudentRegion(t *testing.T) {
	inst := viewInstance()
	img := smoothImage(320, 240, 3)
	sc := viewConfig(t, codec.MSRA)
	c := sc.Codec
	rng := rand.New(rand.NewPCG(5, 6))
	plainCfg := sc
	plainCfg.Augment = nil
	plain, err := plainCfg.Build(inst, img, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		tw, th int
		offset float64
	}{{"blazepose 256x256", 256, 256, 0.5}, {"network 96x64", 96, 64, 0}, {"network 48x96", 48, 96, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			for range 8 {
				s, err := sc.Build(inst, img, nil, rng)
				if err != nil {
					t.Fatal(err)
				}
				raw := unnormalize(s.Image, sc.Mean, sc.Std)
				v := sampleView(s, img, c)
				same := cropDifference(t, raw, v, v, tc.tw, tc.th, tc.offset)
				if same > 4 {
					t.Errorf("flip %v rotation %.1f scale %.2f: teacher crop differs from the student's by %.2f grey levels on average", s.Flipped, s.Rotation, s.Box.W/plain.Box.W, same)
				}
				other := sampleView(plain, img, c)
				if s.Rotation != 0 || s.Flipped {
					if wrong := cropDifference(t, raw, v, other, tc.tw, tc.th, tc.offset); wrong < 3*same+5 {
						t.Errorf("a crop of the plain box matches the augmented student crop as well (%.2f vs %.2f): the test cannot tell", wrong, same)
					}
				}
				// The student's crop fits in the teacher's and touches two of its sides.
				t2i := v.TeacherToImage(tc.tw, tc.th)
				i2t, err := t2i.Inverse()
				if err != nil {
					t.Fatal(err)
				}
				var lo, hi [2]float64 = [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
				for _, p := range [][2]float64{{0, 0}, {float64(c.InputW), 0}, {0, float64(c.InputH)}, {float64(c.InputW), float64(c.InputH)}} {
					x, y := i2t.Apply(s.ToImage.Apply(p[0], p[1]))
					lo[0], lo[1], hi[0], hi[1] = min(lo[0], x), min(lo[1], y), max(hi[0], x), max(hi[1], y)
				}
				if lo[0] < -1e-6 || lo[1] < -1e-6 || hi[0] > float64(tc.tw)+1e-6 || hi[1] > float64(tc.th)+1e-6 {
					t.Errorf("student crop spans teacher coordinates %v–%v, outside %dx%d", lo, hi, tc.tw, tc.th)
				}
				if !(math.Abs(lo[0]) < 1e-6 && math.Abs(hi[0]-float64(tc.tw)) < 1e-6) && !(math.Abs(lo[1]) < 1e-6 && math.Abs(hi[1]-float64(tc.th)) < 1e-6) {
					t.Errorf("student crop spans teacher coordinates %v–%v: it should fill the teacher crop along one axis", lo, hi)
				}
			}
		})
	}
}

// unnormalize returns a normalised crop's 0–255 values.
func unnormalize(x []float32, mean, std [3]float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = v*std[i%3] + mean[i%3]
	}
	return out
}

// cropDifference renders the teacher crop of view tv and returns the mean absolute difference
// between each inner student pixel of raw (the crop of view sv) and the teacher crop at the
// corresponding position (the same image point when tv is sv).
func cropDifference(t *testing.T, raw []float32, sv, tv View, tw, th int, offset float64) float64 {
	t.Helper()
	crop, _, err := tv.TeacherCrop(tw, th, offset)
	if err != nil {
		t.Fatal(err)
	}
	i2t, err := sv.TeacherToImage(tw, th).Inverse()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	n := 0
	for y := 2; y < sv.CropH-2; y++ {
		for x := 2; x < sv.CropW-2; x++ {
			ix, iy := sv.ToImage.Apply(float64(x), float64(y))
			u, v := i2t.Apply(ix, iy)
			u, v = u-offset, v-offset
			fu, fv := math.Floor(u), math.Floor(v)
			if fu < 0 || fv < 0 || fu+1 >= float64(tw) || fv+1 >= float64(th) {
				sum += 255
				n++
				continue
			}
			iu, iv := int(fu), int(fv)
			au, av := float32(u-fu), float32(v-fv)
			for ch := range 3 {
				at := func(a, b int) float32 { return crop[(b*tw+a)*3+ch] }
				p := (1-av)*((1-au)*at(iu, iv)+au*at(iu+1, iv)) + av*((1-au)*at(iu, iv+1)+au*at(iu+1, iv+1))
				sum += math.Abs(float64(p - raw[(y*sv.CropW+x)*3+ch]))
				n++
			}
		}
	}
	return sum / float64(n)
}

// centreTeacher is a RegionTeacher that puts every joint at the centre of the view's region
// (in image pixels) and counts the crops it looks at.
type centreTeacher struct {
	id     string
	looked int
}

func (f *centreTeacher) ID() string { return f.id }
func (f *centreTeacher) Close()     {}
func (f *centreTeacher) Predict(context.Context, topdown.Tensor, int, int) (TeacherOutput, error) {
	panic("centreTeacher: Predict must not be called for a region teacher")
}
func (f *centreTeacher) Look(_ context.Context, views []View) ([]Record, error) {
	recs := make([]Record, len(views))
	for i, v := range views {
		x, y := v.ToImage.Apply(float64(v.CropW)/2, float64(v.CropH)/2)
		kps := make([]codec.Keypoint, 17)
		for j := range kps {
			kps[j] = codec.Keypoint{X: x + float64(j), Y: y, V: 2}
		}
		recs[i] = Record{Keypoints: kps, Mirrored: v.Flipped}
	}
	f.looked += len(views)
	return recs, nil
}

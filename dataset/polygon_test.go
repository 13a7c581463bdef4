package dataset

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"testing"
)

func TestPolygonAreasExact(t *testing.T) {
	tests := []struct {
		name string
		xy   []float64
		h, w int
		area int64
		bbox [4]float64
	}{
		{"integer square", []float64{0, 0, 10, 0, 10, 10, 0, 10}, 20, 20, 100, [4]float64{0, 0, 10, 10}},
		{"clockwise square", []float64{0, 0, 0, 10, 10, 10, 10, 0}, 20, 20, 100, [4]float64{0, 0, 10, 10}},
		{"shifted square", []float64{0.3, 0.3, 10.3, 0.3, 10.3, 10.3, 0.3, 10.3}, 20, 20, 100, [4]float64{0, 0, 10, 10}},
		// Pixel centres (c+½, r+½) with c+2r < 18.5: 19+17+…+1 = 100; no centre lies on the edge.
		{"triangle", []float64{0, 0, 20, 0, 0, 10}, 20, 30, 100, [4]float64{0, 0, 19, 10}},
		// Centres 1.5…4.5 across, only 1.5 down.
		{"thin rectangle", []float64{1.2, 0.6, 4.7, 0.6, 4.7, 2.4, 1.2, 2.4}, 5, 6, 4, [4]float64{1, 1, 4, 1}},
		{"clipped by the image", []float64{-5, -5, 5, -5, 5, 5, -5, 5}, 10, 10, 25, [4]float64{0, 0, 5, 5}},
		{"outside the image", []float64{20, 20, 30, 20, 30, 30}, 10, 10, 0, [4]float64{}},
		{"degenerate point", []float64{3, 3}, 10, 10, 0, [4]float64{}},
		{"repeated vertex", []float64{0, 0, 10, 0, 10, 0, 10, 10, 0, 10}, 20, 20, 100, [4]float64{0, 0, 10, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := PolygonRLE(tt.xy, tt.h, tt.w)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Validate(); err != nil {
				t.Fatal(err)
			}
			if r.Area() != tt.area || r.BBox() != tt.bbox {
				t.Errorf("area %d bbox %v, want %d %v", r.Area(), r.BBox(), tt.area, tt.bbox)
			}
		})
	}
}

// TestPolygonPixelCentres checks random polygons pixel by pixel against an even-odd point-in-
// polygon test of the pixel centre, for every pixel whose centre is more than half a pixel from
// the outline (closer ones depend on the rasterizer's 1/5-pixel rounding).
func TestPolygonPixelCentres(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	checked := 0
	for it := 0; it < 200; it++ {
		w, h := 5+rng.IntN(30), 5+rng.IntN(30)
		n := 3 + rng.IntN(6)
		xy := make([]float64, 2*n)
		for i := 0; i < n; i++ {
			xy[2*i] = rng.Float64()*float64(w+6) - 3
			xy[2*i+1] = rng.Float64()*float64(h+6) - 3
		}
		r, err := PolygonRLE(xy, h, w)
		if err != nil {
			t.Fatal(err)
		}
		m, err := r.Decode()
		if err != nil {
			t.Fatal(err)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				px, py := float64(x)+.5, float64(y)+.5
				if distToOutline(xy, px, py) < 0.5 {
					continue
				}
				checked++
				if want := evenOdd(xy, px, py); (m.Pix[y*w+x] == 1) != want {
					t.Fatalf("polygon %v in %dx%d: pixel (%d, %d) = %d, centre inside = %v", xy, w, h, x, y, m.Pix[y*w+x], want)
				}
			}
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d pixels checked", checked)
	}
}

func evenOdd(xy []float64, px, py float64) bool {
	n := len(xy) / 2
	in := false
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi, xj, yj := xy[2*i], xy[2*i+1], xy[2*j], xy[2*j+1]
		if (yi > py) != (yj > py) && px < (xj-xi)*(py-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

func distToOutline(xy []float64, px, py float64) float64 {
	n := len(xy) / 2
	best := math.Inf(1)
	for i := 0; i < n; i++ {
		j := (i + 1) % n
		ax, ay, bx, by := xy[2*i], xy[2*i+1], xy[2*j], xy[2*j+1]
		dx, dy := bx-ax, by-ay
		t := 0.0
		if l := dx*dx + dy*dy; l > 0 {
			t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l))
		}
		best = math.Min(best, math.Hypot(px-ax-t*dx, py-ay-t*dy))
	}
	return best
}

func TestSegmentationToRLE(t *testing.T) {
	s := &Segmentation{Polygons: [][]float64{{0, 0, 4, 0, 4, 4, 0, 4}, {2, 2, 6, 2, 6, 6, 2, 6}}}
	r, err := s.ToRLE(8, 8)
	if err != nil {
		t.Fatal(err)
	}
	if r.Area() != 16+16-4 {
		t.Errorf("area of two overlapping squares = %d, want 28", r.Area())
	}
	crowd := &Segmentation{RLE: &RLE{Height: 2, Width: 2, Counts: []uint32{1, 3}}}
	if r, err := crowd.ToRLE(2, 2); err != nil || r.Area() != 3 {
		t.Errorf("RLE segmentation: %v, %v", r, err)
	}
	if _, err := crowd.ToRLE(3, 2); err == nil {
		t.Error("RLE of another size accepted")
	}
	if _, err := PolygonRLE([]float64{0, math.NaN(), 1, 1, 2, 0}, 4, 4); err == nil {
		t.Error("NaN coordinate accepted")
	}
}

// TestAgainstPython compares compressed strings and polygon rasterization (with union of parts)
// with an independent Python implementation, when /usr/bin/python3 is present.
func TestAgainstPython(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	type polyCase struct {
		Polys [][]float64 `json:"polys"`
		H     int         `json:"h"`
		W     int         `json:"w"`
	}
	var req struct {
		Strings [][]uint32 `json:"strings"`
		Polys   []polyCase `json:"polys"`
	}
	for i := 0; i < 300; i++ {
		n := 1 + rng.IntN(12)
		c := make([]uint32, n)
		for j := range c {
			switch rng.IntN(3) {
			case 0:
				c[j] = uint32(rng.IntN(40))
			case 1:
				c[j] = uint32(rng.IntN(100000))
			default:
				c[j] = rng.Uint32()
			}
		}
		req.Strings = append(req.Strings, c)
	}
	for i := 0; i < 300; i++ {
		pc := polyCase{H: 1 + rng.IntN(60), W: 1 + rng.IntN(60)}
		for p := 0; p < 1+rng.IntN(3); p++ {
			k := 3 + rng.IntN(10)
			xy := make([]float64, 2*k)
			for j := range xy {
				size := float64(pc.W)
				if j%2 == 1 {
					size = float64(pc.H)
				}
				xy[j] = math.Round((rng.Float64()*(size+10)-5)*100) / 100 // COCO's 2-decimal coordinates
			}
			pc.Polys = append(pc.Polys, xy)
		}
		req.Polys = append(req.Polys, pc)
	}
	in, _ := json.Marshal(req)
	cmd := exec.Command(python, "testdata/cocomask.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var resp struct {
		Strings []string   `json:"strings"`
		Polys   [][]uint32 `json:"polys"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	for i, c := range req.Strings {
		if got := (&RLE{Counts: c}).CompressedCounts(); got != resp.Strings[i] {
			t.Errorf("counts %v: Go %q, Python %q", c, got, resp.Strings[i])
		}
	}
	for i, pc := range req.Polys {
		r, err := (&Segmentation{Polygons: pc.Polys}).ToRLE(pc.H, pc.W)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Counts, resp.Polys[i]) {
			t.Errorf("polygons %v in %dx%d:\nGo     %v\nPython %v", pc.Polys, pc.W, pc.H, r.Counts, resp.Polys[i])
		}
	}
}

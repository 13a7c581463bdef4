package topdown

import (
	"math"
	"testing"
)

func TestAffineInverseIsIdentity(t *testing.T) {
	boxes := []Box{
		{CX: 320, CY: 240, W: 150, H: 200},
		{CX: 10.5, CY: -3.25, W: 31, H: 12},
		{CX: 1000, CY: 20, W: 3, H: 4},
	}
	pts := [][2]float64{{0, 0}, {320, 240}, {-50.5, 700.25}, {1e4, -1e4}}
	for _, udp := range []bool{false, true} {
		for _, b := range boxes {
			for _, rot := range []float64{0, 30, -79.5, 180} {
				for _, flip := range []bool{false, true} {
					m := WarpMatrix(b.WithAspect(0.75), rot, 192, 256, udp)
					if flip {
						m = m.Then(FlipX(192))
					}
					inv, err := m.Inverse()
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range pts {
						x, y := m.Apply(p[0], p[1])
						bx, by := inv.Apply(x, y)
						if e := math.Hypot(bx-p[0], by-p[1]); e > 1e-9*math.Max(1, math.Hypot(p[0], p[1])) {
							t.Errorf("udp=%v box %v rot %v flip %v: %v → %v", udp, b, rot, flip, p, [2]float64{bx, by})
						}
					}
					if c := m.Then(inv); math.Abs(c[0]-1) > 1e-12 || math.Abs(c[1]) > 1e-12 || math.Abs(c[4]-1) > 1e-12 {
						t.Errorf("m.Then(inverse) = %v", c)
					}
				}
			}
		}
	}
	if _, err := (Affine{1, 2, 0, 2, 4, 0}).Inverse(); err == nil {
		t.Error("singular matrix inverted")
	}
}

func TestWarpMatrixPlacesBox(t *testing.T) {
	b := Box{CX: 300, CY: 200, W: 120, H: 160}
	tests := []struct {
		udp          bool
		rot          float64
		in           [2]float64
		want         [2]float64
		wantFlippedX float64
	}{
		{false, 0, [2]float64{300, 200}, [2]float64{96, 128}, 95},
		{true, 0, [2]float64{300, 200}, [2]float64{95.5, 127.5}, 95.5},
		{false, 0, [2]float64{240, 120}, [2]float64{0, 0}, 191},          // top-left corner of the box
		{true, 0, [2]float64{360, 280}, [2]float64{191, 255}, 0},         // bottom-right corner
		{false, 90, [2]float64{300, 140}, [2]float64{96 - 96, 128}, 191}, // a point above the centre turns left
	}
	for _, tc := range tests {
		m := WarpMatrix(b, tc.rot, 192, 256, tc.udp)
		x, y := m.Apply(tc.in[0], tc.in[1])
		if math.Abs(x-tc.want[0]) > 1e-9 || math.Abs(y-tc.want[1]) > 1e-9 {
			t.Errorf("udp=%v rot %v: %v → (%v, %v), want %v", tc.udp, tc.rot, tc.in, x, y, tc.want)
		}
		fx, _ := m.Then(FlipX(192)).Apply(tc.in[0], tc.in[1])
		if math.Abs(fx-tc.wantFlippedX) > 1e-9 {
			t.Errorf("udp=%v rot %v flipped: x = %v, want %v", tc.udp, tc.rot, fx, tc.wantFlippedX)
		}
	}
}

func TestBoxFromXYWH(t *testing.T) {
	tests := []struct {
		bbox [4]float64
		want Box
	}{
		{[4]float64{100, 50, 60, 200}, Box{CX: 130, CY: 150, W: 187.5, H: 250}}, // tall: widen
		{[4]float64{0, 0, 300, 100}, Box{CX: 150, CY: 50, W: 375, H: 500}},      // wide: heighten
	}
	for _, tc := range tests {
		got := BoxFromXYWH(tc.bbox, 0.75, 1.25)
		if math.Abs(got.CX-tc.want.CX)+math.Abs(got.CY-tc.want.CY)+math.Abs(got.W-tc.want.W)+math.Abs(got.H-tc.want.H) > 1e-9 {
			t.Errorf("BoxFromXYWH(%v) = %+v, want %+v", tc.bbox, got, tc.want)
		}
	}
}

func TestOrientation(t *testing.T) {
	b := Box{CX: 0, CY: 0, W: 100, H: 133}
	for _, udp := range []bool{false, true} {
		m := WarpMatrix(b, 30, 192, 256, udp)
		o := m.Orientation()
		th := 30 * math.Pi / 180
		want := [2][2]float64{{math.Cos(th), math.Sin(th)}, {-math.Sin(th), math.Cos(th)}}
		for i := range o {
			for j := range o[i] {
				if math.Abs(o[i][j]-want[i][j]) > 1e-12 {
					t.Errorf("udp=%v orientation %v, want %v", udp, o, want)
				}
			}
		}
		f := m.Then(FlipX(192)).Orientation()
		if math.Abs(f[0][0]+want[0][0]) > 1e-12 || math.Abs(f[1][1]-want[1][1]) > 1e-12 {
			t.Errorf("udp=%v flipped orientation %v", udp, f)
		}
	}
}

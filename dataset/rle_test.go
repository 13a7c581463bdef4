package dataset

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// randomMask returns a w×h mask of random blobs (runs of 1s of varied length).
func randomMask(rng *rand.Rand, w, h int) *Mask {
	m := &Mask{Width: w, Height: h, Pix: make([]uint8, w*h)}
	density := rng.Float64()
	for i := range m.Pix {
		if rng.Float64() < density {
			m.Pix[i] = 1
		}
	}
	return m
}

func TestEncodeDecodeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 500; it++ {
		w, h := rng.IntN(20), rng.IntN(20)
		if it < 4 {
			w, h = it%2, it/2 // 0×0, 1×0, 0×1, 1×1
		}
		m := randomMask(rng, w, h)
		r, err := EncodeMask(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("%dx%d: %v", w, h, err)
		}
		back, err := r.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("%dx%d: decode(encode(m)) != m\n%v\n%v", w, h, m.Pix, back.Pix)
		}
		var area int64
		for _, p := range m.Pix {
			area += int64(p)
		}
		if r.Area() != area {
			t.Fatalf("area %d, mask has %d", r.Area(), area)
		}
		if got, want := r.BBox(), maskBBox(m); got != want {
			t.Fatalf("%dx%d: bbox %v, want %v", w, h, got, want)
		}
		s := r.CompressedCounts()
		c, err := ParseCompressedCounts(s)
		if err != nil || !reflect.DeepEqual(c, r.Counts) {
			t.Fatalf("compressed %q parsed to %v, %v; want %v", s, c, err, r.Counts)
		}
	}
}

// maskBBox is the tight box of the set pixels, computed directly.
func maskBBox(m *Mask) [4]float64 {
	x0, y0, x1, y1 := m.Width, m.Height, -1, -1
	for y := 0; y < m.Height; y++ {
		for x := 0; x < m.Width; x++ {
			if m.Pix[y*m.Width+x] != 0 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return [4]float64{}
	}
	return [4]float64{float64(x0), float64(y0), float64(x1 - x0 + 1), float64(y1 - y0 + 1)}
}

func TestEncodeMaskHandDerived(t *testing.T) {
	// Row-major 3 wide, 2 high:  0 1 1 / 0 0 1. Column-major: 0 0 | 1 0 | 1 1.
	m := &Mask{Width: 3, Height: 2, Pix: []uint8{0, 1, 1, 0, 0, 1}}
	r, err := EncodeMask(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{2, 1, 1, 2}; !reflect.DeepEqual(r.Counts, want) {
		t.Errorf("counts %v, want %v", r.Counts, want)
	}
	if r.Area() != 3 || r.BBox() != [4]float64{1, 0, 2, 2} {
		t.Errorf("area %d bbox %v", r.Area(), r.BBox())
	}
	if _, err := EncodeMask(&Mask{Width: 2, Height: 2, Pix: []uint8{1}}); err == nil {
		t.Error("mask with too few pixels accepted")
	}
}

func TestCompressedCountsHandDerived(t *testing.T) {
	tests := []struct {
		counts []uint32
		str    string
	}{
		{[]uint32{0}, "0"},
		{[]uint32{5, 10, 15}, "5:?"},
		{[]uint32{3, 2, 1, 20, 4}, "321b03"},               // 20−2 = 18 needs a second group (bit 0x10 set)
		{[]uint32{100, 1, 20, 1}, "T31d00"},                // 100 = 4 + 3·32
		{[]uint32{1, 50, 2, 3}, "1b12aN"},                  // 3−50 = −47: groups 17, 30 (sign)
		{[]uint32{4294967295}, "oooooo3"},                  // 2³²−1: six groups of 31 (each "more", 63+48='o'), then 3
		{[]uint32{307200}, `PP\9`},                         // 640×480 empty: 307200 = 0 + 0·32 + 12·1024 + 9·32768
		{[]uint32{0, 307200}, `0PP\9`},                     // full mask
		{[]uint32{1, 1, 1, 1, 1, 1, 1, 1, 1}, "111000000"}, // from the 4th count on, deltas of 0
	}
	for _, tt := range tests {
		if got := (&RLE{Counts: tt.counts}).CompressedCounts(); got != tt.str {
			t.Errorf("CompressedCounts(%v) = %q, want %q", tt.counts, got, tt.str)
		}
		got, err := ParseCompressedCounts(tt.str)
		if err != nil || !reflect.DeepEqual(got, tt.counts) {
			t.Errorf("ParseCompressedCounts(%q) = %v, %v; want %v", tt.str, got, err, tt.counts)
		}
	}
}

func TestParseCompressedCountsErrors(t *testing.T) {
	for _, s := range []string{
		"3~",       // outside '0'…'o'
		"3 ",       // space
		"b",        // ends inside a count (0x20 set)
		"oooooooo", // more than 7 groups
		"1b12lL",   // delta −100 after 50: negative count
		"12?",      // fine
	} {
		_, err := ParseCompressedCounts(s)
		if (err == nil) != (s == "12?") {
			t.Errorf("ParseCompressedCounts(%q): err = %v", s, err)
		}
	}
}

func TestMergeAndIoU(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 300; it++ {
		w, h := 1+rng.IntN(12), 1+rng.IntN(12)
		n := 1 + rng.IntN(4)
		masks := make([]*Mask, n)
		rles := make([]*RLE, n)
		for i := range masks {
			masks[i] = randomMask(rng, w, h)
			rles[i], _ = EncodeMask(masks[i])
		}
		or := &Mask{Width: w, Height: h, Pix: make([]uint8, w*h)}
		and := &Mask{Width: w, Height: h, Pix: make([]uint8, w*h)}
		for p := range or.Pix {
			and.Pix[p] = 1
			for _, m := range masks {
				or.Pix[p] |= m.Pix[p]
				and.Pix[p] &= m.Pix[p]
			}
		}
		u, err := Union(rles...)
		if err != nil {
			t.Fatal(err)
		}
		wantU, _ := EncodeMask(or)
		if !reflect.DeepEqual(u.Counts, wantU.Counts) {
			t.Fatalf("union %v, want %v", u.Counts, wantU.Counts)
		}
		in, err := Intersection(rles...)
		if err != nil {
			t.Fatal(err)
		}
		if gotM, _ := in.Decode(); !reflect.DeepEqual(gotM, and) {
			t.Fatalf("intersection decodes to %v, want %v", gotM.Pix, and.Pix)
		}
		if n >= 2 {
			for _, crowd := range []bool{false, true} {
				got, err := IoU(rles[0], rles[1], crowd)
				if err != nil {
					t.Fatal(err)
				}
				var i, a0, a1 float64
				for p := range masks[0].Pix {
					i += float64(masks[0].Pix[p] & masks[1].Pix[p])
					a0 += float64(masks[0].Pix[p])
					a1 += float64(masks[1].Pix[p])
				}
				want := 0.0
				if i > 0 {
					want = i / (a0 + a1 - i)
					if crowd {
						want = i / a0
					}
				}
				if got != want {
					t.Fatalf("IoU(crowd=%v) = %v, want %v", crowd, got, want)
				}
			}
		}
	}
	if _, err := Union(&RLE{Height: 1, Width: 2, Counts: []uint32{2}}, &RLE{Height: 2, Width: 1, Counts: []uint32{2}}); err == nil {
		t.Error("union of different sizes accepted")
	}
	if _, err := Union(); err == nil {
		t.Error("union of nothing accepted")
	}
}

// TestBBoxZeroRuns covers hand-made RLEs with zero-length runs of 1s (found by the fuzzer: the
// pycocotools algorithm reports pixels that are not set for them).
func TestBBoxZeroRuns(t *testing.T) {
	tests := []struct {
		r    RLE
		want [4]float64
	}{
		{RLE{Height: 6, Width: 0, Counts: []uint32{0, 0, 0, 0}}, [4]float64{}},
		{RLE{Height: 2, Width: 4, Counts: []uint32{5, 0, 3}}, [4]float64{}},
		{RLE{Height: 2, Width: 4, Counts: []uint32{1, 0, 2, 2, 3}}, [4]float64{1, 0, 2, 2}}, // pixels 3 (1, 1) and 4 (2, 0),
		{RLE{Height: 3, Width: 2, Counts: []uint32{0, 1, 5}}, [4]float64{0, 0, 1, 1}},
	}
	for _, tt := range tests {
		m, err := tt.r.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if got := tt.r.BBox(); got != tt.want || got != maskBBox(m) {
			t.Errorf("BBox(%+v) = %v, want %v (mask says %v)", tt.r, got, tt.want, maskBBox(m))
		}
	}
}

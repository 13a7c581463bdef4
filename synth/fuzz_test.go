package synth

import "testing"

// FuzzStill renders small images from arbitrary options and seeds: invalid options must be
// rejected with an error, valid ones must render without panicking and with consistent labels.
func FuzzStill(f *testing.F) {
	f.Add(uint64(1), 0, 32, 32, 1, 3, false)
	f.Add(uint64(99), 7, 8, 200, 0, 0, true)
	f.Add(uint64(5), 3, 100, 9, 4, 6, true)
	f.Add(uint64(0), -1, 0, 0, -1, 2, false)
	f.Fuzz(func(t *testing.T, seed uint64, index, w, h, minP, maxP int, heavy bool) {
		if w > 96 || h > 96 || maxP > 8 {
			return // keep each input fast
		}
		r, err := NewRenderer(Options{Width: w, Height: h, MinPeople: minP, MaxPeople: maxP, HeavyOcclusion: heavy})
		if err != nil {
			return
		}
		fr, err := r.Still(seed, index)
		if err != nil {
			t.Fatal(err)
		}
		if fr.Image.Rect.Dx() != w || fr.Image.Rect.Dy() != h {
			t.Fatalf("image %v, want %dx%d", fr.Image.Rect, w, h)
		}
		if len(fr.People) > maxP {
			t.Fatalf("%d people, at most %d asked", len(fr.People), maxP)
		}
		checkLabels(t, "fuzz", fr, w, h)
	})
}

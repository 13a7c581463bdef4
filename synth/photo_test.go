package synth

import (
	"image"
	"image/color"
	"testing"
)

// solid returns a w×h image of one colour.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func TestPhotoBackgrounds(t *testing.T) {
	green := solid(300, 200, color.RGBA{0, 200, 0, 255})
	tests := []struct {
		name      string
		frac      float64
		wantPhoto bool
	}{
		{"always", 1, true},
		{"never", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRenderer(t, Options{Width: 64, Height: 48, Photos: []image.Image{green}, PhotoFraction: tc.frac})
			for i := range 10 {
				f, err := r.Still(5, i)
				if err != nil {
					t.Fatal(err)
				}
				greenish := 0
				for p := 0; p < len(f.Image.Pix); p += 4 {
					px := f.Image.Pix[p : p+3]
					if px[0] < 20 && px[2] < 20 && px[1] > 100 {
						greenish++
					}
				}
				frac := float64(greenish) / float64(64*48)
				// Clutter may cover part of the photo, but most of it shows.
				if tc.wantPhoto && frac < 0.3 || !tc.wantPhoto && frac > 0.3 {
					t.Errorf("image %d: %.2f of the pixels show the green photo", i, frac)
				}
			}
		})
	}
}

func TestPhotoOptionsValidate(t *testing.T) {
	ok := solid(32, 32, color.RGBA{1, 2, 3, 255})
	tests := []struct {
		name string
		opt  Options
		ok   bool
	}{
		{"fraction without photos", Options{Width: 32, Height: 32, PhotoFraction: 0.5}, false},
		{"fraction above one", Options{Width: 32, Height: 32, Photos: []image.Image{ok}, PhotoFraction: 1.5}, false},
		{"tiny photo", Options{Width: 32, Height: 32, Photos: []image.Image{solid(4, 4, color.RGBA{})}, PhotoFraction: 1}, false},
		{"fine", Options{Width: 32, Height: 32, Photos: []image.Image{ok}, PhotoFraction: 0.5}, true},
	}
	for _, tc := range tests {
		_, err := NewRenderer(tc.opt)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

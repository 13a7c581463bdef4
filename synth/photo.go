package synth

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// photo is a background photograph as RGB floats in [0, 1], row-major.
type photo struct {
	W, H int
	Pix  []float32
}

// newPhoto converts an image to a photo.
func newPhoto(img image.Image) (photo, error) {
	b := img.Bounds()
	if b.Dx() < 8 || b.Dy() < 8 {
		return photo{}, fmt.Errorf("background photo of %dx%d pixels is too small", b.Dx(), b.Dy())
	}
	p := photo{W: b.Dx(), H: b.Dy(), Pix: make([]float32, 3*b.Dx()*b.Dy())}
	for y := range p.H {
		for x := range p.W {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := 3 * (y*p.W + x)
			p.Pix[i], p.Pix[i+1], p.Pix[i+2] = float32(r)/65535, float32(g)/65535, float32(bl)/65535
		}
	}
	return p, nil
}

// photoCrop places a photo behind the scene: output pixel (x, y) shows photo point
// (X0 + x·Scale, Y0 + y·Scale), mirrored horizontally when Mirror, times Gain.
type photoCrop struct {
	On            bool // false: no photo, the procedural background
	Index         int
	X0, Y0, Scale float64
	Mirror        bool
	Gain          float64
}

// samplePhotoCrop draws, with probability frac, a random crop of one of the photos with the
// output's aspect ratio covering 30–100% of the photo's shorter side.
func samplePhotoCrop(rng *rand.Rand, photos []photo, frac float64, w, h int) photoCrop {
	if len(photos) == 0 || rng.Float64() >= frac {
		return photoCrop{}
	}
	i := rng.IntN(len(photos))
	p := &photos[i]
	// The largest crop of the output's aspect that fits, then shrunk.
	full := math.Min(float64(p.W)/float64(w), float64(p.H)/float64(h))
	scale := full * (0.3 + 0.7*rng.Float64())
	cw, ch := scale*float64(w), scale*float64(h)
	return photoCrop{
		On: true, Index: i,
		X0:    (float64(p.W) - cw) * rng.Float64(),
		Y0:    (float64(p.H) - ch) * rng.Float64(),
		Scale: scale, Mirror: rng.Float64() < 0.5, Gain: 0.75 + 0.5*rng.Float64(),
	}
}

// paint fills pix (W×H×3) with the crop, sampled bilinearly.
func (c *photoCrop) paint(p *photo, w, h int, pix []float32) {
	at := func(x, y, ch int) float32 {
		x = max(0, min(p.W-1, x))
		y = max(0, min(p.H-1, y))
		return p.Pix[3*(y*p.W+x)+ch]
	}
	for y := range h {
		py := c.Y0 + (float64(y)+0.5)*c.Scale - 0.5
		y0 := int(math.Floor(py))
		ty := float32(py - float64(y0))
		for x := range w {
			ox := float64(x)
			if c.Mirror {
				ox = float64(w-1) - ox
			}
			px := c.X0 + (ox+0.5)*c.Scale - 0.5
			x0 := int(math.Floor(px))
			tx := float32(px - float64(x0))
			o := 3 * (y*w + x)
			for ch := range 3 {
				top := at(x0, y0, ch)*(1-tx) + at(x0+1, y0, ch)*tx
				bot := at(x0, y0+1, ch)*(1-tx) + at(x0+1, y0+1, ch)*tx
				pix[o+ch] = (top*(1-ty) + bot*ty) * float32(c.Gain)
			}
		}
	}
}

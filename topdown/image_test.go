package topdown

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// TestToRGBFastPaths compares each fast path with the generic At() conversion.
func TestToRGBFastPaths(t *testing.T) {
	src := noiseImage(37, 23, 4)
	nrgba := image.NewNRGBA(image.Rect(0, 0, 37, 23))
	rgba := image.NewRGBA(image.Rect(0, 0, 37, 23))
	gray := image.NewGray(image.Rect(0, 0, 37, 23))
	for y := 0; y < 23; y++ {
		for x := 0; x < 37; x++ {
			i := 3 * (y*37 + x)
			c := color.NRGBA{src.Pix[i], src.Pix[i+1], src.Pix[i+2], 255}
			nrgba.SetNRGBA(x, y, c)
			rgba.SetRGBA(x, y, color.RGBA{c.R, c.G, c.B, 255})
			gray.SetGray(x, y, color.Gray{c.G})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, nrgba, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	ycc, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ycc.(*image.YCbCr); !ok {
		t.Fatalf("JPEG decoded to %T", ycc)
	}
	sub := nrgba.SubImage(image.Rect(3, 2, 30, 20))
	yccSub := ycc.(*image.YCbCr).SubImage(image.Rect(3, 5, 31, 22))
	images := map[string]image.Image{"nrgba": nrgba, "rgba": rgba, "gray": gray, "ycbcr": ycc, "sub-image": sub, "ycbcr sub-image": yccSub}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411} {
		m := image.NewYCbCr(image.Rect(1, 3, 30, 20), ratio)
		for i := range m.Y {
			m.Y[i] = uint8(i * 7)
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = uint8(i*13), uint8(255-i*5)
		}
		images[ratio.String()] = m
	}
	for name, img := range images {
		got, err := ToRGB(img)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if got.W != b.Dx() || got.H != b.Dy() {
			t.Fatalf("%s: size %dx%d", name, got.W, got.H)
		}
		for y := 0; y < got.H; y++ {
			for x := 0; x < got.W; x++ {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				i := 3 * (y*got.W + x)
				if got.Pix[i] != uint8(r>>8) || got.Pix[i+1] != uint8(g>>8) || got.Pix[i+2] != uint8(bl>>8) {
					t.Fatalf("%s pixel (%d, %d): %v, want %v %v %v", name, x, y, got.Pix[i:i+3], r>>8, g>>8, bl>>8)
				}
			}
		}
	}
	if _, err := ToRGB(nil); err == nil {
		t.Error("nil image accepted")
	}
}

package dataset

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/posedistill/posedistill/atomicfile"
)

// JPEGQuality is the quality SaveImage uses for .jpg and .jpeg files.
const JPEGQuality = 95

// LoadImage decodes a JPEG or PNG file (the format is sniffed from the content, not the name).
// Missing, truncated and undecodable files are errors naming the file.
func LoadImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load image %s: %w", path, err)
	}
	defer f.Close()
	img, err := decodeImage(f)
	if err != nil {
		return nil, fmt.Errorf("load image %s: %w", path, err)
	}
	return img, nil
}

// decodeImage decodes JPEG or PNG, turning an unexpected end of data into a clear message.
func decodeImage(r io.Reader) (image.Image, error) {
	var head [8]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.ErrUnexpectedEOF {
		if err == io.EOF {
			return nil, errors.New("empty file")
		}
		return nil, err
	}
	body := io.MultiReader(strings.NewReader(string(head[:n])), r)
	var img image.Image
	switch {
	case n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		img, err = jpeg.Decode(body)
	case n == 8 && string(head[:]) == "\x89PNG\r\n\x1a\n":
		img, err = png.Decode(body)
	default:
		return nil, fmt.Errorf("not a JPEG or PNG file (starts with % x)", head[:n])
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || (err != nil && truncationMessage(err.Error())) {
		return nil, fmt.Errorf("truncated image data: %w", err)
	}
	return img, err
}

// truncationMessage recognizes how image/png ("not enough pixel data") and image/jpeg ("short
// Huffman data") report data that ends early.
func truncationMessage(msg string) bool {
	return strings.Contains(msg, "not enough pixel data") || strings.Contains(msg, "short Huffman data")
}

// SaveImage writes img atomically as PNG or JPEG (quality JPEGQuality), chosen by the file
// extension (.png, .jpg, .jpeg; any case).
func SaveImage(path string, img image.Image) error {
	if img == nil {
		return fmt.Errorf("save image %s: nil image", path)
	}
	var encode func(io.Writer) error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		encode = func(w io.Writer) error { return png.Encode(w, img) }
	case ".jpg", ".jpeg":
		encode = func(w io.Writer) error { return jpeg.Encode(w, img, &jpeg.Options{Quality: JPEGQuality}) }
	default:
		return fmt.Errorf("save image %s: unknown extension %q (want .png, .jpg or .jpeg)", path, filepath.Ext(path))
	}
	if err := atomicfile.Write(path, encode); err != nil {
		return fmt.Errorf("save image: %w", err)
	}
	return nil
}

// CheckImages checks that every image of the dataset exists under dir, has a JPEG or PNG header
// that decodes, and has the width and height the dataset gives it (when non-zero). Only headers
// are read, so truncated files pass; VerifyImages catches those. The error lists the first
// problems, each naming the file and the image id.
func (d *Dataset) CheckImages(ctx context.Context, dir string) error {
	return d.checkImages(ctx, dir, imageConfig)
}

// VerifyImages is CheckImages with every image decoded in full, which also catches truncated and
// corrupt image data (and takes as long as loading every image once).
func (d *Dataset) VerifyImages(ctx context.Context, dir string) error {
	return d.checkImages(ctx, dir, func(path string) (image.Config, error) {
		img, err := LoadImage(path)
		if err != nil {
			return image.Config{}, err
		}
		b := img.Bounds()
		return image.Config{Width: b.Dx(), Height: b.Dy()}, nil
	})
}

// checkImages runs inspect on every image file and compares sizes.
func (d *Dataset) checkImages(ctx context.Context, dir string, inspect func(path string) (image.Config, error)) error {
	var p problems
	for i := range d.Images {
		if err := ctx.Err(); err != nil {
			return err
		}
		im := &d.Images[i]
		path := filepath.Join(dir, filepath.FromSlash(im.FileName))
		cfg, err := inspect(path)
		switch {
		case err != nil:
			p.addf("image id %d: %w", im.ID, err)
		case (im.Width != 0 && cfg.Width != im.Width) || (im.Height != 0 && cfg.Height != im.Height):
			p.addf("image id %d: %s is %dx%d, the dataset says %dx%d", im.ID, path, cfg.Width, cfg.Height, im.Width, im.Height)
		}
	}
	return p.err()
}

// imageConfig reads the size of a JPEG or PNG file from its header.
func imageConfig(path string) (image.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, err // the *PathError names the file
	}
	defer f.Close()
	var head [8]byte
	n, _ := io.ReadFull(f, head[:])
	body := io.MultiReader(strings.NewReader(string(head[:n])), f)
	var cfg image.Config
	switch {
	case n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		cfg, err = jpeg.DecodeConfig(body)
	case n == 8 && string(head[:]) == "\x89PNG\r\n\x1a\n":
		cfg, err = png.DecodeConfig(body)
	default:
		return cfg, fmt.Errorf("%s: not a JPEG or PNG file", path)
	}
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

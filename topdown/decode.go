package topdown

import (
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG decoding for LoadImageFile
	_ "image/png"  // register PNG decoding for LoadImageFile
	"os"
)

// LoadImageFile decodes a JPEG or PNG file: the default image loader of a Loader.
func LoadImageFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return img, nil
}

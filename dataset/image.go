package dataset

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
)

// JPEGQuality is the quality SaveImage uses for .jpg and .jpeg files.
const JPEGQuality = 95

// MaxImagePixels bounds the size of every image posedistill decodes: width × height, read from
// the file's header, is checked before any pixel memory is allocated. The default, 64 Mpx (e.g.
// 8192×8192), decodes to at most 256 MB (4 bytes a pixel); a 69-byte PNG header claiming
// 65535×65535 is refused instead of asking for 17 GB. Raise it for larger photos.
var MaxImagePixels int64 = 64 << 20

// MaxImageBytes bounds the size of an image file (it is read into memory before decoding).
var MaxImageBytes int64 = 512 << 20

// ImageReadTimeout bounds the time reading one image file may take (a stalled network file
// system); 0 disables the deadline. Cancelling the context stops a read at once.
var ImageReadTimeout = 2 * time.Minute

// Errors of the image loader, wrapped by its errors.
var (
	// ErrImageTooLarge: the header announces more than MaxImagePixels, or the file is larger than
	// MaxImageBytes.
	ErrImageTooLarge = errors.New("image too large")
	// ErrNotRegularFile: a FIFO, device, socket or directory where an image file should be.
	ErrNotRegularFile = errors.New("not a regular file")
	// ErrOutsideRoot: an image path that leaves its dataset's folder.
	ErrOutsideRoot = errors.New("path leaves the dataset folder")
)

// LoadImage decodes a JPEG or PNG file (the format is sniffed from the content, not the name).
// It is LoadImageContext without a context.
func LoadImage(path string) (image.Image, error) {
	return LoadImageContext(context.Background(), path)
}

// LoadImageContext is the image loader of the project: it opens regular files only (a FIFO or a
// device is refused, never waited on), reads the file honouring ctx and ImageReadTimeout, checks
// the size in the header against MaxImagePixels before decoding, then decodes JPEG or PNG.
// Missing, oversized, truncated and undecodable files are errors naming the file.
func LoadImageContext(ctx context.Context, path string) (image.Image, error) {
	data, err := readImageFile(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("load image %s: %w", path, err)
	}
	cfg, err := decodeImageConfig(bytes.NewReader(data))
	if err == nil {
		err = checkPixels(cfg)
	}
	if err == nil {
		var img image.Image
		if img, err = decodeImage(bytes.NewReader(data)); err == nil {
			return img, nil
		}
	}
	return nil, fmt.Errorf("load image %s: %w", path, err)
}

// checkPixels refuses an image whose header announces more than MaxImagePixels.
func checkPixels(cfg image.Config) error {
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("empty image (%dx%d)", cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return fmt.Errorf("%w: the header says %dx%d, more than dataset.MaxImagePixels (%d)", ErrImageTooLarge, cfg.Width, cfg.Height, MaxImagePixels)
	}
	return nil
}

// readImageFile reads a regular file of at most MaxImageBytes, giving up when ctx is done or
// ImageReadTimeout passes (the blocked read then finishes in the background).
func readImageFile(ctx context.Context, path string) ([]byte, error) {
	return withDeadline(ctx, func() ([]byte, error) {
		f, err := openRegular(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var buf bytes.Buffer
		if st, err := f.Stat(); err == nil && st.Size() > 0 && st.Size() <= MaxImageBytes {
			buf.Grow(int(st.Size()) + 1)
		}
		_, err = buf.ReadFrom(io.LimitReader(f, MaxImageBytes+1))
		data := buf.Bytes()
		if err == nil && int64(len(data)) > MaxImageBytes {
			err = fmt.Errorf("%w: the file is larger than dataset.MaxImageBytes (%d)", ErrImageTooLarge, MaxImageBytes)
		}
		return data, err
	})
}

// withDeadline runs a file operation that can block (open and read on a stalled file system)
// and returns its result, or ctx's cause as soon as ctx is done or ImageReadTimeout has passed;
// the operation then finishes in the background and its result is dropped.
func withDeadline[T any](ctx context.Context, op func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if ImageReadTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, ImageReadTimeout, fmt.Errorf("reading took longer than %s (a stalled file system?)", ImageReadTimeout))
		defer cancel()
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := op()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return zero, context.Cause(ctx)
	}
}

// openRegular opens path for reading without blocking (a FIFO without a writer would block
// open) and refuses anything but a regular file. The *PathError of a missing file names it.
func openRegular(path string) (*os.File, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w (%s)", ErrNotRegularFile, describeMode(st.Mode()))
	}
	return f, nil
}

// describeMode names a non-regular file's kind.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// sniff returns the 8 first bytes of r and a reader of all of r.
func sniff(r io.Reader) ([]byte, io.Reader, error) {
	var head [8]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.ErrUnexpectedEOF {
		if err == io.EOF {
			return nil, nil, errors.New("empty file")
		}
		return nil, nil, err
	}
	return head[:n], io.MultiReader(bytes.NewReader(head[:n]), r), nil
}

// notImage is the error of a file that is neither JPEG nor PNG. It does not quote the file's
// bytes: a path that reached the wrong file must not print what it holds.
func notImage(head []byte) error {
	return fmt.Errorf("not a JPEG or PNG file")
}

// decodeImageConfig reads the format and size of a JPEG or PNG from its header.
func decodeImageConfig(r io.Reader) (image.Config, error) {
	head, body, err := sniff(r)
	if err != nil {
		return image.Config{}, err
	}
	var cfg image.Config
	switch {
	case isJPEG(head):
		cfg, err = jpeg.DecodeConfig(body)
	case isPNG(head):
		cfg, err = png.DecodeConfig(body)
	default:
		return cfg, notImage(head)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("truncated image header: %w", err)
	}
	return cfg, err
}

func isJPEG(head []byte) bool {
	return len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF
}

func isPNG(head []byte) bool { return string(head) == "\x89PNG\r\n\x1a\n" }

// decodeImage decodes JPEG or PNG, turning an unexpected end of data into a clear message.
func decodeImage(r io.Reader) (image.Image, error) {
	head, body, err := sniff(r)
	if err != nil {
		return nil, err
	}
	var img image.Image
	switch {
	case isJPEG(head):
		img, err = jpeg.Decode(body)
	case isPNG(head):
		img, err = png.Decode(body)
	default:
		return nil, notImage(head)
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

// ImagePath returns the path of a dataset image, fileName (a COCO file_name, slash-separated)
// under root, refusing names that leave root ("../x", an absolute path elsewhere) with an error
// wrapping ErrOutsideRoot. It does not touch the file system; ResolveImagePath also follows
// symbolic links.
func ImagePath(root, fileName string) (string, error) {
	if fileName == "" {
		return "", errors.New("empty file_name")
	}
	name := filepath.FromSlash(fileName)
	if filepath.IsAbs(name) || filepath.VolumeName(name) != "" {
		return "", fmt.Errorf("file_name %q: %w %s (absolute path)", fileName, ErrOutsideRoot, root)
	}
	p := filepath.Join(root, name)
	if !within(filepath.Clean(root), p) {
		return "", fmt.Errorf("file_name %q: %w %s", fileName, ErrOutsideRoot, root)
	}
	return p, nil
}

// ResolveImagePath is ImagePath that also resolves symbolic links: a link inside the dataset
// that points outside it is refused (link the dataset folder itself instead). A file that does
// not exist is not an error here (its path is returned; opening it reports it).
func ResolveImagePath(root, fileName string) (string, error) {
	p, err := ImagePath(root, fileName)
	if err != nil {
		return "", err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("dataset folder: %w", err)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		if os.IsNotExist(err) {
			return p, nil
		}
		return "", err
	}
	if !within(realRoot, real) {
		return "", fmt.Errorf("file_name %q: %w %s (a symbolic link to %s)", fileName, ErrOutsideRoot, root, real)
	}
	return p, nil
}

// within reports whether path p is root or below it (both cleaned, the same kind).
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
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

// CheckImages checks, in parallel and reading headers only, that every image of the dataset is
// a regular file under dir (its file_name, symbolic links resolved, does not leave dir) with a
// JPEG or PNG header, a size within MaxImagePixels and the width and height the dataset gives it
// (when non-zero). Truncated files pass; VerifyImages catches those. The error lists the first
// problems, each naming the file and the image id; BadImages returns them all.
func (d *Dataset) CheckImages(ctx context.Context, dir string) error {
	bad, err := d.BadImages(ctx, dir)
	if err != nil {
		return err
	}
	return BadImagesError(bad)
}

// VerifyImages is CheckImages with every image decoded in full, which also catches truncated and
// corrupt image data (and takes as long as loading every image once).
func (d *Dataset) VerifyImages(ctx context.Context, dir string) error {
	bad, err := d.badImages(ctx, dir, func(ctx context.Context, path string) (image.Config, error) {
		img, err := LoadImageContext(ctx, path)
		if err != nil {
			return image.Config{}, err
		}
		b := img.Bounds()
		return image.Config{Width: b.Dx(), Height: b.Dy()}, nil
	})
	if err != nil {
		return err
	}
	return BadImagesError(bad)
}

// BadImage is an image that failed CheckImages.
type BadImage struct {
	ID       int64
	FileName string
	Err      error
}

func (b BadImage) Error() string { return fmt.Sprintf("image id %d: %v", b.ID, b.Err) }

func (b BadImage) Unwrap() error { return b.Err }

// BadImages returns the images that fail CheckImages' checks, in dataset order. The error is
// only ctx's.
func (d *Dataset) BadImages(ctx context.Context, dir string) ([]BadImage, error) {
	return d.badImages(ctx, dir, imageConfig)
}

// BadImagesError lists the first bad images in one error (nil for none).
func BadImagesError(bad []BadImage) error {
	var p problems
	for _, b := range bad {
		p.addf("%w", b)
	}
	if err := p.err(); err != nil {
		return fmt.Errorf("%d bad images: %w", len(bad), err)
	}
	return nil
}

// badImages runs inspect on every image file with parallel workers and compares sizes.
func (d *Dataset) badImages(ctx context.Context, dir string, inspect func(ctx context.Context, path string) (image.Config, error)) ([]BadImage, error) {
	errs := make([]error, len(d.Images))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(len(d.Images), 4*runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				im := &d.Images[i]
				path, err := ResolveImagePath(dir, im.FileName)
				if err != nil {
					errs[i] = err
					continue
				}
				cfg, err := inspect(ctx, path)
				switch {
				case err != nil:
					errs[i] = err
				case (im.Width != 0 && cfg.Width != im.Width) || (im.Height != 0 && cfg.Height != im.Height):
					errs[i] = fmt.Errorf("%s is %dx%d, the dataset says %dx%d", path, cfg.Width, cfg.Height, im.Width, im.Height)
				}
			}
		}()
	}
	var cerr error
feed:
	for i := range d.Images {
		select {
		case next <- i:
		case <-ctx.Done():
			cerr = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if cerr != nil {
		return nil, cerr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var bad []BadImage
	for i, err := range errs {
		if err != nil {
			bad = append(bad, BadImage{ID: d.Images[i].ID, FileName: d.Images[i].FileName, Err: err})
		}
	}
	return bad, nil
}

// imageConfig reads the size of a JPEG or PNG file from its header (a regular file only) and
// checks it against MaxImagePixels.
func imageConfig(ctx context.Context, path string) (image.Config, error) {
	return withDeadline(ctx, func() (image.Config, error) { return headerConfig(path) })
}

// headerConfig is imageConfig without the deadline.
func headerConfig(path string) (image.Config, error) {
	f, err := openRegular(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return image.Config{}, err // the *PathError names the file
		}
		return image.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	cfg, err := decodeImageConfig(bufio.NewReaderSize(f, 4096))
	if err == nil {
		err = checkPixels(cfg)
	}
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

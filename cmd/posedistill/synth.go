package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/synth"
)

// runSynth renders a synthetic people dataset: images, COCO JSON per split and a contact sheet.
func runSynth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("synth", "synth [--out DIR] [--images N] [--size WxH] [--people MIN-MAX] [--person-height MIN-MAX] [--seed S] [--val-fraction F] [--occlusion heavy] [--sequences K --frames F --fps R] [--backgrounds DIR]", stderr)
	out := fs.String("out", "out/synth", "output directory")
	images := fs.Int("images", 200, "number of still images (train + val)")
	size := fs.String("size", "256x256", "image size WxH")
	people := fs.String("people", "1-3", "people per image: N or MIN-MAX")
	height := fs.String("person-height", "0.14-2.5", "full-body height of each person as a fraction of the image height, MIN-MAX (drawn log-uniformly; above 1 the person is cut by the border)")
	seed := fs.Uint64("seed", 1, "random seed (same seed, same bytes)")
	val := fs.Float64("val-fraction", 0.1, "fraction of the still images written to val.json")
	occl := fs.String("occlusion", "normal", "occlusion level: light (clutter only behind people), normal, or heavy (people clustered, occluders in front; OCHuman-like)")
	seqs := fs.Int("sequences", 0, "number of video sequences (written to sequences.json)")
	frames := fs.Int("frames", 30, "frames per sequence")
	fps := fs.Float64("fps", 30, "sequence frame rate")
	format := fs.String("format", "jpg", "image format: jpg (quality 95) or png")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel workers (the output does not depend on it)")
	sheet := fs.Int("sheet", 16, "images on the contact sheet (0: none)")
	photos := fs.String("backgrounds", "", "directory of JPEG/PNG photographs WITHOUT people, used as backgrounds")
	photoFrac := fs.Float64("photo-fraction", 0.5, "with --backgrounds: fraction of images on a photograph")
	backViews := fs.Float64("back-views", synth.DefaultBackViews, "share of people seen from behind (0 to 1)")
	limbClutter := fs.Bool("limb-clutter", false, "add thin poles shaped like limbs to the clutter (harder data)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	bad := func(err error) error {
		fmt.Fprintf(fs.Output(), "posedistill synth: %v\n", err)
		return errUsage
	}
	if *workers < 1 {
		return bad(fmt.Errorf("--workers %d: want at least 1", *workers))
	}
	var opt synth.Options
	var err error
	if opt.Width, opt.Height, err = parseSize(*size); err != nil {
		return bad(err)
	}
	if opt.MinPeople, opt.MaxPeople, err = parseRange(*people); err != nil {
		return bad(err)
	}
	if opt.MinHeight, opt.MaxHeight, err = parseFloatRange(*height); err != nil {
		return bad(fmt.Errorf("--person-height: %w", err))
	}
	if !(*backViews >= 0 && *backViews <= 1) {
		return bad(fmt.Errorf("--back-views %g: want a share between 0 and 1", *backViews))
	}
	opt.BackViews, opt.LimbClutter = *backViews, *limbClutter
	if *backViews == 0 {
		opt.BackViews = -1 // none
	}
	switch *occl {
	case "normal":
	case "heavy":
		opt.HeavyOcclusion = true
	case "light":
		opt.LightOcclusion = true
	default:
		return bad(fmt.Errorf("--occlusion %q: want light, normal or heavy", *occl))
	}
	if *photos != "" {
		if opt.Photos, err = loadPhotos(*photos); err != nil {
			return err
		}
		opt.PhotoFraction = *photoFrac
	}
	r, err := synth.NewRenderer(opt)
	if err != nil {
		return bad(err)
	}
	wo := synth.WriteOptions{
		Dir: *out, Seed: *seed, Images: *images, ValFraction: *val, Sequences: *seqs,
		Sequence: synth.SequenceOptions{Frames: *frames, FPS: *fps}, Format: *format,
		Workers: *workers, SheetImages: *sheet, Progress: stderr,
	}
	if err := wo.Check(); err != nil {
		return bad(err)
	}
	// A rerun renders into a new folder that replaces --out only once complete: a run that
	// fails half way leaves the previous dataset whole, never its JSON over new images.
	var written []synth.Written
	err = atomicfile.ReplaceDir(*out, synthOutputs, func(tmp string) error {
		wo.Dir = tmp
		var err error
		written, err = synth.WriteDataset(ctx, r, wo)
		return err
	})
	if err != nil {
		return err
	}
	for _, w := range written {
		fmt.Fprintf(stdout, "%s: %d images, %d people\n", filepath.Join(*out, filepath.Base(w.Path)), w.Images, w.People)
	}
	return nil
}

// synthOutputs are the names synth writes in its folder; a folder holding anything else is not
// replaced.
var synthOutputs = []string{"train.json", "val.json", "sequences.json", "images", "contact_sheet.png"}

// loadPhotos loads every .jpg, .jpeg and .png file of dir, in name order.
func loadPhotos(dir string) ([]image.Image, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("backgrounds: %w", err)
	}
	var imgs []image.Image
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png":
		default:
			continue
		}
		img, err := dataset.LoadImage(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("backgrounds: %w", err)
		}
		imgs = append(imgs, img)
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("backgrounds: no .jpg or .png file in %s", dir)
	}
	return imgs, nil
}

// parseSize parses "WxH".
func parseSize(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		w, err = strconv.Atoi(a)
		if err == nil {
			h, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("--size %q: want WxH, e.g. 256x256", s)
	}
	return w, h, nil
}

// parseRange parses "N" or "MIN-MAX" of people counts (0 <= MIN <= MAX).
func parseRange(s string) (lo, hi int, err error) {
	lo, hi, err = cutRange(s, strconv.Atoi)
	if err != nil || lo < 0 || hi < lo {
		return 0, 0, fmt.Errorf("--people %q: want N or MIN-MAX with 0 <= MIN <= MAX", s)
	}
	return lo, hi, nil
}

// parseFloatRange parses "X" or "MIN-MAX" of positive numbers.
func parseFloatRange(s string) (lo, hi float64, err error) {
	lo, hi, err = cutRange(s, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
	if err != nil || !(lo > 0) || hi < lo {
		return 0, 0, fmt.Errorf("%q: want X or MIN-MAX with 0 < MIN <= MAX", s)
	}
	return lo, hi, nil
}

// cutRange parses "V" (lo = hi = V) or "LO-HI" with parse.
func cutRange[T any](s string, parse func(string) (T, error)) (lo, hi T, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	if lo, err = parse(a); err != nil {
		return lo, hi, err
	}
	hi, err = parse(b)
	return lo, hi, err
}

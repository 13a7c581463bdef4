package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/progress"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/synth"
)

// synthConfig is the parsed command line of "posedistill synth".
type synthConfig struct {
	out         string
	images      int
	opt         synth.Options
	seed        uint64
	valFraction float64
	sequences   int
	seqOpt      synth.SequenceOptions
	format      string
	workers     int
	sheet       int
}

// runSynth renders a synthetic people dataset: images, COCO JSON per split and a contact sheet.
func runSynth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("synth", "synth [--out DIR] [--images N] [--size WxH] [--people MIN-MAX] [--seed S] [--val-fraction F] [--occlusion heavy] [--sequences K --frames F --fps R]", stderr)
	out := fs.String("out", "out/synth", "output directory")
	images := fs.Int("images", 200, "number of still images (train + val)")
	size := fs.String("size", "256x256", "image size WxH")
	people := fs.String("people", "1-3", "people per image: N or MIN-MAX")
	seed := fs.Uint64("seed", 1, "random seed (same seed, same bytes)")
	val := fs.Float64("val-fraction", 0.1, "fraction of the still images written to val.json")
	occl := fs.String("occlusion", "normal", "occlusion level: normal or heavy (clustered, OCHuman-like)")
	seqs := fs.Int("sequences", 0, "number of video sequences (written to sequences.json)")
	frames := fs.Int("frames", 30, "frames per sequence")
	fps := fs.Float64("fps", 30, "sequence frame rate")
	format := fs.String("format", "jpg", "image format: jpg (quality 95) or png")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel workers (output does not depend on it)")
	sheet := fs.Int("sheet", 16, "images on the contact sheet (0: none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg := synthConfig{
		out: *out, images: *images, seed: *seed, valFraction: *val, sequences: *seqs,
		seqOpt: synth.SequenceOptions{Frames: *frames, FPS: *fps}, format: *format,
		workers: *workers, sheet: *sheet,
	}
	var err error
	if cfg.opt.Width, cfg.opt.Height, err = parseSize(*size); err != nil {
		return usageError(fs.Output(), err)
	}
	if cfg.opt.MinPeople, cfg.opt.MaxPeople, err = parseRange(*people); err != nil {
		return usageError(fs.Output(), err)
	}
	switch *occl {
	case "normal", "":
	case "heavy":
		cfg.opt.HeavyOcclusion = true
	default:
		return usageError(fs.Output(), fmt.Errorf("--occlusion %q: want normal or heavy", *occl))
	}
	if err := cfg.check(); err != nil {
		return usageError(fs.Output(), err)
	}
	return synthesize(ctx, &cfg, stdout, stderr)
}

// usageError prints a command-line mistake and returns errUsage.
func usageError(w io.Writer, err error) error {
	fmt.Fprintf(w, "posedistill synth: %v\n", err)
	return errUsage
}

// check validates the parsed configuration.
func (c *synthConfig) check() error {
	switch {
	case c.images < 0:
		return fmt.Errorf("--images %d is negative", c.images)
	case !(c.valFraction >= 0 && c.valFraction <= 1):
		return fmt.Errorf("--val-fraction %g outside [0, 1]", c.valFraction)
	case c.sequences < 0:
		return fmt.Errorf("--sequences %d is negative", c.sequences)
	case c.format != "jpg" && c.format != "png":
		return fmt.Errorf("--format %q: want jpg or png", c.format)
	case c.images+c.sequences == 0:
		return fmt.Errorf("nothing to render: --images and --sequences are both 0")
	}
	if c.sequences > 0 {
		if err := c.seqOpt.Validate(); err != nil {
			return err
		}
	}
	return c.opt.Validate()
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

// parseRange parses "N" or "MIN-MAX".
func parseRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	lo, err = strconv.Atoi(a)
	if err == nil {
		hi, err = strconv.Atoi(b)
	}
	if err != nil || lo < 0 || hi < lo {
		return 0, 0, fmt.Errorf("--people %q: want N or MIN-MAX with 0 <= MIN <= MAX", s)
	}
	return lo, hi, nil
}

// synthItem is one rendered image ready for its annotation file.
type synthItem struct {
	image dataset.Image
	anns  []dataset.Annotation
	frame *synth.Frame // kept only for the contact sheet
}

// synthesize renders everything and writes the files.
func synthesize(ctx context.Context, c *synthConfig, stdout, stderr io.Writer) error {
	r, err := synth.NewRenderer(c.opt)
	if err != nil {
		return err
	}
	imgDir := filepath.Join(c.out, "images")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", imgDir, err)
	}
	nVal := int(math.Round(float64(c.images) * c.valFraction))
	nTrain := c.images - nVal
	total := c.images + c.sequences*c.seqOpt.Frames
	info := map[string]any{
		"description":  "posedistill synthetic people",
		"seed":         c.seed,
		"size":         fmt.Sprintf("%dx%d", c.opt.Width, c.opt.Height),
		"people":       fmt.Sprintf("%d-%d", c.opt.MinPeople, c.opt.MaxPeople),
		"keypoints_3d": skeleton.H36MFace().Joints,
	}
	newSet := func(split string) *dataset.Dataset {
		inf := map[string]any{"split": split}
		for k, v := range info {
			inf[k] = v
		}
		return &dataset.Dataset{Info: inf, Images: []dataset.Image{}, Annotations: []dataset.Annotation{}, Categories: []dataset.Category{synth.Category()}}
	}
	train, valSet, seqSet := newSet("train"), newSet("val"), newSet("sequences")
	sheetN := min(c.sheet, total)

	work := func(i int) (synthItem, error) {
		var f *synth.Frame
		var err error
		img := dataset.Image{ID: int64(i + 1), Width: c.opt.Width, Height: c.opt.Height}
		if i < c.images {
			f, err = r.Still(c.seed, i)
			img.FileName = fmt.Sprintf("images/%06d.%s", i+1, c.format)
		} else {
			k := i - c.images
			seq, fr := k/c.seqOpt.Frames, k%c.seqOpt.Frames
			f, err = r.SequenceFrame(c.seed, seq, fr, c.seqOpt)
			img.FileName = fmt.Sprintf("images/seq%03d_%05d.%s", seq+1, fr, c.format)
			img.SequenceID, img.FrameIndex, img.Timestamp = int64(seq+1), fr, float64(fr)/c.seqOpt.FPS
		}
		if err != nil {
			return synthItem{}, err
		}
		cam := f.Camera
		img.Camera = &cam
		if err := dataset.SaveImage(filepath.Join(c.out, img.FileName), f.Image); err != nil {
			return synthItem{}, err
		}
		it := synthItem{image: img}
		for _, p := range f.People {
			a, err := p.Annotation(0, img.ID)
			if err != nil {
				return synthItem{}, fmt.Errorf("%s: %w", img.FileName, err)
			}
			it.anns = append(it.anns, a)
		}
		if i < sheetN {
			it.frame = f
		}
		return it, nil
	}
	bar := progress.New(stderr, total, "synth")
	var sheet []*synth.Frame
	annID := int64(0)
	collect := func(i int, it synthItem) error {
		set := seqSet
		switch {
		case i < nTrain:
			set = train
		case i < c.images:
			set = valSet
		}
		set.Images = append(set.Images, it.image)
		for _, a := range it.anns {
			annID++
			a.ID = annID
			set.Annotations = append(set.Annotations, a)
		}
		if it.frame != nil {
			sheet = append(sheet, it.frame)
		}
		bar.Add(1)
		return nil
	}
	err = synth.Parallel(ctx, total, c.workers, work, collect)
	bar.Done()
	if err != nil {
		return err
	}
	outputs := []struct {
		name string
		d    *dataset.Dataset
		want bool
	}{{"train.json", train, c.images > 0}, {"val.json", valSet, c.images > 0}, {"sequences.json", seqSet, c.sequences > 0}}
	for _, o := range outputs {
		if !o.want {
			continue
		}
		if err := dataset.Write(filepath.Join(c.out, o.name), o.d); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d images, %d people\n", filepath.Join(c.out, o.name), len(o.d.Images), len(o.d.Annotations))
	}
	if len(sheet) > 0 {
		path := filepath.Join(c.out, "contact_sheet.png")
		if err := writeContactSheet(path, sheet); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d images\n", path, len(sheet))
	}
	return nil
}

// writeContactSheet draws masks, boxes and skeletons with visibility on each frame and lays the
// frames out in a grid.
func writeContactSheet(path string, frames []*synth.Frame) error {
	coco := skeleton.COCO17()
	var imgs []image.Image
	for _, f := range frames {
		im := image.NewRGBA(f.Image.Rect)
		copy(im.Pix, f.Image.Pix)
		st := render.DefaultStyle(im.Rect.Dy())
		for k, p := range f.People {
			if err := render.Mask(im, &p.Mask, render.Palette(k), 0.3); err != nil {
				return fmt.Errorf("contact sheet %s: %w", path, err)
			}
			render.Box(im, p.BBox, st.Bone*0.7, render.Palette(k))
			if err := render.Skeleton(im, coco, p.Keypoints, st); err != nil {
				return fmt.Errorf("contact sheet %s: %w", path, err)
			}
		}
		imgs = append(imgs, im)
	}
	cols := int(math.Ceil(math.Sqrt(float64(len(imgs)))))
	b := frames[0].Image.Rect
	grid, err := render.Grid(imgs, cols, b.Dx(), b.Dy(), 4, color.RGBA{255, 255, 255, 255})
	if err != nil {
		return fmt.Errorf("contact sheet %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, grid) })
}

package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"path/filepath"

	"github.com/posedistill/posedistill/codec"
	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/skeleton"
	"github.com/posedistill/posedistill/topdown"
)

// runCrops writes a contact sheet of top-down training samples as the network sees them: the
// crops (with augmentation when asked), their heatmap targets tinted red and the joints drawn,
// to check the data pipeline on a dataset.
func runCrops(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crops", "crops --data ANN.json --out SHEET.png [--images DIR] [--n 16] [--seed 1] [--augment] [--codec udp] [--input 256x192]", stderr)
	data := fs.String("data", "", "COCO keypoint annotation `file` (required)")
	images := fs.String("images", "", "`directory` the images' file names are relative to (default: the annotation file's)")
	out := fs.String("out", "", "contact sheet PNG `file` to write (required)")
	n := fs.Int("n", 16, "number of samples")
	seed := fs.Uint64("seed", 1, "seed of the order and of the augmentation")
	augment := fs.Bool("augment", false, "apply the default training augmentation (flip, half body, shift, scale, rotation)")
	kind := fs.String("codec", "udp", "heatmap convention: msra, unbiased, udp or integral")
	input := fs.String("input", "256x192", "network input `HxW`; heatmaps are a quarter of it")
	sigma := fs.Float64("sigma", 2, "gaussian sigma in heatmap pixels")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" || *out == "" || *n <= 0 {
		fmt.Fprintln(stderr, "crops: --data and --out are required, --n must be positive")
		fs.Usage()
		return errUsage
	}
	k, err := codec.ParseKind(*kind)
	if err != nil {
		return err
	}
	ih, iw, err := parseHxW(*input)
	if err != nil {
		return fmt.Errorf("--input: %w", err)
	}
	c, err := codec.New(k, iw, ih, iw/4, ih/4, *sigma)
	if err != nil {
		return err
	}
	d, err := dataset.Read(ctx, *data, dataset.ReadOptions{})
	if err != nil {
		return err
	}
	dir := *images
	if dir == "" {
		dir = filepath.Dir(*data)
	}
	insts, err := personInstances(d, dir)
	if err != nil {
		return fmt.Errorf("%s: %w", *data, err)
	}
	if len(insts) == 0 {
		return fmt.Errorf("%s: no labelled person", *data)
	}
	set := skeleton.COCO17()
	cfg := topdown.NewConfig(c, set)
	if *augment {
		a := topdown.DefaultAugment()
		cfg.Augment = &a
	}
	loader, err := topdown.NewLoader(topdown.LoaderConfig{Sample: cfg, BatchSize: 1, Workers: 1, Seed: *seed, Shuffle: true}, insts)
	if err != nil {
		return err
	}
	var cells []image.Image
	for pos := range min(*n, len(insts)) {
		s, err := loader.SampleAt(ctx, 0, pos)
		if err != nil {
			return err
		}
		img, err := cfg.Preview(s)
		if err != nil {
			return err
		}
		kps := make([]float64, 0, 3*len(s.Keypoints))
		for _, kp := range s.Keypoints {
			kps = append(kps, kp.X, kp.Y, kp.V)
		}
		if err := render.Skeleton(img, set, kps, render.DefaultStyle(ih)); err != nil {
			return err
		}
		cells = append(cells, img)
	}
	sheet, err := render.Grid(cells, 8, iw, ih, 4, color.RGBA{255, 255, 255, 255})
	if err != nil {
		return err
	}
	if err := dataset.SaveImage(*out, sheet); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d crops of %d instances to %s\n", len(cells), len(insts), *out)
	return nil
}

// personInstances lists the labelled, non-crowd persons of d with a usable box.
// Image paths that leave dir are refused.
func personInstances(d *dataset.Dataset, dir string) ([]topdown.Instance, error) {
	images := make(map[int64]dataset.Image, len(d.Images))
	for _, im := range d.Images {
		images[im.ID] = im
	}
	var out []topdown.Instance
	for _, a := range d.Annotations {
		im, ok := images[a.ImageID]
		if !ok || a.IsCrowd != 0 || a.NumKeypoints == 0 || !(a.BBox[2] > 0 && a.BBox[3] > 0) {
			continue
		}
		path, err := dataset.ResolveImagePath(dir, im.FileName)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", im.ID, err)
		}
		out = append(out, topdown.Instance{ImagePath: path, Image: im, Annotation: a})
	}
	return out, nil
}

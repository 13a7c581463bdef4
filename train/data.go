package train

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/posedistill/posedistill/dataset"
	"github.com/posedistill/posedistill/topdown"
)

// Split is one COCO-format split of a dataset directory with its person instances.
type Split struct {
	Path      string
	Data      *dataset.Dataset
	Instances []topdown.Instance
}

// ReadSplit reads dir/name (train.json or val.json, as "posedistill synth" writes them) and
// lists its labelled, non-crowd persons (num_keypoints > 0) as top-down instances; image paths
// are relative to dir.
func ReadSplit(ctx context.Context, dir, name string) (*Split, error) {
	path := filepath.Join(dir, name)
	d, err := dataset.Read(ctx, path, dataset.ReadOptions{})
	if err != nil {
		return nil, err
	}
	images := make(map[int64]dataset.Image, len(d.Images))
	for _, im := range d.Images {
		images[im.ID] = im
	}
	s := &Split{Path: path, Data: d}
	var outside []dataset.BadImage // file_names that leave dir, each image once
	seen := map[int64]bool{}
	for _, a := range d.Annotations {
		if a.IsCrowd != 0 || a.NumKeypoints == 0 || !(a.BBox[2] > 0 && a.BBox[3] > 0) {
			continue
		}
		im, ok := images[a.ImageID]
		if !ok {
			return nil, fmt.Errorf("%s: annotation %d: unknown image %d", path, a.ID, a.ImageID)
		}
		ipath, err := dataset.ImagePath(dir, im.FileName)
		if err != nil {
			if !seen[im.ID] {
				seen[im.ID] = true
				outside = append(outside, dataset.BadImage{ID: im.ID, FileName: im.FileName, Err: err})
			}
			continue
		}
		s.Instances = append(s.Instances, topdown.Instance{ImagePath: ipath, Image: im, Annotation: a})
	}
	if len(outside) > 0 {
		return nil, fmt.Errorf("%s: %w", path, dataset.BadImagesError(outside))
	}
	if len(s.Instances) == 0 {
		return nil, fmt.Errorf("%s: no labelled person", path)
	}
	return s, nil
}

// checkSplitImages checks the images of a split up front (headers only, in parallel; see
// dataset.CheckImages). Bad images are an error listing them, or with skip their instances are
// dropped with a warning on warn.
func checkSplitImages(ctx context.Context, s *Split, dir string, skip bool, warn io.Writer) error {
	bad, err := s.Data.BadImages(ctx, dir)
	if err != nil {
		return err
	}
	if len(bad) == 0 {
		return nil
	}
	if !skip {
		return fmt.Errorf("%s: %w (--skip-bad-images trains without them)", s.Path, dataset.BadImagesError(bad))
	}
	drop := make(map[int64]bool, len(bad))
	for _, b := range bad {
		drop[b.ID] = true
	}
	kept := s.Instances[:0:0]
	for _, inst := range s.Instances {
		if !drop[inst.Image.ID] {
			kept = append(kept, inst)
		}
	}
	if warn != nil {
		fmt.Fprintf(warn, "warning: %s: skipping %d bad images (%d of %d persons): %v\n", s.Path, len(bad), len(s.Instances)-len(kept), len(s.Instances), bad[0])
	}
	if len(kept) == 0 {
		return fmt.Errorf("%s: no labelled person left after skipping %d bad images", s.Path, len(bad))
	}
	s.Instances = kept
	return nil
}

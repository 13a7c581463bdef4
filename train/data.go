package train

import (
	"context"
	"fmt"
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
	for _, a := range d.Annotations {
		if a.IsCrowd != 0 || a.NumKeypoints == 0 || !(a.BBox[2] > 0 && a.BBox[3] > 0) {
			continue
		}
		im, ok := images[a.ImageID]
		if !ok {
			return nil, fmt.Errorf("%s: annotation %d: unknown image %d", path, a.ID, a.ImageID)
		}
		s.Instances = append(s.Instances, topdown.Instance{
			ImagePath: filepath.Join(dir, im.FileName), Image: im, Annotation: a,
		})
	}
	if len(s.Instances) == 0 {
		return nil, fmt.Errorf("%s: no labelled person", path)
	}
	return s, nil
}

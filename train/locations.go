package train

import (
	"context"
	"fmt"

	"github.com/posedistill/posedistill/skeleton"
)

// Root3D is the COCO-17 joint the location-map targets are relative to (left hip: COCO has no
// pelvis).
const Root3D = 11

// MetresPerUnit scales the synthetic 3D joints (millimetres) into the location-map targets
// (metres), so that location maps have the magnitude of heatmaps.
const MetresPerUnit = 1e-3

// ReadSplit3D reads a split as ReadSplit does and maps each annotation's 3D joints (synth's
// H36MFace order, millimetres) by name onto COCO-17, scaled to metres, so that the 2D and 3D
// joint sets coincide (topdown then places them at the camera projections).
func ReadSplit3D(ctx context.Context, dir, name string) (*Split, error) {
	s, err := ReadSplit(ctx, dir, name)
	if err != nil {
		return nil, err
	}
	m, err := skeleton.NewMapping(skeleton.H36MFace(), skeleton.COCO17())
	if err != nil {
		return nil, err
	}
	for i := range s.Instances {
		a := &s.Instances[i].Annotation
		if len(a.Joints3D) == 0 {
			continue
		}
		j, err := m.Apply(a.Joints3D, 3)
		if err != nil {
			return nil, fmt.Errorf("%s: annotation %d: %w", s.Path, a.ID, err)
		}
		for k := range j {
			j[k] *= MetresPerUnit
		}
		a.Joints3D = j
	}
	return s, nil
}

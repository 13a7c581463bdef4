package pose

import (
	"image"
	"io"

	"github.com/posedistill/posedistill/atomicfile"
	"github.com/posedistill/posedistill/blazepose"
	"github.com/posedistill/posedistill/render"
	"github.com/posedistill/posedistill/skeleton"
)

// Record is a COCO keypoint result (COCO-17 keypoints in image pixels, confidence as the third
// value, track id in video) with the person's box and, for BlazePose, its 33 landmarks and world
// landmarks; in video, the frame time. It is blazepose.Result, the format every model's people are
// written in: one flat JSON object that any COCO results reader reads.
type Record = blazepose.Result

// Record returns the person as a Record for imageID.
func (p Person) Record(imageID int64) Record {
	r := Record{Result: p.Result(imageID), BBox: p.Box}
	if b := p.BlazePose; b != nil && b.Pose != nil {
		for i, l := range b.Landmarks {
			r.Landmarks = append(r.Landmarks, [5]float64{l.X, l.Y, l.Z, l.Visibility, l.Presence})
			if i < len(b.Pose.World) {
				r.WorldLandmarks = append(r.WorldLandmarks, b.Pose.World[i])
			}
		}
	}
	return r
}

// Records converts people found in image imageID.
func Records(people []Person, imageID int64) []Record {
	out := make([]Record, len(people))
	for i, p := range people {
		out[i] = p.Record(imageID)
	}
	return out
}

// WriteRecords writes records as a JSON array, one record per line, atomically.
func WriteRecords(path string, records []Record) error {
	return atomicfile.Write(path, func(w io.Writer) error { return EncodeRecords(w, records) })
}

// EncodeRecords writes records as a JSON array, one record per line.
func EncodeRecords(w io.Writer, records []Record) error { return blazepose.EncodeResults(w, records) }

// MinDrawScore hides keypoints (and their bones) less confident than this in overlays.
const MinDrawScore = 0.3

// Draw paints people onto img: each person's box and skeleton (BlazePose's 33 landmarks when
// present, else COCO-17) in the palette colour of its track id, or of its rank when untracked.
func Draw(img *image.RGBA, people []Person) error {
	for i, p := range people {
		colour := i
		if p.TrackID > 0 {
			colour = int(p.TrackID - 1)
		}
		if p.BlazePose != nil {
			r, err := p.BlazePose.Result(0, 1)
			if err != nil {
				return err
			}
			r.BBox = p.Box
			if err := blazepose.Draw(img, r, nil, colour); err != nil {
				return err
			}
			continue
		}
		size := min(float64(img.Rect.Dy()), max(1.5*max(p.Box[2], p.Box[3]), 128))
		st := render.DefaultStyle(int(size))
		st.MinScore, st.Occlusion = MinDrawScore, false
		render.Box(img, p.Box, st.Bone, render.Palette(colour))
		if err := render.Skeleton(img, skeleton.COCO17(), p.Result(0).Keypoints, st); err != nil {
			return err
		}
	}
	return nil
}

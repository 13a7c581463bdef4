package dataset

import "encoding/json"

// fastPath makes Read and ReadResults try the hand-written decoders before encoding/json; only
// BenchmarkReadCOCOSized turns it off, to measure what they save.
var fastPath = true

// The JSON names of the fields the fast decoders know, without '_' and '-' (see foldsTo).
var (
	annotationFold = foldNames("id", "image_id", "category_id", "iscrowd", "num_keypoints", "area", "bbox",
		"keypoints", "segmentation", "joints_3d", "track_id")
	resultFold = foldNames("image_id", "category_id", "keypoints", "score", "track_id")
	imageFold  = foldNames(imageKnownKeys...)
)

// decodeAnnotationFast decodes an annotation in its common shapes, as encoding/json would, and
// reports false (leaving a partly set) for anything else. scratch is reused working space.
func decodeAnnotationFast(raw []byte, a *Annotation, scratch *[]float64) bool {
	l := fastLexer{b: raw}
	var seen uint32
	ok := l.object(func(key []byte) bool {
		var bit uint32
		var ok bool
		switch string(key) {
		case "id":
			bit = 1
			a.ID, ok = l.int()
		case "image_id":
			bit = 2
			a.ImageID, ok = l.int()
		case "category_id":
			bit = 4
			var v int64
			v, ok = l.int()
			a.CategoryID = int(v)
		case "iscrowd":
			bit = 8
			var v int64
			v, ok = l.int()
			a.IsCrowd = int(v)
		case "num_keypoints":
			bit = 16
			var v int64
			v, ok = l.int()
			a.NumKeypoints = int(v)
		case "area":
			bit = 32
			a.Area, ok = l.float()
		case "bbox":
			bit = 64
			var v []float64
			v, ok = l.floats((*scratch)[:0])
			*scratch = v
			ok = ok && len(v) <= 4
			copy(a.BBox[:], v)
		case "keypoints":
			bit = 128
			a.Keypoints, ok = l.floatList(scratch)
		case "joints_3d":
			bit = 256
			a.Joints3D, ok = l.floatList(scratch)
		case "track_id":
			bit = 512
			a.TrackID, ok = l.int()
		case "segmentation":
			bit = 1024
			a.Segmentation, ok = l.segmentation(scratch)
		default:
			if foldsTo(key, annotationFold) {
				return false
			}
			l.skip()
			return true
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	return ok && l.peek() == 0
}

// segmentation reads a list of polygons, or hands an RLE object to Segmentation.UnmarshalJSON as
// encoding/json would.
func (l *fastLexer) segmentation(scratch *[]float64) (*Segmentation, bool) {
	switch l.peek() {
	case '{':
		s := new(Segmentation)
		if err := s.UnmarshalJSON(l.skip()); err != nil {
			return nil, false
		}
		return s, true
	case '[':
	default:
		return nil, false
	}
	l.i++
	polys := [][]float64{}
	if l.peek() == ']' {
		l.i++
		return &Segmentation{Polygons: polys}, true
	}
	for {
		p, ok := l.floatList(scratch)
		if !ok {
			return nil, false
		}
		polys = append(polys, p)
		switch l.peek() {
		case ',':
			l.i++
		case ']':
			l.i++
			return &Segmentation{Polygons: clipped(polys)}, true
		default:
			return nil, false
		}
	}
}

// decodeResultFast decodes a detection in its common shape, as encoding/json would, and reports
// false (leaving r partly set) for anything else.
func decodeResultFast(raw []byte, r *Result, scratch *[]float64) bool {
	l := fastLexer{b: raw}
	var seen uint32
	ok := l.object(func(key []byte) bool {
		var bit uint32
		var ok bool
		switch string(key) {
		case "image_id":
			bit = 1
			r.ImageID, ok = l.int()
		case "category_id":
			bit = 2
			var v int64
			v, ok = l.int()
			r.CategoryID = int(v)
		case "keypoints":
			bit = 4
			r.Keypoints, ok = l.floatList(scratch)
		case "score":
			bit = 8
			r.Score, ok = l.float()
		case "track_id":
			bit = 16
			r.TrackID, ok = l.int()
		default:
			if foldsTo(key, resultFold) {
				return false
			}
			l.skip()
			return true
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	return ok && l.peek() == 0
}

// decodeImageFast decodes an image entry in its common shape (no camera), keeping the other
// fields in Extra exactly as Image.UnmarshalJSON does, and reports false (leaving im partly set)
// for anything else.
func decodeImageFast(raw []byte, im *Image) bool {
	l := fastLexer{b: raw}
	var seen uint32
	var extra map[string]json.RawMessage
	ok := l.object(func(key []byte) bool {
		var bit uint32
		var ok bool
		switch string(key) {
		case "id":
			bit = 1
			im.ID, ok = l.int()
		case "file_name":
			bit = 2
			im.FileName, ok = l.str()
		case "width":
			bit = 4
			var v int64
			v, ok = l.int()
			im.Width = int(v)
		case "height":
			bit = 8
			var v int64
			v, ok = l.int()
			im.Height = int(v)
		case "sequence_id":
			bit = 16
			im.SequenceID, ok = l.int()
		case "frame_index":
			bit = 32
			var v int64
			v, ok = l.int()
			im.FrameIndex = int(v)
		case "timestamp":
			bit = 64
			im.Timestamp, ok = l.float()
		default:
			if foldsTo(key, imageFold) {
				return false // camera, or a case variant of a named field
			}
			k := string(key)
			if _, dup := extra[k]; dup {
				return false
			}
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[k] = l.skip()
			return true
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	if !ok || l.peek() != 0 {
		return false
	}
	if len(extra) > 0 {
		b, err := json.Marshal(extra) // compact, keys sorted, as Image.UnmarshalJSON writes it
		if err != nil {
			return false
		}
		im.Extra = b
	}
	return true
}

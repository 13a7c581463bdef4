package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// MarshalJSON writes the segmentation in the form it was read: a list of polygons, or an RLE
// object {"counts": …, "size": [h, w]} whose counts are a compressed string when RLE.Compressed
// is set and a list of integers otherwise. When both are set, the RLE is written.
func (s Segmentation) MarshalJSON() ([]byte, error) {
	if s.RLE == nil {
		if s.Polygons == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(s.Polygons)
	}
	r := s.RLE
	buf := make([]byte, 0, 32+4*len(r.Counts))
	buf = append(buf, `{"counts":`...)
	if r.Compressed {
		// The compressed alphabet ('0'…'o') holds no JSON-special character but the backslash.
		buf = append(buf, '"')
		for _, ch := range appendCompressed(nil, r.Counts) {
			if ch == '\\' {
				buf = append(buf, '\\')
			}
			buf = append(buf, ch)
		}
		buf = append(buf, '"')
	} else {
		buf = append(buf, '[')
		for i, c := range r.Counts {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendUint(buf, uint64(c), 10)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `,"size":[`...)
	buf = strconv.AppendInt(buf, int64(r.Height), 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, int64(r.Width), 10)
	buf = append(buf, "]}"...)
	return buf, nil
}

// rleJSON is the RLE object as files hold it.
type rleJSON struct {
	Counts json.RawMessage `json:"counts"`
	Size   []int           `json:"size"`
}

// UnmarshalJSON reads any of the three forms COCO files use: a list of polygons, an
// uncompressed RLE (integer counts) or a compressed RLE (string counts). The RLE's size must be
// [height, width] and its counts must cover exactly height×width pixels.
func (s *Segmentation) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return errors.New("segmentation: empty value")
	}
	switch data[0] {
	case '[':
		var polys [][]float64
		if err := json.Unmarshal(data, &polys); err != nil {
			return fmt.Errorf("segmentation: polygons must be a list of lists of numbers: %w", err)
		}
		if polys == nil {
			polys = [][]float64{}
		}
		*s = Segmentation{Polygons: polys}
		return nil
	case '{':
		var raw rleJSON
		if err := json.Unmarshal(data, &raw); err != nil {
			return fmt.Errorf("segmentation: RLE: %w", err)
		}
		if len(raw.Size) != 2 {
			return fmt.Errorf("segmentation: RLE size must be [height, width], got %v", raw.Size)
		}
		r := &RLE{Height: raw.Size[0], Width: raw.Size[1]}
		counts := bytes.TrimSpace(raw.Counts)
		switch {
		case len(counts) > 0 && counts[0] == '"':
			var str string
			if err := json.Unmarshal(counts, &str); err != nil {
				return fmt.Errorf("segmentation: RLE counts: %w", err)
			}
			c, err := ParseCompressedCounts(str)
			if err != nil {
				return fmt.Errorf("segmentation: %w", err)
			}
			r.Counts, r.Compressed = c, true
		case len(counts) > 0 && counts[0] == '[':
			if err := json.Unmarshal(counts, &r.Counts); err != nil {
				return fmt.Errorf("segmentation: RLE counts must be non-negative integers: %w", err)
			}
			if r.Counts == nil {
				r.Counts = []uint32{}
			}
		default:
			return errors.New("segmentation: RLE counts must be a string or a list of integers")
		}
		if err := r.Validate(); err != nil {
			return fmt.Errorf("segmentation: %w", err)
		}
		*s = Segmentation{RLE: r}
		return nil
	default:
		return fmt.Errorf("segmentation: want a list of polygons or an RLE object, got %.20q", data)
	}
}

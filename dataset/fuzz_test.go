package dataset

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

func FuzzSegmentationJSON(f *testing.F) {
	for _, s := range []string{
		`[[1, 2, 3, 4, 5, 6]]`, `[]`, `{"counts": [3, 2, 1, 24], "size": [6, 5]}`,
		`{"counts": "321b03", "size": [6, 5]}`, `{"counts": "", "size": [0, 0]}`, `{"counts": null, "size": [1, 1]}`,
		`{"size": [2, 2]}`, `[[1e400]]`, `{"counts": "\\", "size": [1, 1]}`, `"x"`, `[[]]`, `{"counts": [-1], "size": [-1, 1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Segmentation
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal of %q: %v", data, err)
		}
		var back Segmentation
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-reading %q (from %q): %v", out, data, err)
		}
		if !reflect.DeepEqual(s, back) {
			t.Fatalf("round trip of %q changed %+v to %+v", data, s, back)
		}
		if s.RLE != nil && s.RLE.Height*s.RLE.Width <= 1<<16 {
			m, err := s.RLE.Decode()
			if err != nil {
				t.Fatal(err)
			}
			r, err := EncodeMask(m)
			if err != nil || r.Area() != s.RLE.Area() || r.BBox() != s.RLE.BBox() {
				t.Fatalf("re-encoding %+v gave %+v, %v", s.RLE, r, err)
			}
		}
	})
}

func FuzzParseCompressedCounts(f *testing.F) {
	for _, s := range []string{"", "0", "321b03", `PP\9`, "oooooo3", "1b12aN", "b", "oooooooo", "1b12lL", "~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCompressedCounts(s)
		if err != nil {
			return
		}
		enc := (&RLE{Counts: c}).CompressedCounts()
		back, err := ParseCompressedCounts(enc)
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Fatalf("%q → %v → %q → %v, %v", s, c, enc, back, err)
		}
	})
}

// FuzzRead fuzzes Decode, the body of Read, and the Encode → Decode round trip.
func FuzzRead(f *testing.F) {
	f.Add([]byte(sampleCOCO))
	f.Add([]byte(annotationFile(`{"id": 79, "image_id": 1, "category_id": 1, "keypoints": [1, NaN, 2, 0, 0, 0]}`)))
	f.Add([]byte(`{"images": [{"id": 1}, x]}`))
	f.Add([]byte(`{"images": [], "annotations": []} {}`))
	f.Add([]byte(`{"images": null, "annotations": [{"segmentation": {"counts": "0", "size": [0, 0]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := ReadOptions{AllowUnknownIDs: true}
		d, err := Decode(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Encode(&out, d); err != nil {
			t.Fatalf("encoding a dataset decoded from %q: %v", data, err)
		}
		d2, err := Decode(context.Background(), &out, int64(out.Len()), opts)
		if err != nil {
			t.Fatalf("re-decoding %q: %v", data, err)
		}
		if !reflect.DeepEqual(d.Annotations, d2.Annotations) || !reflect.DeepEqual(d.Images, d2.Images) {
			t.Fatalf("round trip of %q changed the dataset", data)
		}
	})
}

func FuzzPolygonRLE(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, 10, 10)
	f.Add(binary.LittleEndian.AppendUint64(nil, math.Float64bits(-3.5)), 5, 7)
	f.Fuzz(func(t *testing.T, raw []byte, h, w int) {
		if h < 0 || w < 0 || h > 64 || w > 64 {
			return
		}
		var xy []float64
		for len(raw) >= 8 {
			xy = append(xy, math.Float64frombits(binary.LittleEndian.Uint64(raw)))
			raw = raw[8:]
		}
		r, err := PolygonRLE(xy, h, w)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("polygon %v in %dx%d: %v", xy, w, h, err)
		}
	})
}

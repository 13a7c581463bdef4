package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ReadOptions tune Read. The zero value is strict and silent.
type ReadOptions struct {
	// Progress, when set, is called as the file is read (about every MiB and once at the end)
	// with the bytes read so far and the file's size.
	Progress func(readBytes, totalBytes int64)
	// AllowUnknownIDs turns annotations whose image_id or category_id is not listed in the file
	// into warnings instead of errors (pycocotools loads such files and never evaluates them).
	AllowUnknownIDs bool
	// Warn, when set, receives every warning (unknown top-level keys, unknown ids when allowed).
	Warn func(msg string)
}

// progressEvery is the number of bytes between two Progress calls.
const progressEvery = 1 << 20

// Read loads a COCO-format annotation file (COCO, OCHuman and posedistill's own files) and
// validates it (see Validate; opts.AllowUnknownIDs relaxes the id checks). The file is streamed:
// the top-level object is walked token by token and each image, annotation and category is
// decoded on its own, so memory stays near the size of the decoded dataset. Images and
// annotations in their common shapes (numbers, lists of numbers, plain strings, polygons) are
// decoded by a small hand-written parser; anything else goes to encoding/json, which gives the
// same values, so the two paths differ only in speed. Errors name the file and, where there is
// one, the element and its id; malformed JSON is reported with its byte offset.
func Read(ctx context.Context, path string, opts ReadOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	d, err := Decode(ctx, f, st.Size(), opts)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return d, nil
}

// Decode is Read on a stream (for example a decompressing reader). size is the stream's length
// in bytes, passed on to opts.Progress (0 when unknown).
func Decode(ctx context.Context, r io.Reader, size int64, opts ReadOptions) (*Dataset, error) {
	s := newStream(ctx, r, size, opts.Progress)
	d, err := s.dataset(opts.Warn)
	if err != nil {
		return nil, err
	}
	s.finish()
	if err := d.validate(opts.AllowUnknownIDs, opts.Warn); err != nil {
		return nil, err
	}
	return d, nil
}

// dataset decodes the top-level object.
func (s *stream) dataset(warn func(string)) (*Dataset, error) {
	d := &Dataset{}
	if err := s.expect('{', "the top-level object"); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var scratch []float64
	s.skipSpace()
	if c, ok := s.at(0); ok && c == '}' {
		s.pos++
	} else {
		for {
			key, err := s.key()
			if err != nil {
				return nil, err
			}
			if seen[key] {
				return nil, fmt.Errorf("top-level key %q appears twice", key)
			}
			seen[key] = true
			if err := s.expect(':', fmt.Sprintf("%q", key)); err != nil {
				return nil, err
			}
			switch key {
			case "info":
				err = s.section(key, &d.Info)
			case "licenses":
				err = s.section(key, &d.Licenses)
			case "images":
				err = s.array(key, func(raw []byte, i int) error {
					var im Image
					if !fastPath || len(s.nonFinite) > 0 || !decodeImageFast(raw, &im) {
						slow := new(Image) // on the heap only on this path
						if err := s.element(raw, key, i, slow); err != nil {
							return err
						}
						im = *slow
					}
					d.Images = append(d.Images, im)
					return nil
				})
			case "annotations":
				err = s.array(key, func(raw []byte, i int) error {
					var a Annotation
					if !fastPath || len(s.nonFinite) > 0 || !decodeAnnotationFast(raw, &a, &scratch) {
						slow := new(Annotation)
						if err := s.element(raw, key, i, slow); err != nil {
							return err
						}
						a = *slow
					}
					a.clip()
					d.Annotations = append(d.Annotations, a)
					return nil
				})
			case "categories":
				err = s.array(key, func(raw []byte, i int) error {
					var c Category
					if err := s.element(raw, key, i, &c); err != nil {
						return err
					}
					d.Categories = append(d.Categories, c)
					return nil
				})
			default:
				err = s.section(key, nil)
				if err == nil && warn != nil {
					warn(fmt.Sprintf("unknown top-level key %q ignored", key))
				}
			}
			if err != nil {
				return nil, err
			}
			s.skipSpace()
			c, ok := s.at(0)
			if !ok {
				return nil, s.syntax("the top-level object", s.eofErr())
			}
			s.pos++
			if c == '}' {
				break
			}
			if c != ',' {
				return nil, s.syntax("the top-level object", s.bad(-1, c, "after a top-level value"))
			}
		}
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	for _, k := range []string{"images", "annotations"} {
		if !seen[k] {
			return nil, fmt.Errorf("no %q list", k)
		}
	}
	return d, nil
}

// key reads a top-level key.
func (s *stream) key() (string, error) {
	const what = "a top-level key"
	s.skipSpace()
	c, ok := s.at(0)
	if !ok {
		return "", s.syntax(what, s.eofErr())
	}
	if c != '"' {
		return "", s.syntax(what, s.bad(0, c, "looking for beginning of object key string"))
	}
	raw, err := s.value(func() string { return what })
	if err != nil {
		return "", err
	}
	var key string
	if err := json.Unmarshal(raw, &key); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return key, nil
}

// section decodes one whole value (a small section such as "info") into v, or checks and skips
// it when v is nil.
func (s *stream) section(key string, v any) error {
	raw, err := s.value(func() string { return fmt.Sprintf("%q", key) })
	if err != nil {
		return err
	}
	if len(s.nonFinite) > 0 {
		return fmt.Errorf("%q: NaN or Infinity is not a valid JSON number", key)
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%q: %w", key, err)
	}
	return nil
}

// element decodes one list element with encoding/json, naming it and its id in errors.
func (s *stream) element(raw []byte, key string, i int, v any) error {
	if len(s.nonFinite) > 0 {
		raw = rewriteNonFinite(raw, s.nonFinite)
		err := json.Unmarshal(raw, v)
		where := ""
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			where = " in " + te.Field
		}
		return fmt.Errorf("%s: NaN or Infinity%s is not a valid JSON number", elementName(raw, key, i), where)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", elementName(raw, key, i), err)
	}
	return nil
}

// elementName names a list element by position and, when it has one, by id.
func elementName(raw []byte, key string, i int) string {
	var probe struct {
		ID json.Number `json:"id"`
	}
	if json.Unmarshal(raw, &probe) == nil && probe.ID != "" {
		return fmt.Sprintf("%s[%d] (id %s)", key, i, probe.ID)
	}
	return fmt.Sprintf("%s[%d]", key, i)
}

// ReadResults loads a COCO keypoint results file: a JSON list of detections. It is streamed like
// Read; each detection's keypoints must be x, y, score triples of finite numbers.
func ReadResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	s := newStream(context.Background(), f, st.Size(), nil)
	var out []Result
	var scratch []float64
	err = s.array("results", func(raw []byte, i int) error {
		var r Result
		if !fastPath || len(s.nonFinite) > 0 || !decodeResultFast(raw, &r, &scratch) {
			slow := new(Result)
			if err := s.element(raw, "results", i, slow); err != nil {
				return err
			}
			r = *slow
		}
		if len(r.Keypoints)%3 != 0 {
			return fmt.Errorf("results[%d] (image_id %d): %d keypoint values, not a multiple of 3", i, r.ImageID, len(r.Keypoints))
		}
		out = append(out, r)
		return nil
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// clip reallocates the decoded slices at their exact length: the JSON decoder grows slices by
// half again, and on a file of a quarter million annotations the spare capacity adds up.
func (a *Annotation) clip() {
	a.Keypoints = clipped(a.Keypoints)
	a.Joints3D = clipped(a.Joints3D)
	if a.Segmentation != nil {
		for i, p := range a.Segmentation.Polygons {
			a.Segmentation.Polygons[i] = clipped(p)
		}
		a.Segmentation.Polygons = clipped(a.Segmentation.Polygons)
		if r := a.Segmentation.RLE; r != nil {
			r.Counts = clipped(r.Counts)
		}
	}
}

// clipped returns s with capacity equal to its length (nil and empty slices unchanged).
func clipped[T any](s []T) []T {
	if len(s) == 0 || cap(s) == len(s) {
		return s
	}
	return append(make([]T, 0, len(s)), s...)
}

package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/posedistill/posedistill/atomicfile"
)

// Write saves d as a COCO-format JSON file, atomically (see Encode). It does not validate d: call
// Validate first to be sure Read will accept the file.
func Write(path string, d *Dataset) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return Encode(w, d) }); err != nil {
		return err // atomicfile names the file
	}
	return nil
}

// Encode writes d as COCO-format JSON, one image, annotation or category per line. Each element
// is encoded on its own, so writing needs little memory beyond d itself. Segmentations keep the
// form they were read in (see Segmentation.MarshalJSON). Errors name the element and its id.
func Encode(w io.Writer, d *Dataset) error {
	if d == nil {
		return errors.New("nil dataset")
	}
	e := newElementWriter(w)
	e.raw("{")
	sep := ""
	if d.Info != nil {
		e.raw(`"info":`)
		e.value("info", d.Info)
		sep = ",\n"
	}
	if d.Licenses != nil {
		e.raw(sep + `"licenses":`)
		e.value("licenses", d.Licenses)
		sep = ",\n"
	}
	e.raw(sep + `"images":[`)
	for i := range d.Images {
		e.item(i, "images", d.Images[i].ID, &d.Images[i])
	}
	e.raw("\n],\n" + `"annotations":[`)
	for i := range d.Annotations {
		e.item(i, "annotations", d.Annotations[i].ID, &d.Annotations[i])
	}
	e.raw("\n],\n" + `"categories":[`)
	for i := range d.Categories {
		e.item(i, "categories", int64(d.Categories[i].ID), &d.Categories[i])
	}
	e.raw("\n]}\n")
	return e.err
}

// WriteResults saves detections as a COCO keypoint results file (a JSON list), atomically.
func WriteResults(path string, results []Result) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		e := newElementWriter(w)
		e.raw("[")
		for i := range results {
			e.item(i, "results", results[i].ImageID, &results[i])
		}
		e.raw("\n]\n")
		return e.err
	})
}

// elementWriter encodes values one at a time, keeping the first error.
type elementWriter struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func newElementWriter(w io.Writer) *elementWriter {
	e := &elementWriter{w: w}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

func (e *elementWriter) raw(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

// value writes v, naming it in errors.
func (e *elementWriter) value(name string, v any) {
	if e.err != nil {
		return
	}
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		e.err = fmt.Errorf("%s: %w", name, err)
		return
	}
	_, e.err = e.w.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
}

// item writes the i-th element of a list on its own line.
func (e *elementWriter) item(i int, list string, id int64, v any) {
	if i > 0 {
		e.raw(",")
	}
	e.raw("\n")
	if e.err != nil {
		return
	}
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		e.err = fmt.Errorf("%s[%d] (id %d): %w", list, i, id, err)
		return
	}
	_, e.err = e.w.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
}

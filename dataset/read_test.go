package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/posedistill/posedistill/internal/fixtures"
)

// sampleCOCO holds the shapes real COCO and OCHuman files use: polygons, uncompressed and
// compressed RLE, a missing and an empty bbox, a crowd region without keypoints, ids beyond 2^53,
// unknown top-level keys, and the 3D extension fields.
const sampleCOCO = `{
 "info": {"description": "sample", "year": 2017},
 "licenses": [{"id": 1, "name": "CC"}],
 "images": [
  {"license": 1, "file_name": "000000000785.jpg", "coco_url": "http://x/785.jpg", "height": 425, "width": 640, "id": 785,
   "flickr": {"farm": 1, "tags": ["a", "b"]}},
  {"file_name": "b.jpg", "height": 6, "width": 5, "id": 9007199254740993,
   "camera": {"fx": 1000, "fy": 1001.5, "cx": 2.5, "cy": 3}, "sequence_id": 4, "frame_index": 7, "timestamp": 0.25}
 ],
 "annotations": [
  {"segmentation": [[10.5, 20.25, 30, 20.25, 30, 40, 10.5, 40], [1, 1, 3, 1, 2, 3]], "num_keypoints": 2, "area": 412.5,
   "iscrowd": 0, "keypoints": [11,21,2, 0,0,0, 12,22,1], "image_id": 785, "bbox": [10.5, 20.25, 19.5, 19.75],
   "category_id": 1, "id": 442619},
  {"segmentation": {"counts": [3, 2, 1, 24], "size": [6, 5]}, "num_keypoints": 0, "area": 2,
   "iscrowd": 1, "image_id": 9007199254740993, "bbox": [], "category_id": 1, "id": 900100785},
  {"segmentation": {"counts": "321b03", "size": [6, 5]}, "num_keypoints": 1, "area": 3,
   "iscrowd": 0, "keypoints": [1,2,2, 0,0,0, 0,0,0], "image_id": 785, "category_id": 1, "id": 9007199254740995,
   "joints_3d": [1, 2, 3, 4, 5, 6, 7, 8, 9], "track_id": 3},
  {"segmentation": [], "num_keypoints": 0, "area": 0, "iscrowd": 0, "keypoints": [0,0,0,0,0,0,0,0,0],
   "image_id": 785, "bbox": [1, 2, 3, 4], "category_id": 1, "id": 1}
 ],
 "categories": [{"supercategory": "person", "id": 1, "name": "person",
   "keypoints": ["nose", "left_eye", "right_eye"], "skeleton": [[1, 2], [1, 3]]}],
 "extra_top_level": {"ignored": true}
}`

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadSample(t *testing.T) {
	path := writeTemp(t, "sample.json", sampleCOCO)
	var warnings []string
	d, err := Read(context.Background(), path, ReadOptions{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Images) != 2 || len(d.Annotations) != 4 || len(d.Categories) != 1 {
		t.Fatalf("got %d images, %d annotations, %d categories", len(d.Images), len(d.Annotations), len(d.Categories))
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "extra_top_level") {
		t.Errorf("warnings = %q, want one about extra_top_level", warnings)
	}
	a := d.Annotations
	if a[0].Segmentation.RLE != nil || len(a[0].Segmentation.Polygons) != 2 || a[0].Segmentation.Polygons[0][1] != 20.25 {
		t.Errorf("polygons read as %+v", a[0].Segmentation)
	}
	if r := a[1].Segmentation.RLE; r == nil || r.Compressed || r.Height != 6 || r.Width != 5 || !reflect.DeepEqual(r.Counts, []uint32{3, 2, 1, 24}) {
		t.Errorf("uncompressed RLE read as %+v", a[1].Segmentation.RLE)
	}
	if a[1].Keypoints != nil || a[1].BBox != [4]float64{} || a[1].ImageID != 9007199254740993 {
		t.Errorf("crowd annotation read as %+v", a[1])
	}
	if r := a[2].Segmentation.RLE; r == nil || !r.Compressed || !reflect.DeepEqual(r.Counts, []uint32{3, 2, 1, 20, 4}) {
		t.Errorf("compressed RLE read as %+v", a[2].Segmentation.RLE)
	}
	if a[2].ID != 9007199254740995 || a[2].TrackID != 3 || len(a[2].Joints3D) != 9 {
		t.Errorf("large id / extension fields read as %+v", a[2])
	}
	if s := a[3].Segmentation; s == nil || s.RLE != nil || s.Polygons == nil || len(s.Polygons) != 0 {
		t.Errorf("empty polygon list read as %+v", s)
	}
	if e := string(d.Images[0].Extra); e != `{"coco_url":"http://x/785.jpg","flickr":{"farm":1,"tags":["a","b"]},"license":1}` {
		t.Errorf("image extras read as %s", e)
	}
	if d.Images[1].Extra != nil {
		t.Errorf("extras %q for an image without extra fields", d.Images[1].Extra)
	}
	if c := d.Images[1].Camera; c == nil || c.Fy != 1001.5 || d.Images[1].Timestamp != 0.25 {
		t.Errorf("camera read as %+v", d.Images[1])
	}
	if got := d.Categories[0].Skeleton; !reflect.DeepEqual(got, [][2]int{{1, 2}, {1, 3}}) {
		t.Errorf("skeleton = %v", got)
	}
}

// roundTrip reads path, writes it, reads it back and checks the two reads are identical and the
// second write gives the same bytes as the first.
func roundTrip(t *testing.T, path string, opts ReadOptions) {
	t.Helper()
	d1, err := Read(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.json")
	if err := Write(out, d1); err != nil {
		t.Fatal(err)
	}
	d2, err := Read(context.Background(), out, opts)
	if err != nil {
		t.Fatalf("re-read: %v", err)
	}
	if !reflect.DeepEqual(d1.Annotations, d2.Annotations) {
		for i := range d1.Annotations {
			if !reflect.DeepEqual(d1.Annotations[i], d2.Annotations[i]) {
				t.Fatalf("annotation %d differs:\n%+v\n%+v", i, d1.Annotations[i], d2.Annotations[i])
			}
		}
		t.Fatal("annotations differ")
	}
	if !reflect.DeepEqual(d1, d2) {
		t.Fatalf("datasets differ:\n%+v\n%+v", d1, d2)
	}
	out2 := filepath.Join(t.TempDir(), "out2.json")
	if err := Write(out2, d2); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(out)
	b2, _ := os.ReadFile(out2)
	if string(b1) != string(b2) {
		t.Fatal("writing the re-read dataset gave different bytes")
	}
}

func TestRoundTripSample(t *testing.T) {
	roundTrip(t, writeTemp(t, "sample.json", sampleCOCO), ReadOptions{})
}

// TestRoundTripFixtures reads the pycocotools evaluation fixtures (when present) and round-trips
// them.
func TestRoundTripFixtures(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(fixtures.Dir(t, "fixtures", "cocoeval"), "*", "gt.json"))
	if len(paths) == 0 {
		fixtures.Missing(t, "no cocoeval fixtures in %s", fixtures.Root())
	}
	for _, p := range paths {
		t.Run(filepath.Base(filepath.Dir(p)), func(t *testing.T) {
			roundTrip(t, p, ReadOptions{AllowUnknownIDs: true})
		})
	}
}

func TestReadResultsRoundTrip(t *testing.T) {
	path := writeTemp(t, "dt.json", `[{"image_id": 785, "category_id": 1, "keypoints": [1.5, 2, 0.9, 3, 4, 0.1], "score": 0.75},
	 {"image_id": 9007199254740993, "category_id": 1, "keypoints": [], "score": 1e-3, "track_id": 2}]`)
	r1, err := ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(r1) != 2 || r1[0].Keypoints[0] != 1.5 || r1[1].ImageID != 9007199254740993 || r1[1].TrackID != 2 {
		t.Fatalf("read %+v", r1)
	}
	out := filepath.Join(t.TempDir(), "out.json")
	if err := WriteResults(out, r1); err != nil {
		t.Fatal(err)
	}
	r2, err := ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r1, r2) {
		t.Fatalf("round trip changed results:\n%+v\n%+v", r1, r2)
	}
}

// annotationFile builds a one-image, one-category file around the given annotations JSON.
func annotationFile(anns string) string {
	return `{"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
	 "categories": [{"id": 1, "name": "person", "keypoints": ["a", "b"]}],
	 "annotations": [` + anns + `]}`
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		opts    ReadOptions
		want    []string // substrings of the error
	}{
		{"truncated", `{"images": [{"id": 1, "file_`, ReadOptions{}, []string{"malformed JSON", "byte"}},
		{"bad character", `{"images": [{"id": 1}, x]}`, ReadOptions{}, []string{"malformed JSON", "images[1]", "at byte 23"}},
		{"not an object", `[1, 2]`, ReadOptions{}, []string{"top-level object"}},
		{"trailing data", `{"images": [], "annotations": []} {}`, ReadOptions{}, []string{"after the top-level value"}},
		{"no annotations", `{"images": []}`, ReadOptions{}, []string{`no "annotations"`}},
		{"keypoints not triples", annotationFile(`{"id": 77, "image_id": 1, "category_id": 1, "keypoints": [1, 2, 2, 3]}`),
			ReadOptions{}, []string{"annotation id 77", "not x, y, v triples"}},
		{"keypoints count", annotationFile(`{"id": 78, "image_id": 1, "category_id": 1, "keypoints": [1, 2, 2]}`),
			ReadOptions{}, []string{"annotation id 78", "has 2 keypoints"}},
		{"NaN", annotationFile(`{"id": 79, "image_id": 1, "category_id": 1, "keypoints": [1, NaN, 2, 0, 0, 0]}`),
			ReadOptions{}, []string{"annotations[0] (id 79)", "NaN or Infinity", "keypoints"}},
		{"Infinity", annotationFile(`{"segmentation": [[1, 2, -Infinity, 4, 5, 6]], "id": 80, "image_id": 1, "category_id": 1}`),
			ReadOptions{}, []string{"(id 80)", "NaN or Infinity"}},
		{"NaN in a later element", annotationFile(`{"id": 90, "image_id": 1, "category_id": 1}, {"id": 91, "image_id": 1, "category_id": 1, "area": NaN}`),
			ReadOptions{}, []string{"annotations[1] (id 91)", "NaN or Infinity in area"}},
		{"NaN in an image extra", `{"images": [{"id": 4, "score": NaN}], "annotations": []}`,
			ReadOptions{}, []string{"images[0] (id 4)", "NaN or Infinity"}},
		{"Infinity in info", `{"info": {"a": [Infinity]}, "images": [], "annotations": []}`,
			ReadOptions{}, []string{`"info"`, "NaN or Infinity"}},
		{"huge number", annotationFile(`{"id": 81, "image_id": 1, "category_id": 1, "area": 1e999}`),
			ReadOptions{}, []string{"(id 81)", "area"}},
		{"duplicate id", annotationFile(`{"id": 5, "image_id": 1, "category_id": 1}, {"id": 5, "image_id": 1, "category_id": 1}`),
			ReadOptions{}, []string{"annotation id 5 appears twice"}},
		{"unknown image", annotationFile(`{"id": 6, "image_id": 2, "category_id": 1}`),
			ReadOptions{}, []string{"annotation id 6", "image_id 2 is not in the images list"}},
		{"unknown category", annotationFile(`{"id": 7, "image_id": 1, "category_id": 3}`),
			ReadOptions{}, []string{"annotation id 7", "category_id 3"}},
		{"RLE size", annotationFile(`{"segmentation": {"counts": [3, 4], "size": [2, 3]}, "id": 8, "image_id": 1, "category_id": 1}`),
			ReadOptions{}, []string{"(id 8)", "add up to 7 pixels", "[2, 3]"}},
		{"RLE size shape", annotationFile(`{"segmentation": {"counts": [6], "size": [6]}, "id": 9, "image_id": 1, "category_id": 1}`),
			ReadOptions{}, []string{"(id 9)", "size must be [height, width]"}},
		{"bad compressed", annotationFile(`{"segmentation": {"counts": "3~", "size": [2, 3]}, "id": 10, "image_id": 1, "category_id": 1}`),
			ReadOptions{}, []string{"(id 10)", "invalid character"}},
		{"negative count", annotationFile(`{"segmentation": {"counts": [-1, 7], "size": [2, 3]}, "id": 11, "image_id": 1, "category_id": 1}`),
			ReadOptions{}, []string{"(id 11)", "non-negative integers"}},
		{"flat polygon", annotationFile(`{"segmentation": [1, 2, 3, 4, 5, 6], "id": 12, "image_id": 1, "category_id": 1}`),
			ReadOptions{}, []string{"(id 12)", "list of lists"}},
		{"duplicate image", `{"images": [{"id": 3}, {"id": 3}], "annotations": []}`, ReadOptions{}, []string{"image id 3 appears twice"}},
		{"duplicate key", `{"images": [], "images": [], "annotations": []}`, ReadOptions{}, []string{`"images" appears twice`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "bad.json", tt.content)
			_, err := Read(context.Background(), path, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append([]string{path}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestReadUnknownImageWarns(t *testing.T) {
	path := writeTemp(t, "a.json", annotationFile(`{"id": 6, "image_id": 2, "category_id": 1}`))
	var warnings []string
	d, err := Read(context.Background(), path, ReadOptions{AllowUnknownIDs: true, Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Annotations) != 1 || len(warnings) != 1 || !strings.Contains(warnings[0], "annotation id 6") {
		t.Fatalf("annotations %d, warnings %q", len(d.Annotations), warnings)
	}
}

func TestReadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.json")
	_, err := Read(context.Background(), path, ReadOptions{})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v", err)
	}
}

func TestReadCancelled(t *testing.T) {
	path := writeTemp(t, "sample.json", sampleCOCO)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, path, ReadOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestNonFiniteInStringsUntouched checks that "NaN" and "Infinity" inside strings stay as written.
func TestNonFiniteInStringsUntouched(t *testing.T) {
	path := writeTemp(t, "s.json", `{"images": [{"id": 1, "file_name": "NaN \"Infinity\" -Infinity.jpg", "flag": "N"}], "annotations": []}`)
	d, err := Read(context.Background(), path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Images[0].FileName; got != `NaN "Infinity" -Infinity.jpg` {
		t.Fatalf("file name = %q", got)
	}
	if got := string(d.Images[0].Extra); got != `{"flag":"N"}` {
		t.Fatalf("a genuine string \"N\" read as %s", got)
	}
}

// TestSyntaxErrorOffsets checks that the reported offset is the 0-based position of the bad
// character wherever it is: top level, inside a list, inside an element, inside a section.
func TestSyntaxErrorOffsets(t *testing.T) {
	for _, content := range []string{
		`{"images": [], @}`,
		`{"images": [@]}`,
		`{"images": [{"id": 1}, @]}`,
		`{"images": [{"id": 1},   {"id": @}]}`,
		`{"info": {"a": [1, 2, @]}, "images": []}`,
		`{"images": [], "annotations": [{"id": 1, "keypoints": [1, 2 @]}]}`,
		`{"images" @ []}`,
		`@`,
	} {
		path := writeTemp(t, "bad.json", content)
		_, err := Read(context.Background(), path, ReadOptions{})
		want := fmt.Sprintf("at byte %d", strings.Index(content, "@"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v does not contain %q", content, err, want)
		}
	}
}

// TestWriteRejectsNaN checks that a dataset holding NaN is not written, the error names the
// annotation, and the previous file is left as it was.
func TestWriteRejectsNaN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &Dataset{Annotations: []Annotation{{ID: 1}, {ID: 42, Keypoints: []float64{1, math.NaN(), 2}}}}
	err := Write(path, d)
	if err == nil || !strings.Contains(err.Error(), "id 42") || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "previous" {
		t.Fatalf("file changed to %q", got)
	}
	if err := d.Validate(); err == nil || !strings.Contains(err.Error(), "annotation id 42") {
		t.Fatalf("Validate: %v", err)
	}
}

func TestImageExtraJSON(t *testing.T) {
	im := Image{ID: 3, FileName: "a.jpg", Extra: json.RawMessage(` {"z": [1, 2], "a": "x"} `)}
	got, err := json.Marshal(im)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":3,"file_name":"a.jpg","width":0,"height":0,"z":[1,2],"a":"x"}`; string(got) != want {
		t.Errorf("marshal = %s, want %s", got, want)
	}
	for _, bad := range []string{`{"Width": 5}`, `[1]`, `{"a": }`} {
		im.Extra = json.RawMessage(bad)
		if _, err := json.Marshal(im); err == nil || !strings.Contains(err.Error(), "image id 3") {
			t.Errorf("extra %s: err = %v", bad, err)
		}
	}
	im.Extra = json.RawMessage(`{}`)
	if got, err := json.Marshal(im); err != nil || string(got) != `{"id":3,"file_name":"a.jpg","width":0,"height":0}` {
		t.Errorf("empty extra: %s, %v", got, err)
	}
}

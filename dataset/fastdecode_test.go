package dataset

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// fastCases are elements in the shapes the fast decoders take (fast: true) and in shapes they
// must leave to encoding/json (fast: false).
var fastCases = []struct {
	kind, raw string
	fast      bool
}{
	{"annotation", `{"segmentation": [[10.5, 20.25, 30, 20.25, 30, 40]], "num_keypoints": 2, "area": 412.5, "iscrowd": 0,
	  "keypoints": [11,21,2, 0,0,0], "image_id": 785, "bbox": [10.5, 20.25, 19.5, 19.75], "category_id": 1, "id": 442619}`, true},
	{"annotation", `{"segmentation": {"counts": [3, 2, 1, 24], "size": [6, 5]}, "iscrowd": 1, "image_id": 9007199254740993, "bbox": [], "id": -3}`, true},
	{"annotation", `{"segmentation": {"counts": "321b03", "size": [6, 5]}, "joints_3d": [1, 2, 3], "track_id": 3, "keypoints": []}`, true},
	{"annotation", `{"segmentation": [], "keypoints": [1e-3, -0, 2E+2], "unknown": {"a": ["]", "\"}"]}, "x": null}`, true},
	{"annotation", `{"segmentation": [[]], "bbox": [1, 2]}`, true},
	{"annotation", `{}`, true},
	{"annotation", `{"id": 1.0}`, false},
	{"annotation", `{"id": 1e3}`, false},
	{"annotation", `{"id": 99999999999999999999}`, false},
	{"annotation", `{"ID": 5}`, false},
	{"annotation", `{"image-id": 5}`, false},
	{"annotation", `{"id": 1, "id": 2}`, false},
	{"annotation", `{"keypoints": null}`, false},
	{"annotation", `{"bbox": [1, 2, 3, 4, 5]}`, false},
	{"annotation", `{"area": 1e999}`, false},
	{"annotation", `{"segmentation": {"counts": [3], "size": [6, 5]}}`, false},
	{"annotation", `{"segmentation": [1, 2, 3]}`, false},
	{"annotation", `{"\u0069d": 5}`, false},
	{"result", `{"image_id": 1, "category_id": 1, "keypoints": [848.51, 321.92, 0.265], "score": 0.805231}`, true},
	{"result", `{"image_id": 1, "category_id": 1, "keypoints": [], "score": 1, "bbox": [1, 2, 3, 4], "track_id": 7}`, true},
	{"result", `{"image_id": "1"}`, false},
	{"result", `{"Score": 1}`, false},
	{"image", `{"id": 1, "width": 1280, "height": 720, "file_name": "000000000001.jpg"}`, true},
	{"image", `{"license": 1, "file_name": "a.jpg", "coco_url": "http://x/<785>.jpg", "height": 425, "width": 640, "id": 785,
	  "flickr": {"farm": 1, "tags": ["a", "b"]}, "date": "2013-11-14 16:28:13"}`, true},
	{"image", `{"id": 2, "sequence_id": 4, "frame_index": 7, "timestamp": 0.25, "file_name": "é.jpg"}`, true},
	{"image", `{"id": 2, "camera": {"fx": 1, "fy": 1, "cx": 0, "cy": 0}}`, false},
	{"image", `{"id": 2, "file_name": "a\"b.jpg"}`, false},
	{"image", `{"id": 2, "File_Name": "a.jpg"}`, false},
	{"image", `{"id": 2, "x": 1, "x": 2}`, false},
}

// decodeBoth decodes raw with the fast decoder of kind and with encoding/json (as Read does,
// clipping annotations), and returns both values and whether the fast decoder took it.
func decodeBoth(t *testing.T, kind string, raw []byte) (fast, slow any, took, slowOK bool) {
	t.Helper()
	var scratch []float64
	switch kind {
	case "annotation":
		var a, b Annotation
		took = decodeAnnotationFast(raw, &a, &scratch)
		a.clip()
		slowOK = json.Unmarshal(raw, &b) == nil
		b.clip()
		return a, b, took, slowOK
	case "result":
		var a, b Result
		took = decodeResultFast(raw, &a, &scratch)
		slowOK = json.Unmarshal(raw, &b) == nil
		return a, b, took, slowOK
	case "image":
		var a, b Image
		took = decodeImageFast(raw, &a)
		slowOK = json.Unmarshal(raw, &b) == nil
		return a, b, took, slowOK
	}
	t.Fatalf("unknown kind %q", kind)
	return nil, nil, false, false
}

func TestFastDecoders(t *testing.T) {
	for _, tt := range fastCases {
		t.Run(tt.kind, func(t *testing.T) {
			fast, slow, took, slowOK := decodeBoth(t, tt.kind, []byte(tt.raw))
			if took != tt.fast {
				t.Fatalf("%s: fast path taken %v, want %v", tt.raw, took, tt.fast)
			}
			if took && (!slowOK || !reflect.DeepEqual(fast, slow)) {
				t.Fatalf("%s: fast %+v, encoding/json %+v (ok %v)", tt.raw, fast, slow, slowOK)
			}
		})
	}
}

// FuzzFastDecoders checks that whenever a fast decoder accepts a valid JSON element, encoding/json
// accepts it too and gives the same value.
func FuzzFastDecoders(f *testing.F) {
	kinds := []string{"annotation", "result", "image"}
	for _, tt := range fastCases {
		f.Add(uint8(slices.Index(kinds, tt.kind)), []byte(tt.raw))
	}
	f.Fuzz(func(t *testing.T, kind uint8, raw []byte) {
		if !json.Valid(raw) {
			return // the stream only hands out valid JSON
		}
		fast, slow, took, slowOK := decodeBoth(t, kinds[int(kind)%len(kinds)], raw)
		if took && (!slowOK || !reflect.DeepEqual(fast, slow)) {
			t.Fatalf("%s: fast %+v, encoding/json %+v (ok %v)", raw, fast, slow, slowOK)
		}
	})
}

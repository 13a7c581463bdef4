package nets

import (
	"encoding/json"
	"testing"
)

// FuzzDescription feeds arbitrary JSON descriptions to the validation and counting functions: they
// must return errors, never panic, and counts of valid descriptions must be non-negative.
func FuzzDescription(f *testing.F) {
	for _, name := range []string{"movnect-3d", "simplebaseline-res18"} {
		net, err := ByName(name)
		if err != nil {
			f.Fatal(err)
		}
		data, err := json.Marshal(net)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, 256, 192)
	}
	f.Add([]byte(`{"input_channels":3,"joints":1,"layers":[{"name":"h","op":"conv","inputs":["input"],"out":1,"groups":-1}],"heads":{"heatmaps":"h"}}`), 8, 8)
	f.Add([]byte(`{"input_channels":3,"joints":1,"layers":[{"name":"h","op":"add","inputs":[]}],"heads":{"heatmaps":"h"}}`), 4, 4)
	// Regression: huge channel counts overflowed the int64 counts before the limits.
	f.Add([]byte(`{"input_channels":3,"joints":1,"layers":[{"name":"a","op":"conv","inputs":["input"],"out":999999999999,"kernel":7},{"name":"h","op":"conv","inputs":["a"],"out":1}],"heads":{"heatmaps":"h"}}`), 64, 64)
	f.Add([]byte(`{"input_channels":1,"input_multiple":-3,"layers":[{"name":"p","op":"maxpool","inputs":["input"],"kernel":-1}]}`), 3, 5)
	f.Fuzz(func(t *testing.T, data []byte, h, w int) {
		var net Net
		if json.Unmarshal(data, &net) != nil {
			return
		}
		h, w = h%2048, w%2048 // keep shapes within memory
		params := net.Params()
		flops, err := net.FLOPs(h, w)
		if err != nil {
			return
		}
		if params < 0 || flops < 0 {
			t.Errorf("valid description with params %d, FLOPs %d", params, flops)
		}
	})
}

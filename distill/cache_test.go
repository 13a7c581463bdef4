package distill

import (
	"context"
	"slices"
	"testing"

	"github.com/posedistill/posedistill/topdown"
)

// countingTeacher returns heatmaps derived from the crops and counts its calls.
type countingTeacher struct{ calls int }

func (c *countingTeacher) Predict(_ context.Context, images topdown.Tensor, h, w int) (TeacherOutput, error) {
	c.calls++
	n := images.Shape[0]
	out := TeacherOutput{Heatmaps: make([]float32, n*h*w*2), Mask: make([]float32, n*h*w)}
	for i := range out.Heatmaps {
		out.Heatmaps[i] = images.Data[i%len(images.Data)] * 2
	}
	return out, nil
}

func (c *countingTeacher) Close() {}

func TestDiskCachedTeacher(t *testing.T) {
	ctx := context.Background()
	inner := &countingTeacher{}
	c := &DiskCached{ID: "t1", Dir: t.TempDir(), Teacher: inner}
	img := topdown.Tensor{Shape: []int{1, 2, 2, 3}, Data: []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	a, err := c.Predict(ctx, img, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Predict(ctx, img, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if inner.calls != 1 || c.Hits != 1 || c.Misses != 1 {
		t.Errorf("calls %d hits %d misses %d", inner.calls, c.Hits, c.Misses)
	}
	if !slices.Equal(a.Heatmaps, b.Heatmaps) || !slices.Equal(a.Mask, b.Mask) || b.Locations != nil {
		t.Error("cached output differs")
	}
	img2 := topdown.Tensor{Shape: img.Shape, Data: slices.Clone(img.Data)}
	img2.Data[5] = 0
	if _, err := c.Predict(ctx, img2, 2, 2); err != nil || inner.calls != 2 {
		t.Errorf("a different crop was served from the cache (calls %d, %v)", inner.calls, err)
	}
	other := &DiskCached{ID: "t2", Dir: c.Dir, Teacher: inner}
	if _, err := other.Predict(ctx, img, 2, 2); err != nil || inner.calls != 3 {
		t.Errorf("another teacher's entry was used (calls %d)", inner.calls)
	}
}

func TestDecodeOutputRejectsDamage(t *testing.T) {
	good := encodeOutput(TeacherOutput{Heatmaps: []float32{1, 2}, Mask: []float32{3}})
	if _, err := decodeOutput(good); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{good[:len(good)-1], good[:5], append(slices.Clone(good), 0), {255, 255, 255, 255, 255, 255, 255, 255}} {
		if _, err := decodeOutput(b); err == nil {
			t.Errorf("%d damaged bytes accepted", len(b))
		}
	}
}

// FuzzDecodeOutput: damaged cache entries give errors, never panics or huge allocations.
func FuzzDecodeOutput(f *testing.F) {
	f.Add(encodeOutput(TeacherOutput{Heatmaps: []float32{1, 2}, Mask: []float32{3}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := decodeOutput(b)
		if err == nil && len(encodeOutput(out)) != len(b) {
			t.Errorf("decoded %d bytes into a different-size entry", len(b))
		}
	})
}

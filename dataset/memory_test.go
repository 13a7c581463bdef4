package dataset

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// writeSyntheticCOCO writes a COCO-like keypoint file shaped like person_keypoints_train2017.json
// (polygons with 2-decimal coordinates, 17 keypoints with many unlabelled, some crowd RLEs) with
// about n annotations, and returns its size.
func writeSyntheticCOCO(t testing.TB, path string, n int, seed uint64) int64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	nImages := n/3 + 1
	fmt.Fprint(w, `{"info": {"description": "synthetic"}, "images": [`)
	for i := 0; i < nImages; i++ {
		if i > 0 {
			w.WriteString(",")
		}
		fmt.Fprintf(w, `{"license": 1, "file_name": "%012d.jpg", "height": 480, "width": 640, "id": %d}`, i+1, i+1)
	}
	w.WriteString(`], "annotations": [`)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteString(",\n")
		}
		crowd := i%50 == 49
		if crowd {
			w.WriteString(`{"segmentation": {"counts": [`)
			total, k := 0, 0
			for total < 480*640-200 && k < 200 {
				c := 1 + rng.IntN(400)
				if k > 0 {
					w.WriteString(",")
				}
				fmt.Fprint(w, c)
				total += c
				k++
			}
			fmt.Fprintf(w, `,%d], "size": [480, 640]}, `, 480*640-total)
		} else {
			w.WriteString(`{"segmentation": [[`)
			pts := 20 + rng.IntN(50)
			for j := 0; j < 2*pts; j++ {
				if j > 0 {
					w.WriteString(",")
				}
				fmt.Fprintf(w, "%.2f", rng.Float64()*600)
			}
			w.WriteString("]], ")
		}
		fmt.Fprintf(w, `"num_keypoints": 10, "area": %.4f, "iscrowd": %d, "keypoints": [`, rng.Float64()*1e4, map[bool]int{false: 0, true: 1}[crowd])
		for j := 0; j < 17; j++ {
			if j > 0 {
				w.WriteString(",")
			}
			if rng.IntN(3) == 0 {
				w.WriteString("0,0,0")
			} else {
				fmt.Fprintf(w, "%d,%d,%d", rng.IntN(640), rng.IntN(480), 1+rng.IntN(2))
			}
		}
		fmt.Fprintf(w, `], "image_id": %d, "bbox": [%.2f,%.2f,%.2f,%.2f], "category_id": 1, "id": %d}`,
			1+i%nImages, rng.Float64()*300, rng.Float64()*200, rng.Float64()*300, rng.Float64()*200, 900000000000+i)
	}
	w.WriteString(`], "categories": [{"supercategory": "person", "id": 1, "name": "person", "keypoints": [`)
	for j := 0; j < 17; j++ {
		if j > 0 {
			w.WriteString(",")
		}
		fmt.Fprintf(w, `"k%d"`, j)
	}
	w.WriteString(`], "skeleton": [[16, 14], [14, 12]]}]}`)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestReadMemory reads a synthetic file of tens of MB and checks that the live heap never grows
// past 3× the file size (the heap is measured after a collection at every progress report, about
// ~3 MiB) and that progress is reported in order up to the file size.
func TestReadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	path := filepath.Join(t.TempDir(), "big.json")
	size := writeSyntheticCOCO(t, path, 20000, 7)
	if size < 15<<20 {
		t.Fatalf("synthetic file is only %d bytes", size)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	var last int64
	calls := 0
	d, err := Read(context.Background(), path, ReadOptions{Progress: func(read, total int64) {
		calls++
		if read < last || total != size {
			t.Errorf("progress(%d, %d) after %d, file size %d", read, total, last, size)
		}
		last = read
		if calls%3 == 0 { // a forced collection every ~3 MiB: the live heap, cheaply enough
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapAlloc)
	growth := float64(peak-base) / float64(size)
	t.Logf("file %.1f MB, %d annotations, %d progress calls, peak live heap growth %.1f MB = %.2f× the file, retained %.2f×",
		float64(size)/1e6, len(d.Annotations), calls, float64(peak-base)/1e6, growth, float64(ms.HeapAlloc-base)/float64(size))
	if last != size {
		t.Errorf("last progress at %d bytes, file has %d", last, size)
	}
	if calls < int(size>>20)/2 {
		t.Errorf("only %d progress calls for %d MiB", calls, size>>20)
	}
	if growth > 3 {
		t.Errorf("peak heap growth %.2f× the file size, want ≤ 3×", growth)
	}
	runtime.KeepAlive(d)
}

// sampledPeak runs f while sampling the heap every few milliseconds (no forced collections, so
// uncollected garbage counts too) and returns the peak HeapAlloc growth over the start.
func sampledPeak(f func()) uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		var peak uint64
		var s runtime.MemStats
		for {
			runtime.ReadMemStats(&s)
			peak = max(peak, s.HeapAlloc)
			select {
			case <-done:
				result <- peak
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	peak := <-result
	if peak < base {
		return 0
	}
	return peak - base
}

// TestReadMemoryAgainstWholeFile logs the sampled peak heap (garbage included) of Read and of the
// one-giant-Unmarshal peer on the same file; Read must stay under 3× the file size here too.
func TestReadMemoryAgainstWholeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100)) // the default, whatever GOGC says
	path := filepath.Join(t.TempDir(), "big.json")
	size := writeSyntheticCOCO(t, path, 20000, 9)
	var d2 *Dataset
	streamed := sampledPeak(func() {
		d, err := Read(context.Background(), path, ReadOptions{})
		if err != nil {
			t.Error(err)
		}
		runtime.KeepAlive(d)
	})
	whole := sampledPeak(func() {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			return
		}
		d2 = new(Dataset)
		if err := json.Unmarshal(data, d2); err != nil {
			t.Error(err)
		}
	})
	runtime.KeepAlive(d2)
	t.Logf("file %.1f MB: sampled peak heap growth, Read %.2f×, whole-file json.Unmarshal %.2f×",
		float64(size)/1e6, float64(streamed)/float64(size), float64(whole)/float64(size))
	if float64(streamed) > 3*float64(size) {
		t.Errorf("Read peaked at %.2f× the file size", float64(streamed)/float64(size))
	}
}

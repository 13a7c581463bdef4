package smooth

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzKeypointFilter drives a 2-joint 2D filter with arbitrary times, coordinates, scores and
// parameters: it must never panic, must reject time going back, and every confident finite
// input must give finite output.
func FuzzKeypointFilter(f *testing.F) {
	f.Add(1.0, 0.0, 1.0, 0.3, []byte("0123456789abcdef0123456789abcdef"))
	f.Add(1e-9, 1e9, 1e-9, 0.0, []byte{0xff, 0xf0, 0, 0, 0, 0, 0, 0, 0x7f, 0xf8, 1, 2, 3, 4, 5, 6})
	f.Fuzz(func(t *testing.T, mincutoff, beta, dcutoff, minScore float64, data []byte) {
		kf, err := NewKeypointFilter(KeypointConfig{
			Params: Params{MinCutoff: mincutoff, Beta: beta, DCutoff: dcutoff}, MinScore: minScore, Missing: Decay,
		}, 2, 2)
		if err != nil {
			return
		}
		last := math.Inf(-1)
		for len(data) >= 8*7 {
			v := make([]float64, 7)
			for i := range v {
				v[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			}
			data = data[8*7:]
			ts := v[0]
			out, sc, err := kf.Update(int64(len(data)%3), ts, v[1:5], v[5:7])
			if err != nil {
				continue
			}
			if ts < last && kf.Tracks() == 1 {
				// Only one track: time going back must have been rejected.
				t.Fatalf("time went back from %v to %v without error", last, ts)
			}
			last = math.Max(last, ts)
			for j := 0; j < 2; j++ {
				finite := true
				for _, x := range v[1+2*j : 3+2*j] {
					finite = finite && !math.IsNaN(x) && !math.IsInf(x, 0) && math.Abs(x) < 1e100
				}
				if finite && sc[j] > minScore && sc[j] == v[5+j] && (math.IsNaN(out[2*j]) || math.IsNaN(out[2*j+1])) {
					t.Fatalf("joint %d: finite input %v gave %v", j, v[1+2*j:3+2*j], out[2*j:2*j+2])
				}
			}
		}
	})
}

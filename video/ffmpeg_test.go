package video

import "testing"

func TestParseProbe(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Info
		ok   bool
	}{
		{"768,576,10/1\n", Info{768, 576, 10}, true},
		{"640,480,30000/1001", Info{640, 480, 30000.0 / 1001}, true},
		{"320,240,25", Info{320, 240, 25}, true},
		{"", Info{}, false},
		{"640,480,0/0", Info{}, false},
		{"0,480,25/1", Info{}, false},
		{"a,b,c", Info{}, false},
		{"99999,480,25/1", Info{}, false},
		{"640,480,1e300/1e-300", Info{}, false},
	} {
		got, err := parseProbe("v.mp4", c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseProbe(%q) = %+v, %v; want %+v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

// FuzzParseProbe checks that any ffprobe output either parses into a usable size and rate or
// fails cleanly.
func FuzzParseProbe(f *testing.F) {
	for _, s := range []string{"768,576,10/1\n", "640,480,30000/1001", "1,1,1", ",,", "5,5,1/0", "-3,4,25/1", "5,5,1e300/1e-300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseProbe("v", s)
		if err == nil && (v.Width <= 0 || v.Height <= 0 || !(v.FPS > 0) || v.FPS > 1e300) {
			t.Fatalf("parseProbe(%q) = %+v without error", s, v)
		}
	})
}

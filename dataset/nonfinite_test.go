package dataset

import (
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNonFiniteFilter(t *testing.T) {
	tests := []struct{ in, out string }{
		{`[1, NaN, -Infinity, Infinity]`, `[1, "N", "-Infini", "Infini"]`},
		{`{"NaN": "Infinity", "a\"NaN": -1}`, `{"NaN": "Infinity", "a\"NaN": -1}`},
		{`["\\", NaN]`, `["\\", "N"]`},
		{`[Na, Inf, -Inf, -1]`, `[Na, Inf, -Inf, -1]`},
		{`NaN`, `"N"`},
	}
	for _, tt := range tests {
		// One byte at a time too, so that tokens straddle reads.
		for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
			f := newNonFiniteFilter(r)
			got, err := io.ReadAll(iotest.OneByteReader(f))
			if err != nil || string(got) != tt.out {
				t.Errorf("filter(%s) = %s, %v; want %s", tt.in, got, err, tt.out)
			}
		}
	}
}

// TestNonFiniteFilterKeepsOtherBytes checks that random JSON-like text passes through unchanged,
// whatever the read sizes. The alphabet has N and I but cannot spell NaN or Infinity.
func TestNonFiniteFilterKeepsOtherBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	alphabet := []byte(`{}[]",:\-01NIfn `)
	for it := 0; it < 200; it++ {
		b := make([]byte, rng.IntN(300))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		in := string(b)
		got, err := io.ReadAll(iotest.HalfReader(newNonFiniteFilter(iotest.HalfReader(strings.NewReader(in)))))
		if err != nil || string(got) != in {
			t.Fatalf("filter changed %q to %q (%v)", in, got, err)
		}
	}
}

func TestNonFiniteFilterReadError(t *testing.T) {
	boom := errors.New("boom")
	f := newNonFiniteFilter(io.MultiReader(strings.NewReader("[1, 2"), iotest.ErrReader(boom)))
	got, err := io.ReadAll(f)
	if string(got) != "[1, 2" || !errors.Is(err, boom) {
		t.Fatalf("got %q, %v; want the bytes then the error", got, err)
	}
}

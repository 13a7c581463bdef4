package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// scanAll scans one value from in, read through r, and returns its bytes and NaN/Infinity offsets.
func scanAll(t *testing.T, r io.Reader) ([]byte, []int, error) {
	t.Helper()
	s := newStream(context.Background(), r, 0, nil)
	raw, err := s.value(func() string { return "the value" })
	if err != nil {
		return nil, nil, err
	}
	return append([]byte(nil), raw...), append([]int(nil), s.nonFinite...), nil
}

func TestScanNonFinite(t *testing.T) {
	tests := []struct {
		in, out string
		at      []int
	}{
		{`[1, NaN, -Infinity, Infinity]`, `[1, "N", "-Infini", "Infini"]`, []int{4, 9, 20}},
		{`{"NaN": "Infinity", "a\"NaN": -1}`, `{"NaN": "Infinity", "a\"NaN": -1}`, nil},
		{`["\\", NaN]`, `["\\", "N"]`, []int{7}},
		{`NaN`, `"N"`, []int{0}},
		{` {"a": [[NaN]]}`, `{"a": [["N"]]}`, []int{8}},
	}
	for _, tt := range tests {
		// One byte at a time too, so that tokens straddle reads.
		for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
			raw, at, err := scanAll(t, r)
			if err != nil || !reflect.DeepEqual(at, tt.at) {
				t.Errorf("scan(%s): offsets %v, %v; want %v", tt.in, at, err, tt.at)
				continue
			}
			if got := string(rewriteNonFinite(raw, at)); got != tt.out {
				t.Errorf("rewrite(%s) = %s; want %s", tt.in, got, tt.out)
			}
		}
	}
}

func TestScanRejects(t *testing.T) {
	for _, in := range []string{`[Na]`, `[Inf]`, `[-Inf]`, `[-]`, `[01]`, `[1.]`, `[1e]`, `{"a" 1}`, `{1: 2}`,
		`[1,]`, `{"a": 1,}`, "\"a\tb\"", `"\x"`, `"\u12g4"`, `[1 2]`, `tru`, `nul`, `[`, `"abc`} {
		if _, _, err := scanAll(t, strings.NewReader(in)); err == nil {
			t.Errorf("scan(%s) accepted it", in)
		}
	}
}

// TestScanAgreesWithEncodingJSON checks that random JSON-like text is accepted exactly when
// encoding/json accepts it (the alphabet cannot spell NaN or Infinity), and kept byte for byte,
// whatever the read sizes.
func TestScanAgreesWithEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	alphabet := []byte(`{}[]",:\-01.eE+ntrulfasNI `)
	accepted := 0
	for it := 0; it < 10000; it++ {
		b := make([]byte, 1+rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		in := string(b)
		raw, at, err := scanAll(t, iotest.HalfReader(strings.NewReader(in)))
		trimmed := bytes.TrimLeft([]byte(in), " ")
		if err == nil && !bytes.HasPrefix(trimmed, raw) {
			t.Fatalf("%q: scanned %q", in, raw)
		}
		// Valid JSON: one value, no NaN or Infinity, nothing but white space after it.
		valid := err == nil && len(at) == 0 && len(bytes.TrimSpace(trimmed[len(raw):])) == 0
		if valid != json.Valid(b) {
			t.Fatalf("%q: scanner says valid %v (%v), encoding/json %v", in, valid, err, json.Valid(b))
		}
		if valid {
			accepted++
		}
	}
	if accepted < 50 {
		t.Fatalf("only %d random inputs were valid JSON", accepted)
	}
}

func TestScanReadError(t *testing.T) {
	boom := errors.New("boom")
	_, _, err := scanAll(t, io.MultiReader(strings.NewReader("[1, 2"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v; want the read error", err)
	}
}

// stutterReader returns no data and no error on every other call.
type stutterReader struct {
	r     io.Reader
	calls int
}

func (s *stutterReader) Read(p []byte) (int, error) {
	if s.calls++; s.calls%2 == 1 {
		return 0, nil
	}
	return s.r.Read(p)
}

// TestScanEmptyReads checks that reads returning nothing are retried, and that a reader that
// never returns anything ends in io.ErrNoProgress rather than a hang.
func TestScanEmptyReads(t *testing.T) {
	raw, _, err := scanAll(t, &stutterReader{r: iotest.OneByteReader(strings.NewReader(`[1, "ab", {"c": null}]`))})
	if err != nil || string(raw) != `[1, "ab", {"c": null}]` {
		t.Fatalf("got %q, %v", raw, err)
	}
	if _, _, err := scanAll(t, &stutterReader{r: iotest.ErrReader(nil)}); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("err = %v; want io.ErrNoProgress", err)
	}
}

// FuzzScan checks that the scanner accepts exactly the valid JSON encoding/json accepts (NaN and
// Infinity aside) and hands out the value's bytes unchanged.
func FuzzScan(f *testing.F) {
	for _, s := range []string{`{"a": [1, -2.5e3, "x\u00e9\n", true, null]}`, `[NaN, -Infinity]`, `[01]`, ` "a" `, `{"a":1,}`, `1.`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, at, err := scanAll(t, iotest.HalfReader(bytes.NewReader(data)))
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if err == nil && !bytes.HasPrefix(trimmed, raw) {
			t.Fatalf("%q: scanned %q", data, raw)
		}
		valid := err == nil && len(at) == 0 && len(bytes.TrimLeft(trimmed[len(raw):], " \t\r\n")) == 0
		if valid != json.Valid(data) {
			t.Fatalf("%q: scanner says valid %v (%v), encoding/json %v", data, valid, err, json.Valid(data))
		}
	})
}

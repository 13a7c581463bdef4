package dataset

import (
	"bufio"
	"io"
	"slices"
)

// nonFiniteFilter rewrites the bare NaN, Infinity and -Infinity tokens that Python's json module
// writes (and that JSON forbids) into strings of the same length ("N", "Infini", "-Infini"), so
// that byte offsets stay those of the file, the JSON stays well formed, and the decoder reports
// the value as a type error that Read turns into a clear "NaN or Infinity" message.
type nonFiniteFilter struct {
	r        *bufio.Reader
	inString bool
	escape   bool
	pending  []byte
	out      int64   // bytes handed out so far
	rewrites []int64 // offsets of the rewritten tokens, ascending
	err      error   // a read error held back until the bytes before it are handed out
}

var nonFiniteTokens = []struct{ token, replacement string }{
	{"NaN", `"N"`},
	{"Infinity", `"Infini"`},
	{"-Infinity", `"-Infini"`},
}

func newNonFiniteFilter(r io.Reader) *nonFiniteFilter {
	return &nonFiniteFilter{r: bufio.NewReaderSize(r, 1<<16)}
}

// Read implements io.Reader.
func (f *nonFiniteFilter) Read(p []byte) (int, error) {
	if f.err != nil && len(f.pending) == 0 {
		return 0, f.err
	}
	n := 0
	for n < len(p) {
		if len(f.pending) > 0 {
			c := copy(p[n:], f.pending)
			f.pending = f.pending[c:]
			n += c
			continue
		}
		if f.err != nil {
			break
		}
		if k := f.plain(p[n:]); k > 0 { // fast path: bytes that need no rewriting
			n += k
			continue
		}
		b, err := f.r.ReadByte()
		if err != nil {
			f.err = err
			if n > 0 {
				break
			}
			return 0, err
		}
		switch {
		case f.inString:
			switch {
			case f.escape:
				f.escape = false
			case b == '\\':
				f.escape = true
			case b == '"':
				f.inString = false
			}
		case b == '"':
			f.inString = true
		case b == 'N' || b == 'I' || b == '-':
			for _, t := range nonFiniteTokens {
				if b != t.token[0] {
					continue
				}
				rest, _ := f.r.Peek(len(t.token) - 1)
				if string(rest) == t.token[1:] {
					f.r.Discard(len(rest))
					b = t.replacement[0]
					f.pending = []byte(t.replacement[1:])
					f.rewrites = append(f.rewrites, f.out+int64(n))
					break
				}
			}
		}
		p[n] = b
		n++
	}
	f.out += int64(n)
	return n, nil
}

// plain copies buffered bytes into p up to the first byte that may start a token to rewrite
// (N, I or - outside a string), tracking the string state, and returns how many it copied.
func (f *nonFiniteFilter) plain(p []byte) int {
	if f.r.Buffered() == 0 {
		if _, err := f.r.Peek(1); err != nil {
			return 0 // the slow path reports the error
		}
	}
	chunk, _ := f.r.Peek(min(len(p), f.r.Buffered()))
	i := 0
scan:
	for ; i < len(chunk); i++ {
		b := chunk[i]
		switch {
		case f.inString:
			switch {
			case f.escape:
				f.escape = false
			case b == '\\':
				f.escape = true
			case b == '"':
				f.inString = false
			}
		case b == '"':
			f.inString = true
		case b == 'N' || b == 'I' || b == '-':
			break scan
		}
	}
	copy(p, chunk[:i])
	f.r.Discard(i)
	return i
}

// rewroteIn reports whether a token was rewritten in the byte range [start, end).
func (f *nonFiniteFilter) rewroteIn(start, end int64) bool {
	i, _ := slices.BinarySearch(f.rewrites, start)
	return i < len(f.rewrites) && f.rewrites[i] < end
}

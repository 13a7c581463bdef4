package dataset

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fastLexer reads the common shapes of COCO elements (objects of numbers, lists of numbers and
// plain strings) straight from the bytes of one value the stream has already validated. Each
// method reports false for anything outside those shapes (null, escapes, a float where an integer
// belongs, a number out of range, …); the caller then decodes the element with encoding/json,
// which gives the same values for everything the fast path accepts and the usual errors for the
// rest.
type fastLexer struct {
	b []byte
	i int
}

// peek skips white space and returns the next byte (0 at the end).
func (l *fastLexer) peek() byte {
	for l.i < len(l.b) {
		c := l.b[l.i]
		if !isSpace(c) {
			return c
		}
		l.i++
	}
	return 0
}

// object walks an object, calling field with each key (its bytes, without escapes) positioned on
// the value, which field must consume. It reports false when a key has escapes or field fails.
func (l *fastLexer) object(field func(key []byte) bool) bool {
	if l.peek() != '{' {
		return false
	}
	l.i++
	if l.peek() == '}' {
		l.i++
		return true
	}
	for {
		if l.peek() != '"' {
			return false
		}
		start := l.i + 1
		end := bytes.IndexByte(l.b[start:], '"')
		if end < 0 {
			return false
		}
		key := l.b[start : start+end]
		if bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		l.i = start + end + 1
		if l.peek() != ':' {
			return false
		}
		l.i++
		l.peek()
		if !field(key) {
			return false
		}
		switch l.peek() {
		case ',':
			l.i++
		case '}':
			l.i++
			return true
		default:
			return false
		}
	}
}

// number returns the bytes of the number at the current position.
func (l *fastLexer) number() ([]byte, bool) {
	start := l.i
	for l.i < len(l.b) {
		c := l.b[l.i]
		if !('0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			break
		}
		l.i++
	}
	return l.b[start:l.i], l.i > start
}

// float reads a number as encoding/json does for a float64 field.
func (l *fastLexer) float() (float64, bool) {
	num, ok := l.number()
	if !ok {
		return 0, false
	}
	if v, ok := parseDecimal(num); ok {
		return v, true
	}
	v, err := strconv.ParseFloat(string(num), 64)
	return v, err == nil
}

// exactPow10 holds the powers of ten that float64 represents exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimal converts a JSON number without exponent whose digits form an integer m ≤ 2^53
// with at most 22 fractional digits: m and 10^k are exact float64s, so m / 10^k is correctly
// rounded, the same value strconv.ParseFloat returns (Clinger's fast path). It reports false for
// other numbers.
func parseDecimal(num []byte) (float64, bool) {
	i, neg := 0, false
	if len(num) > 0 && num[0] == '-' {
		i, neg = 1, true
	}
	var m uint64
	digits, significant, frac := 0, 0, 0
	inFrac := false
	for ; i < len(num); i++ {
		c := num[i]
		switch {
		case '0' <= c && c <= '9':
			if m != 0 || c != '0' {
				if significant++; significant > 19 {
					return 0, false
				}
			}
			m = 10*m + uint64(c-'0')
			digits++
			if inFrac {
				frac++
			}
		case c == '.' && !inFrac:
			inFrac = true
		default:
			return 0, false // an exponent, or not a number
		}
	}
	if digits == 0 || m > 1<<53 || frac >= len(exactPow10) {
		return 0, false
	}
	v := float64(m) / exactPow10[frac]
	if neg {
		v = -v
	}
	return v, true
}

// int reads an integer literal as encoding/json does for an integer field (no fraction or
// exponent, within int64).
func (l *fastLexer) int() (int64, bool) {
	num, ok := l.number()
	if !ok {
		return 0, false
	}
	digits := num
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 { // 18 digits cannot overflow; leave longer ones to strconv
		v, err := strconv.ParseInt(string(num), 10, 64)
		return v, err == nil
	}
	var v int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = 10*v + int64(c-'0')
	}
	if num[0] == '-' {
		v = -v
	}
	return v, true
}

// floats appends the numbers of a list of numbers to dst.
func (l *fastLexer) floats(dst []float64) ([]float64, bool) {
	if l.peek() != '[' {
		return dst, false
	}
	l.i++
	if l.peek() == ']' {
		l.i++
		return dst, true
	}
	for {
		v, ok := l.float()
		if !ok {
			return dst, false
		}
		dst = append(dst, v)
		switch l.peek() {
		case ',':
			l.i++
			l.peek()
		case ']':
			l.i++
			return dst, true
		default:
			return dst, false
		}
	}
}

// floatList reads a list of numbers into a new slice of exactly its length (empty, not nil, for
// []), using scratch as working space.
func (l *fastLexer) floatList(scratch *[]float64) ([]float64, bool) {
	v, ok := l.floats((*scratch)[:0])
	*scratch = v
	if !ok {
		return nil, false
	}
	return append(make([]float64, 0, len(v)), v...), true
}

// str reads a string without escapes holding valid UTF-8.
func (l *fastLexer) str() (string, bool) {
	if l.peek() != '"' {
		return "", false
	}
	start := l.i + 1
	end := bytes.IndexByte(l.b[start:], '"')
	if end < 0 {
		return "", false
	}
	s := l.b[start : start+end]
	if bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s) {
		return "", false
	}
	l.i = start + end + 1
	return string(s), true
}

// skip consumes one value and returns its bytes.
func (l *fastLexer) skip() []byte {
	l.peek()
	start := l.i
	depth := 0
	for l.i < len(l.b) {
		c := l.b[l.i]
		switch {
		case c == '"':
			l.i++
			for l.i < len(l.b) && l.b[l.i] != '"' {
				if l.b[l.i] == '\\' {
					l.i++
				}
				l.i++
			}
			l.i++
		case c == '[' || c == '{':
			depth++
			l.i++
		case c == ']' || c == '}':
			if depth == 0 {
				return l.b[start:l.i]
			}
			depth--
			l.i++
		case c == ',' && depth == 0:
			return l.b[start:l.i]
		default:
			l.i++
		}
		if depth == 0 && l.i > start && (c == '"' || c == ']' || c == '}') {
			return l.b[start:l.i]
		}
	}
	return l.b[start:l.i]
}

// foldsTo reports whether key would match one of names under encoding/json's case-insensitive
// matching (comparing also without '_' and '-', to be safe), so that the caller leaves such a key
// to encoding/json. names must hold no '_' or '-'.
func foldsTo(key []byte, names []string) bool {
	var buf [64]byte
	k := buf[:0]
	for _, c := range key {
		if c != '_' && c != '-' {
			k = append(k, c)
		}
	}
	for _, n := range names {
		if strings.EqualFold(string(k), n) {
			return true
		}
	}
	return false
}

// foldNames returns names without '_' and '-', for foldsTo.
func foldNames(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.NewReplacer("_", "", "-", "").Replace(n)
	}
	return out
}

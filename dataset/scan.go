package dataset

import "fmt"

// scanValue checks the JSON value starting at buf[pos+i] (after white space) and returns the
// index just past it, relative to pos. The grammar is JSON's (RFC 8259) plus the bare NaN,
// Infinity and -Infinity tokens, whose offsets are appended to s.nonFinite.
func (s *stream) scanValue(i, depth int) (int, error) {
	i = s.space(i)
	c, ok := s.at(i)
	if !ok {
		return 0, s.eofErr()
	}
	switch {
	case c == '{':
		return s.scanObject(i, depth+1)
	case c == '[':
		return s.scanArray(i, depth+1)
	case c == '"':
		return s.scanString(i)
	case c == '-' || ('0' <= c && c <= '9'):
		if c == '-' {
			if n, ok := s.word(i, "-Infinity"); ok {
				s.nonFinite = append(s.nonFinite, i)
				return n, nil
			}
		}
		return s.scanNumber(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	case c == 'N' || c == 'I':
		w := "NaN"
		if c == 'I' {
			w = "Infinity"
		}
		n, err := s.literal(i, w)
		if err == nil {
			s.nonFinite = append(s.nonFinite, i)
		}
		return n, err
	}
	return 0, s.bad(i, c, "looking for beginning of value")
}

// bad is the syntax error for the unexpected byte c at pos+i.
func (s *stream) bad(i int, c byte, context string) error {
	return &syntaxError{s.offset(i), fmt.Sprintf("invalid character %q %s", c, context)}
}

// space skips white space from pos+i and returns the index of the next byte.
func (s *stream) space(i int) int {
	if j := s.pos + i; j < len(s.buf) && !isSpace(s.buf[j]) {
		return i
	}
	return s.spaceSlow(i)
}

// spaceSlow is space past the first byte.
func (s *stream) spaceSlow(i int) int {
	for {
		for _, c := range s.buf[min(s.pos+i, len(s.buf)):] {
			if !isSpace(c) {
				return i
			}
			i++
		}
		if !s.more(i) {
			return i
		}
	}
}

// word reports whether the bytes at pos+i spell w, and the index past them.
func (s *stream) word(i int, w string) (int, bool) {
	for k := 0; k < len(w); k++ {
		if c, ok := s.at(i + k); !ok || c != w[k] {
			return 0, false
		}
	}
	return i + len(w), true
}

// literal scans the keyword w at pos+i.
func (s *stream) literal(i int, w string) (int, error) {
	for k := 0; k < len(w); k++ {
		c, ok := s.at(i + k)
		if !ok {
			return 0, s.eofErr()
		}
		if c != w[k] {
			return 0, s.bad(i+k, c, fmt.Sprintf("in literal %s", w))
		}
	}
	return i + len(w), nil
}

// scanObject scans an object whose '{' is at pos+i.
func (s *stream) scanObject(i, depth int) (int, error) {
	if depth > maxDepth {
		return 0, &syntaxError{s.offset(i), "exceeded max depth"}
	}
	i = s.space(i + 1)
	c, ok := s.at(i)
	if !ok {
		return 0, s.eofErr()
	}
	if c == '}' {
		return i + 1, nil
	}
	for {
		if c != '"' {
			return 0, s.bad(i, c, "looking for beginning of object key string")
		}
		n, err := s.scanString(i)
		if err != nil {
			return 0, err
		}
		i = s.space(n)
		if c, ok = s.at(i); !ok {
			return 0, s.eofErr()
		}
		if c != ':' {
			return 0, s.bad(i, c, "after object key")
		}
		if i, err = s.scanValue(i+1, depth); err != nil {
			return 0, err
		}
		i = s.space(i)
		if c, ok = s.at(i); !ok {
			return 0, s.eofErr()
		}
		switch c {
		case '}':
			return i + 1, nil
		case ',':
		default:
			return 0, s.bad(i, c, "after object key:value pair")
		}
		i = s.space(i + 1)
		if c, ok = s.at(i); !ok {
			return 0, s.eofErr()
		}
	}
}

// scanArray scans an array whose '[' is at pos+i.
func (s *stream) scanArray(i, depth int) (int, error) {
	if depth > maxDepth {
		return 0, &syntaxError{s.offset(i), "exceeded max depth"}
	}
	i = s.space(i + 1)
	c, ok := s.at(i)
	if !ok {
		return 0, s.eofErr()
	}
	if c == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = s.scanValue(i, depth); err != nil {
			return 0, err
		}
		i = s.space(i)
		if c, ok = s.at(i); !ok {
			return 0, s.eofErr()
		}
		switch c {
		case ']':
			return i + 1, nil
		case ',':
			i++
		default:
			return 0, s.bad(i, c, "after array element")
		}
	}
}

// scanString scans a string whose opening quote is at pos+i.
func (s *stream) scanString(i int) (int, error) {
	i++
	for {
		if s.pos+i >= len(s.buf) && !s.more(i) {
			return 0, s.eofErr()
		}
		// The bytes already buffered, without bounds checks per call.
		for _, c := range s.buf[s.pos+i:] {
			switch {
			case c == '"':
				return i + 1, nil
			case c == '\\':
				n, err := s.escape(i)
				if err != nil {
					return 0, err
				}
				i = n
			case c < 0x20:
				return 0, s.bad(i, c, "in string literal")
			default:
				i++
				continue
			}
			break
		}
	}
}

// escape scans the escape sequence whose backslash is at pos+i.
func (s *stream) escape(i int) (int, error) {
	c, ok := s.at(i + 1)
	if !ok {
		return 0, s.eofErr()
	}
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2, nil
	case 'u':
		for k := 2; k < 6; k++ {
			h, ok := s.at(i + k)
			if !ok {
				return 0, s.eofErr()
			}
			if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
				return 0, s.bad(i+k, h, "in \\u hexadecimal character escape")
			}
		}
		return i + 6, nil
	}
	return 0, s.bad(i+1, c, "in string escape code")
}

// scanNumber scans a number starting at pos+i: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *stream) scanNumber(i int) (int, error) {
	if n := numberLen(s.buf[s.pos+i:]); n > 0 {
		return i + n, nil
	}
	c, _ := s.at(i)
	if c == '-' {
		i++
	}
	c, ok := s.at(i)
	switch {
	case !ok:
		return 0, s.eofErr()
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i = s.digits(i)
	default:
		return 0, s.bad(i, c, "in numeric literal")
	}
	if c, ok := s.at(i); ok && c == '.' {
		i++
		c, ok := s.at(i)
		if !ok {
			return 0, s.eofErr()
		}
		if c < '0' || c > '9' {
			return 0, s.bad(i, c, "after decimal point in numeric literal")
		}
		i = s.digits(i)
	}
	if c, ok := s.at(i); ok && (c == 'e' || c == 'E') {
		i++
		c, ok := s.at(i)
		if ok && (c == '+' || c == '-') {
			i++
			c, ok = s.at(i)
		}
		if !ok {
			return 0, s.eofErr()
		}
		if c < '0' || c > '9' {
			return 0, s.bad(i, c, "in exponent of numeric literal")
		}
		i = s.digits(i)
	}
	return i, nil
}

// digits skips decimal digits from pos+i and returns the index of the next byte.
func (s *stream) digits(i int) int {
	for {
		for _, c := range s.buf[min(s.pos+i, len(s.buf)):] {
			if c < '0' || c > '9' {
				return i
			}
			i++
		}
		if !s.more(i) {
			return i
		}
	}
}

// numberLen returns the length of the valid JSON number at the start of b when a byte that cannot
// continue it follows within b, and 0 otherwise (the caller then scans byte by byte, reading
// more input or reporting the error).
func numberLen(b []byte) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return 0
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
		if i == start {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
		if i == start {
			return 0
		}
	}
	if i >= len(b) {
		return 0 // the number may go on in the next read
	}
	return i
}

package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// stream walks a JSON document with its own buffered scanner, handing out each list element as
// the raw bytes of one validated JSON value, without copying them. It accepts the bare NaN,
// Infinity and -Infinity tokens that Python's json module writes (JSON forbids them), notes where
// they are, and lets the caller turn them into a clear error.
type stream struct {
	ctx  context.Context
	r    io.Reader
	buf  []byte // buf[pos:] holds the bytes not yet consumed
	pos  int
	base int64 // file offset of buf[0]
	read int64 // bytes read from r so far
	rerr error // the error that ended reading (io.EOF at the end of the file)
	// emptyReads counts the reads in a row that returned nothing.
	emptyReads int
	total      int64
	progress   func(readBytes, totalBytes int64)
	reported   int64
	// nonFinite holds the offsets, relative to the start of the value scanned last, of its NaN
	// and Infinity tokens.
	nonFinite []int
}

// streamBufSize is the scanner's initial buffer; it grows to hold the largest single value.
const streamBufSize = 256 << 10

// maxDepth limits the nesting of arrays and objects, as encoding/json does.
const maxDepth = 10000

// syntaxError is malformed JSON at a file offset.
type syntaxError struct {
	off int64
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// errEOF says that the file ended inside a value.
var errEOF = errors.New("unexpected end of JSON input")

func newStream(ctx context.Context, r io.Reader, total int64, progress func(int64, int64)) *stream {
	return &stream{ctx: ctx, r: r, buf: make([]byte, 0, streamBufSize), total: total, progress: progress}
}

// more makes buf[pos+i] available, reading and, when needed, moving or growing the buffer (the
// bytes from pos on are kept, so offsets relative to pos stay valid). It reports false at the end
// of the input or on a read error (kept in rerr).
func (s *stream) more(i int) bool {
	for s.pos+i >= len(s.buf) {
		if s.rerr != nil {
			return false
		}
		if len(s.buf) == cap(s.buf) {
			keep := len(s.buf) - s.pos
			if s.pos < cap(s.buf)/2 { // mostly one value: grow
				nb := make([]byte, keep, 2*cap(s.buf))
				copy(nb, s.buf[s.pos:])
				s.buf = nb
			} else {
				copy(s.buf, s.buf[s.pos:])
				s.buf = s.buf[:keep]
			}
			s.base += int64(s.pos)
			s.pos = 0
		}
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		s.read += int64(n)
		switch {
		case err != nil:
			s.rerr = err
		case n > 0:
			s.emptyReads = 0
		default:
			if s.emptyReads++; s.emptyReads >= maxEmptyReads { // as bufio.Reader does
				s.rerr = io.ErrNoProgress
			}
		}
	}
	return true
}

// maxEmptyReads is how many reads in a row may return no data and no error.
const maxEmptyReads = 100

// at returns the byte at pos+i, and false at the end of the input.
func (s *stream) at(i int) (byte, bool) {
	if j := s.pos + i; j < len(s.buf) {
		return s.buf[j], true
	}
	return s.atSlow(i)
}

// atSlow is at when buf[pos+i] has not been read yet.
func (s *stream) atSlow(i int) (byte, bool) {
	if s.more(i) {
		return s.buf[s.pos+i], true
	}
	return 0, false
}

// offset is the file offset of buf[pos+i].
func (s *stream) offset(i int) int64 { return s.base + int64(s.pos+i) }

// eofErr is the error for input that ends at pos+i: a read error, or a truncated value.
func (s *stream) eofErr() error {
	if s.rerr != nil && s.rerr != io.EOF {
		return s.rerr
	}
	return errEOF
}

// skipSpace consumes white space.
func (s *stream) skipSpace() { s.pos += s.space(0) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// tick reports progress when another MiB has been read and checks for cancellation.
func (s *stream) tick() error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if s.progress != nil && s.read-s.reported >= progressEvery {
		s.reported = s.read
		s.progress(s.read, s.total)
	}
	return nil
}

// finish makes the final progress call.
func (s *stream) finish() {
	if s.progress != nil {
		s.progress(s.read, s.total)
	}
}

// syntax turns a scanning error into one naming what was being read and the byte offset.
func (s *stream) syntax(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err == errEOF {
		return fmt.Errorf("malformed JSON: file ends inside %s at byte %d", what, s.read)
	}
	var se *syntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("malformed JSON at byte %d, in %s: %w", se.off, what, err)
	}
	return fmt.Errorf("reading %s near byte %d: %w", what, s.offset(0), err)
}

// expect consumes white space and then the byte want.
func (s *stream) expect(want byte, what string) error {
	s.skipSpace()
	c, ok := s.at(0)
	if !ok {
		return s.syntax(what, s.eofErr())
	}
	if c != want {
		return s.syntax(what, &syntaxError{s.offset(0), fmt.Sprintf("invalid character %q, want %q", c, want)})
	}
	s.pos++
	return nil
}

// value scans one JSON value after optional white space and returns its bytes, valid until the
// next call on s. s.nonFinite lists its NaN and Infinity tokens.
func (s *stream) value(what func() string) ([]byte, error) {
	s.skipSpace()
	s.nonFinite = s.nonFinite[:0]
	n, err := s.scanValue(0, 0)
	if err != nil {
		return nil, s.syntax(what(), err)
	}
	raw := s.buf[s.pos : s.pos+n]
	s.pos += n
	return raw, nil
}

// end checks that nothing but white space follows the top-level value.
func (s *stream) end() error {
	s.skipSpace()
	if c, ok := s.at(0); ok {
		return fmt.Errorf("unexpected %q after the top-level value at byte %d", c, s.offset(0))
	}
	if s.rerr != nil && s.rerr != io.EOF {
		return fmt.Errorf("reading the end of the file: %w", s.rerr)
	}
	return nil
}

// array walks a list, handing each element's raw bytes (valid only during the call) to each;
// s.nonFinite describes the element during the call. A JSON null counts as an empty list.
func (s *stream) array(key string, each func(raw []byte, i int) error) error {
	s.skipSpace()
	c, ok := s.at(0)
	if !ok {
		return s.syntax(fmt.Sprintf("%q", key), s.eofErr())
	}
	if c == 'n' {
		raw, err := s.value(func() string { return fmt.Sprintf("%q", key) })
		if err != nil {
			return err
		}
		if string(raw) == "null" {
			return nil
		}
	}
	if c != '[' {
		off := s.offset(0)
		raw, err := s.value(func() string { return fmt.Sprintf("%q", key) })
		if err != nil {
			return err
		}
		return fmt.Errorf("%q must be a list, found %.20s at byte %d", key, raw, off)
	}
	s.pos++
	s.skipSpace()
	if c, ok := s.at(0); ok && c == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if i%256 == 0 {
			if err := s.tick(); err != nil {
				return err
			}
		}
		raw, err := s.value(func() string { return fmt.Sprintf("%s[%d]", key, i) })
		if err != nil {
			return err
		}
		if err := each(raw, i); err != nil {
			return err
		}
		s.skipSpace()
		c, ok := s.at(0)
		switch {
		case !ok:
			return s.syntax(fmt.Sprintf("the end of %q", key), s.eofErr())
		case c == ']':
			s.pos++
			return nil
		case c != ',':
			return s.syntax(fmt.Sprintf("the end of %q", key),
				&syntaxError{s.offset(0), fmt.Sprintf("invalid character %q after a list element", c)})
		}
		s.pos++
	}
}

package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// stream walks a JSON document token by token, decoding array elements one at a time.
type stream struct {
	ctx      context.Context
	counter  *countingReader
	filter   *nonFiniteFilter
	dec      *json.Decoder
	total    int64
	progress func(readBytes, totalBytes int64)
	reported int64
	// nonFinite says that the element being decoded held a NaN or Infinity token.
	nonFinite bool
}

// errNotDelim is wrapped by delim errors.
var errNotDelim = errors.New("unexpected JSON value")

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func newStream(ctx context.Context, r io.Reader, total int64, progress func(int64, int64)) *stream {
	s := &stream{ctx: ctx, counter: &countingReader{r: r}, total: total, progress: progress}
	s.filter = newNonFiniteFilter(s.counter)
	s.dec = json.NewDecoder(s.filter)
	return s
}

// tick reports progress when another MiB has been read and checks for cancellation.
func (s *stream) tick() error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if s.progress != nil && s.counter.n-s.reported >= progressEvery {
		s.reported = s.counter.n
		s.progress(s.counter.n, s.total)
	}
	return nil
}

// finish makes the final progress call.
func (s *stream) finish() {
	if s.progress != nil {
		s.progress(s.counter.n, s.total)
	}
}

// delim consumes the delimiter want.
func (s *stream) delim(want json.Delim, what string) error {
	off := s.dec.InputOffset()
	tok, err := s.dec.Token()
	if err != nil {
		return s.syntax(what, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%w: want %q for %s at byte %d, got %v", errNotDelim, want, what, off, tok)
	}
	return nil
}

// syntax turns a decoder error into one naming what was being read and the byte offset.
func (s *stream) syntax(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("malformed JSON: file ends inside %s at byte %d", what, s.counter.n)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("malformed JSON at byte %d, in %s: %w", s.errorOffset(), what, err)
	}
	return fmt.Errorf("reading %s near byte %d: %w", what, s.dec.InputOffset(), err)
}

// errorOffset finds the 0-based file offset of the character a syntax error is about. The
// decoder's own SyntaxError offsets do not count the bytes its Token method consumed, so the
// failing value is scanned again, from the decoder's position, by a fresh decoder.
func (s *stream) errorOffset() int64 {
	off := s.dec.InputOffset()
	rest, _ := io.ReadAll(s.dec.Buffered())
	// The decoder may stop before the separator that precedes the failing value.
	skip := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
	if skip < len(rest) && (rest[skip] == ',' || rest[skip] == ':') {
		off += int64(skip + 1)
		rest = rest[skip+1:]
	}
	var raw json.RawMessage
	err := json.NewDecoder(bytes.NewReader(rest)).Decode(&raw)
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 {
		return off + se.Offset - 1
	}
	return off
}

// value decodes one whole value (a small section such as "info").
func (s *stream) value(key string, v any) error {
	start := s.dec.InputOffset()
	if err := s.dec.Decode(v); err != nil {
		return s.syntax(fmt.Sprintf("%q", key), err)
	}
	if s.filter.rewroteIn(start, s.dec.InputOffset()) {
		return fmt.Errorf("%q: NaN or Infinity is not a valid JSON number", key)
	}
	return nil
}

// array walks a list, handing each element's raw bytes (valid only during the call) to each.
// A JSON null counts as an empty list.
func (s *stream) array(key string, each func(raw []byte, i int) error) error {
	off := s.dec.InputOffset()
	tok, err := s.dec.Token()
	if err != nil {
		return s.syntax(fmt.Sprintf("%q", key), err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("%q must be a list, found %v at byte %d", key, tok, off)
	}
	var raw json.RawMessage
	for i := 0; s.dec.More(); i++ {
		if i%256 == 0 {
			if err := s.tick(); err != nil {
				return err
			}
		}
		start := s.dec.InputOffset()
		if err := s.dec.Decode(&raw); err != nil {
			return s.syntax(fmt.Sprintf("%s[%d]", key, i), err)
		}
		s.nonFinite = s.filter.rewroteIn(start, s.dec.InputOffset())
		if err := each(raw, i); err != nil {
			return err
		}
	}
	return s.delim(']', fmt.Sprintf("the end of %q", key))
}

// element decodes one list element, naming it and its id in errors.
func (s *stream) element(raw []byte, key string, i int, v any) error {
	err := json.Unmarshal(raw, v)
	if s.nonFinite {
		where := ""
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			where = " in " + te.Field
		}
		return fmt.Errorf("%s: NaN or Infinity%s is not a valid JSON number", elementName(raw, key, i), where)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", elementName(raw, key, i), err)
	}
	return nil
}

// elementName names a list element by position and, when it has one, by id.
func elementName(raw []byte, key string, i int) string {
	var probe struct {
		ID json.Number `json:"id"`
	}
	if json.Unmarshal(raw, &probe) == nil && probe.ID != "" {
		return fmt.Sprintf("%s[%d] (id %s)", key, i, probe.ID)
	}
	return fmt.Sprintf("%s[%d]", key, i)
}

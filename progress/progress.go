// Package progress reports the progress of a job on a stream (usually stderr): items done out of
// a total, the rate in items per second and the estimated time left. On a terminal it is a bar
// redrawn in place; on anything else (a log file, a pipe) it is a plain line every LogInterval, so
// that logs stay readable.
//
// A Bar is safe for concurrent use: workers call Add from any goroutine. The line is redrawn at
// most every Interval so that a fast loop does not flood the stream.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Interval is the minimum time between two redraws of a bar's line on a terminal.
const Interval = 100 * time.Millisecond

// LogInterval is the time between two progress lines when the stream is not a terminal.
const LogInterval = 10 * time.Second

// width is the number of characters of the bar itself.
const width = 24

// Bar is a progress bar for a known number of items.
type Bar struct {
	w     io.Writer
	total int
	label string
	now   func() time.Time
	// tty redraws the line in place; otherwise each report is a line of its own.
	tty bool

	mu    sync.Mutex
	done  int
	start time.Time
	last  time.Time
	ended bool
}

// New returns a bar for total items, labelled label, drawn on w. A nil w draws nothing.
func New(w io.Writer, total int, label string) *Bar {
	return newWithClock(w, total, label, time.Now, isTerminal(w))
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// newWithClock is New with an injectable clock and terminal mode for tests.
func newWithClock(w io.Writer, total int, label string, now func() time.Time, tty bool) *Bar {
	if total < 0 {
		total = 0
	}
	b := &Bar{w: w, total: total, label: label, now: now, tty: tty}
	b.start = now()
	return b
}

// Add records n more items done and redraws the line if Interval has passed since the last
// redraw.
func (b *Bar) Add(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ended {
		return
	}
	b.done += n
	if b.done > b.total {
		b.done = b.total
	}
	t := b.now()
	every := Interval
	if !b.tty {
		every = LogInterval
		if b.last.IsZero() {
			b.last = b.start // the first line comes one interval in
		}
	}
	if t.Sub(b.last) >= every || (b.tty && b.done == b.total) {
		b.last = t
		b.draw(t, false)
	}
}

// Count returns the number of items done so far.
func (b *Bar) Count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}

// Done draws the final line (with the total elapsed time) and ends it with a newline. Later calls
// to Add or Done do nothing.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ended {
		return
	}
	b.ended = true
	b.draw(b.now(), true)
}

// draw writes the line; the caller holds mu.
func (b *Bar) draw(t time.Time, final bool) {
	if b.w == nil {
		return
	}
	if !b.tty {
		fmt.Fprintln(b.w, strings.TrimRight(b.line(t, final), " "))
		return
	}
	fmt.Fprint(b.w, "\r"+b.line(t, final))
	if final {
		fmt.Fprint(b.w, "\n")
	}
}

// line formats the bar's text at time t.
func (b *Bar) line(t time.Time, final bool) string {
	elapsed := t.Sub(b.start).Seconds()
	frac := 1.0
	if b.total > 0 {
		frac = float64(b.done) / float64(b.total)
	}
	fill := int(frac * width)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.done) / elapsed
	}
	var tail string
	switch {
	case final:
		tail = "in " + formatDuration(elapsed)
	case rate > 0:
		tail = "ETA " + formatDuration(float64(b.total-b.done)/rate)
	default:
		tail = "ETA --:--"
	}
	prefix := ""
	if b.label != "" {
		prefix = b.label + " "
	}
	return fmt.Sprintf("%s[%s] %d/%d %5.1f/s %s ", prefix, bar, b.done, b.total, rate, tail)
}

// formatDuration formats seconds as m:ss, or h:mm:ss from one hour on.
func formatDuration(sec float64) string {
	if sec < 0 {
		sec = 0
	}
	s := int(sec + 0.5)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock returns a clock that advances by step on every call.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

func TestLine(t *testing.T) {
	tests := []struct {
		name        string
		total, done int
		elapsed     time.Duration
		final       bool
		want        []string
	}{
		{"start", 10, 0, 0, false, []string{"synth [", "0/10", "ETA --:--"}},
		{"half", 10, 5, 5 * time.Second, false, []string{"5/10", "1.0/s", "ETA 0:05", "[============            ]"}},
		{"final", 10, 10, 70 * time.Second, true, []string{"10/10", "in 1:10"}},
		{"hours", 100, 1, 100 * time.Second, false, []string{"ETA 2:45:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			b := newWithClock(nil, tc.total, "synth", func() time.Time { return start }, true)
			b.done = tc.done
			got := b.line(start.Add(tc.elapsed), tc.final)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("line %q lacks %q", got, w)
				}
			}
		})
	}
}

func TestConcurrentAddAndDone(t *testing.T) {
	var buf bytes.Buffer
	b := newWithClock(&buf, 1000, "x", fakeClock(time.Millisecond), true)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 250 {
				b.Add(1)
			}
		}()
	}
	wg.Wait()
	if b.Count() != 1000 {
		t.Fatalf("count %d, want 1000", b.Count())
	}
	b.Done()
	b.Done()
	b.Add(5)
	out := buf.String()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("want exactly one final newline, got %q", out)
	}
	// Redraws are rate-limited: 1000 adds 1 ms apart give about 10 lines, not 1000.
	if n := strings.Count(out, "\r"); n > 20 || n < 2 {
		t.Errorf("%d redraws, want between 2 and 20", n)
	}
	if !strings.Contains(out, "1000/1000") {
		t.Errorf("final line lacks the total: %q", out)
	}
}

func TestAddClampsToTotal(t *testing.T) {
	b := newWithClock(nil, 3, "", fakeClock(time.Second), true)
	b.Add(5)
	if b.Count() != 3 {
		t.Errorf("count %d, want 3", b.Count())
	}
}

// In a log file (not a terminal) progress is whole lines, one per LogInterval, never carriage
// returns.
func TestLogLinesWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	b := newWithClock(&buf, 100, "train", fakeClock(time.Second), false)
	for range 100 {
		b.Add(1)
	}
	b.Done()
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Fatalf("carriage return in a log: %q", out)
	}
	// 100 adds one second apart: a line every 10 s (about 10) and the final one.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 9 || len(lines) > 12 {
		t.Errorf("%d lines, want about 11:\n%s", len(lines), out)
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "100/100") || !strings.Contains(last, "in ") {
		t.Errorf("last line %q lacks the total and the elapsed time", last)
	}
}

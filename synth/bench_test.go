package synth

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStill256 renders 256×256 images with 1–3 people, serially and on all cores. It
// reports images per second (wall clock) and CPU milliseconds per image, the figure that stays
// meaningful when other processes share the machine.
func BenchmarkStill256(b *testing.B) {
	r := mustRenderer(b, Options{Width: 256, Height: 256, MinPeople: 1, MaxPeople: 3})
	for _, bc := range []struct {
		name    string
		workers int
	}{{"serial", 1}, {"parallel", runtime.GOMAXPROCS(0)}} {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			cpu0 := cpuTime()
			for b.Loop() {
				err := Parallel(context.Background(), 16, bc.workers, func(i int) (*Frame, error) {
					return r.Still(1, n*16+i)
				}, func(int, *Frame) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(16*n)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(16*n), "cpu-ms/image")
		})
	}
}

//go:build !unix

package topdown

import "time"

// cpuTime is not measured on this system: the benchmark's CPU metric reads 0.
func cpuTime() time.Duration { return 0 }

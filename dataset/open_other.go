//go:build !unix

package dataset

import "os"

// openNonBlocking opens path read-only (no FIFOs to worry about outside Unix).
func openNonBlocking(path string) (*os.File, error) { return os.Open(path) }

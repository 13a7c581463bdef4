//go:build !unix

package atomicfile

// isSyncUnsupported: directories cannot be synced outside Unix; every error is ignored.
func isSyncUnsupported(error) bool { return true }

// processAlive cannot tell outside Unix: assume the process lives.
func processAlive(int) bool { return true }

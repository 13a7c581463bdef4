//go:build !unix

package atomicfile

// isSyncUnsupported: directories cannot be synced outside Unix; every error is ignored.
func isSyncUnsupported(error) bool { return true }

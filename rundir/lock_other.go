//go:build !unix

package rundir

import "os"

// tryLock: no advisory locks outside Unix; the in-process registry still serialises holders.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) {}

package modelstore

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultCacheDir returns $POSEDISTILL_CACHE when set, otherwise posedistill/ under the user's
// cache directory.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("POSEDISTILL_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache dir: %w", err)
	}
	return filepath.Join(d, "posedistill"), nil
}

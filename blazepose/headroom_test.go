package blazepose

import (
	"os"
	"testing"

	"github.com/posedistill/posedistill/backend"
)

// TestMain maps the heap headroom the go backend's SIMD loads need before any test allocates
// (see backend.ReserveHeapHeadroom), as the posedistill command does in main.
func TestMain(m *testing.M) {
	backend.ReserveHeapHeadroom()
	os.Exit(m.Run())
}

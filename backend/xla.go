//go:build xla

package backend

// The XLA backend (GPUs, TPUs, several devices) installs its PJRT plugin from the internet on first
// use, so it is only compiled in with "go build -tags xla".
import _ "github.com/gomlx/go-xla/compute/xla/autoinstall"

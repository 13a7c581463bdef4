package main

import (
	"testing"

	"github.com/posedistill/posedistill/internal/testkit"
)

// TestMain maps the heap headroom the go backend needs before any test allocates.
func TestMain(m *testing.M) { testkit.Main(m) }

package backend

import (
	"bufio"
	"fmt"
	"os"
	"testing"
	"unsafe"
)

// mappedAfter returns how many bytes of mapped memory follow addr in its /proc/self/maps region.
func mappedAfter(t *testing.T, addr uintptr) uint64 {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Skipf("no /proc/self/maps: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var lo, hi uint64
		var perms string
		if _, err := fmt.Sscanf(sc.Text(), "%x-%x %s", &lo, &hi, &perms); err != nil {
			continue
		}
		if uint64(addr) >= lo && uint64(addr) < hi {
			if perms[0] != 'r' {
				t.Fatalf("address %#x lies in an unreadable region %s", addr, sc.Text())
			}
			return hi - uint64(addr)
		}
	}
	t.Fatalf("address %#x not in /proc/self/maps", addr)
	return 0
}

func TestHeadroomFollowsAllocations(t *testing.T) {
	ReserveHeapHeadroom()
	want := uint64(headroomBytes()) / 4
	if want == 0 {
		t.Skip("no headroom on this machine (strict overcommit or no /proc)")
	}
	for _, n := range []int{1 << 10, 1 << 20, 16 << 20} {
		s := make([]float32, n)
		end := uintptr(unsafe.Pointer(&s[len(s)-1])) + 4
		if after := mappedAfter(t, end-1); after < want {
			t.Errorf("%d floats: only %d mapped bytes after the slice end; want ≥ %d", n, after, want)
		}
	}
}

func TestNewRejectsUnknownBackend(t *testing.T) {
	if _, err := New("nosuchbackend"); err == nil {
		t.Fatal("unknown backend accepted")
	}
}

func TestNewGoBackend(t *testing.T) {
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() == "" {
		t.Error("backend has no name")
	}
}

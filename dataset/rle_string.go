package dataset

import (
	"fmt"
	"math"
)

// CompressedCounts returns the counts in pycocotools' compressed string form: each count, minus
// the count two places before it (from the fourth count on), is written as a signed number in
// 5-bit groups, least significant first, one character per group (value+48, bit 0x20 meaning
// "more groups follow").
func (r *RLE) CompressedCounts() string {
	return string(appendCompressed(nil, r.Counts))
}

// appendCompressed appends the compressed form of counts to dst.
func appendCompressed(dst []byte, counts []uint32) []byte {
	for i, c := range counts {
		x := int64(c)
		if i > 2 {
			x -= int64(counts[i-2])
		}
		for more := true; more; {
			ch := byte(x & 0x1f)
			x >>= 5
			if ch&0x10 != 0 {
				more = x != -1
			} else {
				more = x != 0
			}
			if more {
				ch |= 0x20
			}
			dst = append(dst, ch+48)
		}
	}
	return dst
}

// ParseCompressedCounts decodes pycocotools' compressed counts string (see CompressedCounts). It
// never panics: characters outside '0'…'o', a string ending inside a number, and counts outside
// 0…2³²−1 are errors naming the byte offset.
func ParseCompressedCounts(s string) ([]uint32, error) {
	counts := make([]uint32, 0, len(s)/2+1)
	p := 0
	for p < len(s) {
		start := p
		var x int64
		for k := 0; ; k++ {
			if p >= len(s) {
				return nil, fmt.Errorf("compressed RLE: string ends inside the count starting at byte %d", start)
			}
			if k >= 7 {
				return nil, fmt.Errorf("compressed RLE: count at byte %d has more than 7 groups", start)
			}
			ch := s[p]
			if ch < 48 || ch > 111 {
				return nil, fmt.Errorf("compressed RLE: invalid character %q at byte %d", ch, p)
			}
			c := int64(ch - 48)
			x |= (c & 0x1f) << (5 * k)
			p++
			if c&0x20 == 0 {
				if c&0x10 != 0 {
					x |= -1 << (5 * (k + 1))
				}
				break
			}
		}
		if m := len(counts); m > 2 {
			x += int64(counts[m-2])
		}
		if x < 0 || x > math.MaxUint32 {
			return nil, fmt.Errorf("compressed RLE: count %d at byte %d is out of range", x, start)
		}
		counts = append(counts, uint32(x))
	}
	return counts, nil
}

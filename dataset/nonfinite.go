package dataset

// nonFiniteReplacements maps the first byte of the bare NaN, Infinity and -Infinity tokens that
// Python's json module writes (and that JSON forbids) to a string of the same length.
var nonFiniteReplacements = map[byte]string{
	'N': `"N"`,
	'I': `"Infini"`,
	'-': `"-Infini"`,
}

// rewriteNonFinite returns a copy of raw in which the NaN and Infinity tokens at the offsets at
// (as the scanner reports them) are strings of the same length, so that the JSON is well formed,
// byte offsets are unchanged, and encoding/json reports the value as a type error naming the
// field it is in.
func rewriteNonFinite(raw []byte, at []int) []byte {
	out := append([]byte(nil), raw...)
	for _, i := range at {
		if i < 0 || i >= len(out) {
			continue
		}
		if r, ok := nonFiniteReplacements[out[i]]; ok && i+len(r) <= len(out) {
			copy(out[i:], r)
		}
	}
	return out
}

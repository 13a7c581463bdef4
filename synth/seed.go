package synth

import "math/rand/v2"

// Random streams: still images and sequences draw from separate streams of the same seed.
const (
	streamStill    = 1
	streamSequence = 2
	streamFrame    = 3
)

// splitmix64 is a strong 64-bit mixing function.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newRand returns the generator of item (stream, index) of the set generated from seed: the same
// arguments always give the same sequence, whatever else is rendered and in which order.
func newRand(seed, stream, index uint64) *rand.Rand {
	a := splitmix64(seed ^ splitmix64(stream<<56^index))
	b := splitmix64(a ^ 0x5851f42d4c957f2d)
	return rand.New(rand.NewPCG(a, b))
}

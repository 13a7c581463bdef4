package smooth

import (
	"fmt"
	"math"
)

// MissingPolicy says what KeypointFilter reports for a joint that is missing or below the
// confidence threshold in a frame.
type MissingPolicy int

const (
	// Hold reports the joint's last filtered position with its last confident score, as if the
	// detection had not changed. The filter state is not advanced.
	Hold MissingPolicy = iota
	// Decay reports the joint's last filtered position with its last confident score multiplied
	// by exp(-gap/DecayTime), gap being the time since the joint was last seen: a long-missing
	// joint fades out of overlays and score-thresholded evaluation. The filter state is not
	// advanced.
	Decay
)

// String returns "hold" or "decay".
func (m MissingPolicy) String() string {
	switch m {
	case Hold:
		return "hold"
	case Decay:
		return "decay"
	}
	return fmt.Sprintf("MissingPolicy(%d)", int(m))
}

// KeypointConfig configures a KeypointFilter.
type KeypointConfig struct {
	// Params are the 1€ parameters shared by every joint and coordinate.
	Params Params
	// Rate is the frame rate (Hz) assumed for a joint's second sample; later steps use the
	// actual time between the joint's samples. 30 when zero.
	Rate float64
	// MinScore is the confidence threshold: a joint whose score is not above MinScore is missing
	// (so a zero score is always missing). Coordinates that are NaN or infinite are missing too.
	MinScore float64
	// Missing is the policy for missing joints.
	Missing MissingPolicy
	// DecayTime is the time constant (seconds) of the Decay policy. 0.5 when zero.
	DecayTime float64
	// Timeout (seconds): a joint unseen for longer restarts from its next detection instead of
	// gliding from a stale position, and Prune forgets tracks unseen for longer. 1 when zero.
	Timeout float64
}

func (c KeypointConfig) withDefaults() KeypointConfig {
	if c.Rate == 0 {
		c.Rate = 30
	}
	if c.DecayTime == 0 {
		c.DecayTime = 0.5
	}
	if c.Timeout == 0 {
		c.Timeout = 1
	}
	return c
}

func (c KeypointConfig) validate() error {
	if err := c.Params.Validate(); err != nil {
		return err
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"rate", c.Rate}, {"decay time", c.DecayTime}, {"timeout", c.Timeout}} {
		if !(v.x > 0) || math.IsInf(v.x, 0) {
			return fmt.Errorf("keypoint filter: %s %v must be positive and finite", v.name, v.x)
		}
	}
	if math.IsNaN(c.MinScore) {
		return fmt.Errorf("keypoint filter: min score is NaN")
	}
	if c.Missing != Hold && c.Missing != Decay {
		return fmt.Errorf("keypoint filter: unknown missing-joint policy %v", c.Missing)
	}
	return nil
}

// jointState is the filter state of one joint of one track.
type jointState struct {
	coords   []*OneEuro // one filter per coordinate
	seen     bool       // the joint has been filtered at least once since the last restart
	lastSeen float64    // time of the last confident sample
	score    float64    // score of the last confident sample
	out      []float64  // last filtered position
}

// trackState is the filter state of one tracked person.
type trackState struct {
	joints   []jointState
	lastTime float64 // time of the last Update
	lastSeen float64 // time of the last Update with at least one confident joint
}

// KeypointFilter smooths the keypoints of tracked people over time, with one 1€ filter per
// (track, joint, coordinate). It is not safe for concurrent use.
type KeypointFilter struct {
	cfg    KeypointConfig
	dim    int
	joints int
	tracks map[int64]*trackState
}

// NewKeypointFilter returns a filter for sets of joints keypoints with dim coordinates each (2
// for image keypoints, 3 for 3D joints).
func NewKeypointFilter(cfg KeypointConfig, joints, dim int) (*KeypointFilter, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if joints <= 0 || dim <= 0 {
		return nil, fmt.Errorf("keypoint filter: need joints > 0 and dim > 0, got %d and %d", joints, dim)
	}
	return &KeypointFilter{cfg: cfg, dim: dim, joints: joints, tracks: map[int64]*trackState{}}, nil
}

// Update filters one detection of track at time t (seconds). points holds dim coordinates per
// joint; scores holds one confidence per joint, or is nil when every joint is confident. It
// returns the filtered points and the reported scores (new slices; scores are the input scores
// for confident joints and follow the missing-joint policy for the others). A joint missing
// before it was ever seen is passed through unchanged. Times must not decrease within a track.
func (f *KeypointFilter) Update(track int64, t float64, points, scores []float64) (out, outScores []float64, err error) {
	if len(points) != f.joints*f.dim {
		return nil, nil, fmt.Errorf("track %d at t=%v: %d coordinates, want %d joints × %d", track, t, len(points), f.joints, f.dim)
	}
	if scores != nil && len(scores) != f.joints {
		return nil, nil, fmt.Errorf("track %d at t=%v: %d scores, want %d", track, t, len(scores), f.joints)
	}
	if math.IsNaN(t) || math.IsInf(t, 0) {
		return nil, nil, fmt.Errorf("track %d: timestamp %v is not finite", track, t)
	}
	ts, ok := f.tracks[track]
	if !ok {
		ts = &trackState{joints: make([]jointState, f.joints), lastTime: t, lastSeen: t}
		f.tracks[track] = ts
	} else if t < ts.lastTime {
		return nil, nil, fmt.Errorf("track %d: time goes back from %v to %v", track, ts.lastTime, t)
	}
	ts.lastTime = t

	out = make([]float64, len(points))
	outScores = make([]float64, f.joints)
	anySeen := false
	for j := 0; j < f.joints; j++ {
		p := points[j*f.dim : (j+1)*f.dim]
		score := 1.0
		if scores != nil {
			score = scores[j]
		}
		js := &ts.joints[j]
		if js.seen && t-js.lastSeen > f.cfg.Timeout {
			js.seen = false // lost too long: restart from the next detection
		}
		if !f.confident(p, score) {
			if !js.seen {
				copy(out[j*f.dim:], p)
				outScores[j] = score
				continue
			}
			copy(out[j*f.dim:], js.out)
			outScores[j] = js.score
			if f.cfg.Missing == Decay {
				outScores[j] = js.score * math.Exp(-(t-js.lastSeen)/f.cfg.DecayTime)
			}
			continue
		}
		anySeen = true
		if js.coords == nil {
			js.coords = make([]*OneEuro, f.dim)
			js.out = make([]float64, f.dim)
			for c := range js.coords {
				// Parameters were validated in NewKeypointFilter.
				js.coords[c], _ = NewOneEuro(f.cfg.Params, f.cfg.Rate)
			}
		}
		if !js.seen {
			for _, c := range js.coords {
				c.Reset()
			}
			js.seen = true
		}
		for c, x := range p {
			js.out[c] = js.coords[c].Filter(x, t)
		}
		js.lastSeen = t
		js.score = score
		copy(out[j*f.dim:], js.out)
		outScores[j] = score
	}
	if anySeen {
		ts.lastSeen = t
	}
	return out, outScores, nil
}

// confident reports whether a joint's detection is usable.
func (f *KeypointFilter) confident(p []float64, score float64) bool {
	if !(score > f.cfg.MinScore) {
		return false
	}
	for _, x := range p {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// Prune forgets the tracks that have had no confident joint for longer than the timeout at time
// t, and returns how many it removed. Call it once per frame to bound memory on long videos.
func (f *KeypointFilter) Prune(t float64) int {
	n := 0
	for id, ts := range f.tracks {
		if t-ts.lastSeen > f.cfg.Timeout {
			delete(f.tracks, id)
			n++
		}
	}
	return n
}

// Tracks returns the number of tracks the filter currently holds state for.
func (f *KeypointFilter) Tracks() int { return len(f.tracks) }

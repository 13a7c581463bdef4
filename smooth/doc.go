// Package smooth filters noisy keypoint trajectories with the 1€ filter of Casiez, Roussel and
// Vogel ("1€ Filter: A Simple Speed-based Low-pass Filter for Noisy Input in Interactive
// Systems", CHI 2012), measures temporal quality against ground truth (jitter and lag), and tunes
// the filter's two parameters by the paper's procedure.
//
// OneEuro filters one scalar signal; KeypointFilter keeps one filter state per (track, joint,
// coordinate) for 2D or 3D keypoint sets at variable frame rates, holds or decays joints that are
// missing or below a confidence threshold, and forgets tracks that have been lost for longer than
// a timeout. SmoothResults applies it to per-frame COCO keypoint results with track ids.
//
// AccelError, HighFreqRMS and Lag compare a filtered sequence with the true one, and
// EvaluateTemporal applies them to tracked results against tracked ground-truth annotations; Tune
// searches mincutoff and beta; Experiment reproduces the README's figures on synthetic
// trajectories.
package smooth

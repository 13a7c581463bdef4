package main

import (
	"fmt"
	"time"

	"github.com/posedistill/posedistill/distill"
)

// runTime describes where a training run's time went: its length, its throughput and the share of
// it spent in training steps (the rest: teachers, data, checkpoints, validation).
func runTime(elapsed, stepTime time.Duration, imgPerSec float64) string {
	return fmt.Sprintf("%s (%.1f img/s; %.0f %% of the time in training steps)", elapsed.Round(time.Second),
		imgPerSec, 100*stepTime.Seconds()/max(elapsed.Seconds(), 1e-9))
}

// seconds converts a distill.Result's float seconds to a duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// stepShare is distill's result line on where the run's time went, as train prints it.
func stepShare(res distill.Result) string {
	return res.Name + ": " + runTime(seconds(res.Elapsed), seconds(res.StepTime), res.ImgPerSec)
}

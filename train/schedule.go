package train

import "math"

// LearningRate returns the configured learning rate at step (0-based): a linear warmup from 0
// over WarmupSteps, then a cosine decay from LR to MinLR at Steps, a step decay (×StepGamma at
// each milestone), or a constant LR.
func (c *Config) LearningRate(step int) float64 {
	if step < c.WarmupSteps {
		return c.LR * float64(step+1) / float64(c.WarmupSteps)
	}
	switch c.Schedule {
	case "cosine":
		span := c.Steps - c.WarmupSteps
		if span <= 0 {
			return c.LR
		}
		t := math.Min(1, float64(step-c.WarmupSteps)/float64(span))
		return c.MinLR + (c.LR-c.MinLR)*(1+math.Cos(math.Pi*t))/2
	case "step":
		lr := c.LR
		for _, m := range c.StepMilestones {
			if step >= m {
				lr *= c.StepGamma
			}
		}
		return lr
	}
	return c.LR
}

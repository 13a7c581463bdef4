package distill

import (
	"fmt"

	"github.com/posedistill/posedistill/train"
)

// Order is how the two ODKD teachers are scheduled.
type Order string

// The orders: ODKD's orderly learning (primary first, then senior), both teachers at once, and
// senior first (for the ablation).
const (
	Ordered   Order = "ordered"
	Unordered Order = "unordered"
	Reversed  Order = "reversed"
)

// Stages is the dual-teacher schedule: in Ordered mode the primary teacher's terms are on for
// steps [0, PrimarySteps) and the senior teacher's from PrimarySteps on (to the run's end, or for
// SeniorSteps when positive); Reversed swaps the teachers; Unordered keeps both on throughout.
type Stages struct {
	Order        Order
	PrimarySteps int
	SeniorSteps  int
}

// Validate reports whether the schedule is usable.
func (s Stages) Validate() error {
	switch s.Order {
	case Ordered, Unordered, Reversed:
	default:
		return fmt.Errorf("teacher order %q (want ordered, unordered or reversed)", s.Order)
	}
	if s.PrimarySteps < 0 || s.SeniorSteps < 0 {
		return fmt.Errorf("negative stage length (primary %d, senior %d)", s.PrimarySteps, s.SeniorSteps)
	}
	if s.Order == Ordered && s.PrimarySteps == 0 {
		return fmt.Errorf("ordered teachers need primary_steps > 0 (the step the senior teacher takes over)")
	}
	if s.Order == Reversed && s.SeniorSteps == 0 {
		return fmt.Errorf("reversed teachers need senior_steps > 0 (the step the primary teacher takes over)")
	}
	return nil
}

// gate returns 1 inside [from, to) (to ≤ 0: no end) and 0 elsewhere.
func gate(from, to int) func(int) float64 {
	return func(step int) float64 {
		if step >= from && (to <= 0 || step < to) {
			return 1
		}
		return 0
	}
}

// Primary returns the on/off gate of the primary teacher's terms.
func (s Stages) Primary() func(int) float64 {
	switch s.Order {
	case Unordered:
		return gate(0, 0)
	case Reversed:
		end := 0
		if s.PrimarySteps > 0 {
			end = s.SeniorSteps + s.PrimarySteps
		}
		return gate(s.SeniorSteps, end)
	}
	return gate(0, s.PrimarySteps)
}

// Senior returns the on/off gate of the senior teacher's terms.
func (s Stages) Senior() func(int) float64 {
	switch s.Order {
	case Unordered:
		return gate(0, 0)
	case Reversed:
		return gate(0, s.SeniorSteps)
	}
	end := 0
	if s.SeniorSteps > 0 {
		end = s.PrimarySteps + s.SeniorSteps
	}
	return gate(s.PrimarySteps, end)
}

// Gated returns the schedule w(step)·gate(step) (w nil means 1).
func Gated(w train.Schedule, gate func(int) float64) train.Schedule {
	return func(step int) float64 {
		v := 1.0
		if w != nil {
			v = w(step)
		}
		return v * gate(step)
	}
}

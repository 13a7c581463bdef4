package fusedops

import "github.com/gomlx/compute"

// Accessors for graph passes in other packages (posedistill's fork: the batch-norm + activation
// fusion of ops/batchnorm_act.go reads which activation a node applies).

// ActivationConfig returns the activation a FusedActivation node applies.
func (d *nodeFusedActivation) ActivationConfig() compute.ActivationConfig { return d.cfg }

// ActivationVJPConfig returns the activation whose VJP a FusedActivationVJP node computes, and
// whether it takes the activation's output y and its input x (in that order, before dOutput).
func (d *nodeFusedActivationVJP) ActivationVJPConfig() (cfg compute.ActivationConfig, hasY, hasX bool) {
	return d.cfg, d.hasY, d.hasX
}

// Package experiment is the distillation application built on package distill: an ablation
// (LoadExperiment, a YAML file naming the data, the student and teacher configurations, the
// variants and seeds) run end to end by RunExperiment — render or reuse the synthetic dataset,
// train or reuse the teachers (cached by their recipe's hash), pretrain the student, train every
// variant (distill.VariantRecipe) with every seed, and the 3D teacher and students — then the
// table (table.md, results.json) and the plot; and the demo (RunDemo), a small fixed experiment
// with an HTML report of tables, curves and pictures (package figures, package report).
package experiment

// Package figures draws pictures of trained models for reports: teacher-vs-student heatmap grids,
// top-down predictions over held-out images, the pseudo-label agreement grid, and loss curves.
package figures

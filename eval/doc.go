// Package eval measures pose accuracy: COCO keypoint AP/AR, PCK, and 3D errors.
package eval

package synth

import (
	"math"
	"math/rand/v2"

	"github.com/posedistill/posedistill/dataset"
)

// camera is a pinhole camera standing in a world whose Y axis points up and whose ground is the
// plane Y = 0. It sits at height Height above the origin, looks along +Z pitched down by Pitch.
type camera struct {
	Intr          dataset.Camera
	Width, Height int
	Elevation     float64 // mm above the ground
	Pitch         float64 // radians, positive looks down
	rot           mat3    // world → camera rotation
}

// newCamera builds the world → camera transform.
func newCamera(intr dataset.Camera, w, h int, elevation, pitch float64) camera {
	c := camera{Intr: intr, Width: w, Height: h, Elevation: elevation, Pitch: pitch}
	// Camera axes: X right, Y down, Z forward. Looking along world +Z with world Y up, image
	// right is world −X, so flip X and Y after pitching.
	c.rot = mat3{-1, 0, 0, 0, -1, 0, 0, 0, 1}.mul(rotX(-pitch))
	return c
}

// sampleCamera draws intrinsics (horizontal field of view 45°–75°, principal point near the
// centre), a height and a downward pitch.
func sampleCamera(rng *rand.Rand, w, h int) camera {
	fov := u(rng, 45, 75)
	f := float64(w) / 2 / math.Tan(fov/2)
	intr := dataset.Camera{
		Fx: f, Fy: f,
		Cx: float64(w)/2 + 0.02*float64(w)*rng.NormFloat64(),
		Cy: float64(h)/2 + 0.02*float64(h)*rng.NormFloat64(),
	}
	return newCamera(intr, w, h, 900+1300*rng.Float64(), u(rng, -2, 18))
}

// toCamera maps a world point to camera coordinates.
func (c *camera) toCamera(p vec3) vec3 {
	return c.rot.apply(p.sub(vec3{0, c.Elevation, 0}))
}

// toWorld maps a camera-coordinate point back to the world.
func (c *camera) toWorld(p vec3) vec3 {
	return c.rot.applyT(p).add(vec3{0, c.Elevation, 0})
}

// project maps a camera-coordinate point to pixel coordinates (continuous; the image spans
// [0, W] × [0, H] and pixel (i, j) covers [i, i+1) × [j, j+1)).
func (c *camera) project(p vec3) (x, y float64) {
	return c.Intr.Fx*p.X/p.Z + c.Intr.Cx, c.Intr.Fy*p.Y/p.Z + c.Intr.Cy
}

// ray returns the direction (with Z = 1) of the ray through pixel coordinates (x, y).
func (c *camera) ray(x, y float64) vec3 {
	return vec3{(x - c.Intr.Cx) / c.Intr.Fx, (y - c.Intr.Cy) / c.Intr.Fy, 1}
}

// groundPoint returns the world ground point whose projection has image column x at depth z
// along the camera's horizontal forward direction (approximately; pitch is small).
func (c *camera) groundPoint(x, z float64) vec3 {
	return vec3{-(x - c.Intr.Cx) * z / c.Intr.Fx, 0, z}
}

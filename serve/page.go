package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"

	"github.com/posedistill/posedistill/skeleton"
)

// pageTemplate is the web page: pick an image, it is POSTed to /v1/pose and drawn on a canvas
// with the skeletons of the people found (left side green, right orange, middle blue). The query
// parameter image=/path estimates an image from the same origin at once.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>posedistill: {{.Model}}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
canvas { max-width: 100%; border: 1px solid #ccc; display: block; margin-top: 1em; }
#status { margin-top: 0.5em; color: #444; }
#status.error { color: #b00; }
</style></head>
<body>
<h1>posedistill</h1>
<p>Model <code>{{.Model}}</code>. Choose a JPEG or PNG photo: the people in it and their poses are drawn below.</p>
<input type="file" id="file" accept="image/jpeg,image/png">
<div id="status">No image yet.</div>
<canvas id="canvas" width="640" height="360"></canvas>
<script>
const joints = {{.Joints}};
const bones = {{.Bones}};
const minScore = 0.3;
function side(name) { return name.startsWith("left_") ? "#28dc3c" : name.startsWith("right_") ? "#f07814" : "#3c8cff"; }
const palette = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6"];
function draw(img, people) {
  const c = document.getElementById("canvas"), g = c.getContext("2d");
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  g.drawImage(img, 0, 0);
  const w = Math.max(2, c.height / 200);
  people.forEach((p, i) => {
    const k = p.keypoints, pt = j => [k[3*j], k[3*j+1], k[3*j+2]];
    g.strokeStyle = palette[(p.track_id ? p.track_id - 1 : i) % palette.length]; g.lineWidth = w / 2;
    if (p.bbox) g.strokeRect(p.bbox[0], p.bbox[1], p.bbox[2], p.bbox[3]);
    g.lineWidth = w;
    bones.forEach(([a, b]) => {
      const [xa, ya, sa] = pt(a), [xb, yb, sb] = pt(b);
      if (sa < minScore || sb < minScore) return;
      g.strokeStyle = side(joints[b]); g.beginPath(); g.moveTo(xa, ya); g.lineTo(xb, yb); g.stroke();
    });
    joints.forEach((name, j) => {
      const [x, y, s] = pt(j);
      if (s < minScore) return;
      g.fillStyle = side(name); g.beginPath(); g.arc(x, y, 1.5 * w, 0, 2 * Math.PI); g.fill();
    });
  });
}
async function estimate(f) {
  const status = document.getElementById("status");
  status.className = ""; status.textContent = "Estimating…";
  const img = new Image();
  img.src = URL.createObjectURL(f);
  await img.decode();
  const t0 = performance.now();
  const res = await fetch("v1/pose", { method: "POST", headers: { "Content-Type": f.type || "application/octet-stream" }, body: f });
  const body = await res.json();
  if (!res.ok) { status.className = "error"; status.textContent = "Error " + res.status + ": " + body.error; return; }
  draw(img, body);
  status.textContent = body.length + (body.length == 1 ? " person" : " people") + " in " + Math.round(performance.now() - t0) + " ms.";
  document.body.dataset.people = body.length;
}
document.getElementById("file").addEventListener("change", ev => { if (ev.target.files[0]) estimate(ev.target.files[0]); });
// ?image=/path estimates an image of this server's origin (links and tests).
const start = new URLSearchParams(location.search).get("image");
if (start && start.startsWith("/") && !start.startsWith("//")) {
  fetch(start).then(r => r.blob()).then(estimate).catch(e => { const s = document.getElementById("status"); s.className = "error"; s.textContent = String(e); });
}
</script>
</body></html>
`))

// renderPage renders the page for a model whose keypoints are set.
func renderPage(model string, set *skeleton.Set) ([]byte, error) {
	var buf bytes.Buffer
	jb, err := json.Marshal(set.Bones)
	if err != nil {
		return nil, err
	}
	err = pageTemplate.Execute(&buf, struct {
		Model  string
		Joints []string
		Bones  template.JS
	}{model, set.Joints, template.JS(jb)})
	if err != nil {
		return nil, fmt.Errorf("serve: page: %w", err)
	}
	return buf.Bytes(), nil
}

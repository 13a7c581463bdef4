// Package report writes self-contained experiment reports: one HTML page of sections with text,
// tables and images (PNG files beside the page), written atomically.
package report

import (
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/posedistill/posedistill/atomicfile"
)

// Table is a header row and body rows of cells.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// Image is a picture beside the page: Path relative to the page's directory.
type Image struct {
	Path    string
	Caption string
}

// Section is one heading with its paragraphs, tables and images, in that order.
type Section struct {
	Heading    string
	Paragraphs []string
	Tables     []Table
	Images     []Image
	// Pre holds preformatted text (commands, logs).
	Pre string
}

// Page is a whole report.
type Page struct {
	Title    string
	Subtitle string
	Sections []Section
	// Generated is the time stamp shown under the title (zero: none).
	Generated time.Time
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} .sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:1em 0;font-size:.9em} caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right} th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
figure{margin:1em 0} figure img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}
figcaption{color:#555;font-size:.9em} pre{background:#f6f6f6;padding:.6em;overflow-x:auto}
</style></head><body>
<h1>{{.Title}}</h1>{{if .Subtitle}}<p class="sub">{{.Subtitle}}</p>{{end}}
{{if not .Generated.IsZero}}<p class="sub">generated {{.Generated.Format "2006-01-02 15:04 MST"}}</p>{{end}}
{{range .Sections}}<h2>{{.Heading}}</h2>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{range .Tables}}<table>{{if .Caption}}<caption>{{.Caption}}</caption>{{end}}
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{end}}{{range .Images}}<figure><img src="{{.Path}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>
{{end}}{{if .Pre}}<pre>{{.Pre}}</pre>{{end}}
{{end}}</body></html>
`))

// Validate reports images whose paths leave the page's directory or are absolute, and tables
// whose rows do not match their header.
func (p *Page) Validate() error {
	for _, s := range p.Sections {
		for _, im := range s.Images {
			c := filepath.ToSlash(filepath.Clean(im.Path))
			if im.Path == "" || filepath.IsAbs(im.Path) || c == ".." || strings.HasPrefix(c, "../") {
				return fmt.Errorf("report: image path %q must be relative, inside the report directory", im.Path)
			}
		}
		for _, t := range s.Tables {
			for i, r := range t.Rows {
				if len(r) != len(t.Header) {
					return fmt.Errorf("report: table %q row %d has %d cells, header %d", t.Caption, i, len(r), len(t.Header))
				}
			}
		}
	}
	return nil
}

// Render writes the page's HTML to w.
func (p *Page) Render(w io.Writer) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return pageTemplate.Execute(w, p)
}

// Write renders the page to path atomically.
func Write(path string, p *Page) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := atomicfile.Write(path, p.Render); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

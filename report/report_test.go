package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteEscapesAndLinks(t *testing.T) {
	dir := t.TempDir()
	p := &Page{Title: "demo <1>", Sections: []Section{{
		Heading:    "Results",
		Paragraphs: []string{"AP & AR"},
		Tables:     []Table{{Caption: "t", Header: []string{"model", "AP"}, Rows: [][]string{{"odkd", "0.5"}}}},
		Images:     []Image{{Path: "figs/a.png", Caption: "overlay"}},
	}}}
	path := filepath.Join(dir, "index.html")
	if err := Write(path, p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"demo &lt;1&gt;", "AP &amp; AR", "<td>odkd</td><td>0.5</td>", `src="figs/a.png"`} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		sec  Section
		ok   bool
	}{
		{"fine", Section{Images: []Image{{Path: "a.png"}}}, true},
		{"absolute image", Section{Images: []Image{{Path: "/etc/a.png"}}}, false},
		{"image outside", Section{Images: []Image{{Path: "../a.png"}}}, false},
		{"empty image", Section{Images: []Image{{}}}, false},
		{"ragged table", Section{Tables: []Table{{Header: []string{"a", "b"}, Rows: [][]string{{"1"}}}}}, false},
	}
	for _, c := range cases {
		err := (&Page{Sections: []Section{c.sec}}).Validate()
		if (err == nil) != c.ok {
			t.Errorf("%s: error %v", c.name, err)
		}
	}
}

package hints

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A hint set survives writing and reading; malformed files are refused with the file's name.
func TestReadWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, File)
	want := Set{Teacher: "/runs/teacher", Hints: []Hint{{Student: "features_3_add", Teacher: "block_2_add.add", Channels: []int{3, 0, 7}}}}
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read %+v, wrote %+v", got, want)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"not json", "{", "unexpected end"},
		{"no teacher", `{"hints":[{"student":"a","teacher":"b","channels":[0]}]}`, "want a teacher"},
		{"no hints", `{"teacher":"t"}`, "at least one hint"},
		{"no channels", `{"teacher":"t","hints":[{"student":"a","teacher":"b"}]}`, "hint 0 needs"},
		{"negative channel", `{"teacher":"t","hints":[{"student":"a","teacher":"b","channels":[-1]}]}`, "negative channel -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %v, want %q naming %s", err, tc.want, p)
			}
		})
	}
	if _, err := Read(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("reading a missing file: no error")
	}
}

// Read never panics, and what it accepts is well formed.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"teacher":"t","hints":[{"student":"a","teacher":"b","channels":[0,1]}]}`))
	f.Add([]byte(`{"teacher":"","hints":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p := filepath.Join(t.TempDir(), File)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Read(p)
		if err != nil {
			return
		}
		if s.Teacher == "" || len(s.Hints) == 0 {
			t.Fatalf("accepted %q as %+v", body, s)
		}
		for _, h := range s.Hints {
			if h.Student == "" || h.Teacher == "" || len(h.Channels) == 0 {
				t.Fatalf("accepted hint %+v", h)
			}
		}
	})
}

package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// imageFields is Image without its methods, for the default encoding.
type imageFields Image

// imageKnownKeys are the JSON names of Image's own fields.
var imageKnownKeys = func() []string {
	var keys []string
	t := reflect.TypeOf(Image{})
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}()

// isImageKey reports whether k names one of Image's fields (matching case-insensitively, as
// encoding/json does).
func isImageKey(k string) bool {
	return slices.ContainsFunc(imageKnownKeys, func(known string) bool { return strings.EqualFold(k, known) })
}

// UnmarshalJSON decodes an image entry, keeping the fields Image does not name in Extra.
func (im *Image) UnmarshalJSON(data []byte) error {
	var f imageFields
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	f.Extra = nil
	for k := range all {
		if isImageKey(k) {
			delete(all, k)
		}
	}
	if len(all) > 0 {
		extra, err := json.Marshal(all) // compact, keys sorted
		if err != nil {
			return err
		}
		f.Extra = extra
	}
	*im = Image(f)
	return nil
}

// MarshalJSON encodes an image entry with the fields of Extra after the named ones. Extra must be
// a JSON object whose keys differ from the named fields'.
func (im Image) MarshalJSON() ([]byte, error) {
	data, err := json.Marshal(imageFields(im))
	if err != nil || len(im.Extra) == 0 {
		return data, err
	}
	var extra map[string]json.RawMessage
	if err := json.Unmarshal(im.Extra, &extra); err != nil {
		return nil, fmt.Errorf("image id %d: extra fields must be a JSON object: %w", im.ID, err)
	}
	for k := range extra {
		if isImageKey(k) {
			return nil, fmt.Errorf("image id %d: extra field %q duplicates a named field", im.ID, k)
		}
	}
	if len(extra) == 0 {
		return data, nil
	}
	var obj bytes.Buffer
	if err := json.Compact(&obj, im.Extra); err != nil {
		return nil, fmt.Errorf("image id %d: extra fields: %w", im.ID, err)
	}
	out := append(data[:len(data)-1:len(data)-1], ',') // the named fields without their closing brace
	return append(out, obj.Bytes()[1:]...), nil        // the extra fields after their opening brace
}

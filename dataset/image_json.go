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

// UnmarshalJSON decodes an image entry, keeping fields Image does not name in Extra (compacted).
func (im *Image) UnmarshalJSON(data []byte) error {
	var f imageFields
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	for k, v := range all {
		if slices.ContainsFunc(imageKnownKeys, func(known string) bool { return strings.EqualFold(k, known) }) {
			continue
		}
		if f.Extra == nil {
			f.Extra = map[string]json.RawMessage{}
		}
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return err
		}
		f.Extra[k] = c.Bytes()
	}
	*im = Image(f)
	return nil
}

// MarshalJSON encodes an image entry with its Extra fields after the named ones, in key order.
// An Extra key that collides with a named field is an error.
func (im Image) MarshalJSON() ([]byte, error) {
	data, err := json.Marshal(imageFields(im))
	if err != nil || len(im.Extra) == 0 {
		return data, err
	}
	keys := make([]string, 0, len(im.Extra))
	for k := range im.Extra {
		if slices.ContainsFunc(imageKnownKeys, func(known string) bool { return strings.EqualFold(k, known) }) {
			return nil, fmt.Errorf("image id %d: extra field %q duplicates a named field", im.ID, k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.Write(data[:len(data)-1]) // drop the closing brace
	for _, k := range keys {
		key, _ := json.Marshal(k)
		buf.WriteByte(',')
		buf.Write(key)
		buf.WriteByte(':')
		if err := json.Compact(&buf, im.Extra[k]); err != nil {
			return nil, fmt.Errorf("image id %d: extra field %q: %w", im.ID, k, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

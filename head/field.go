package head

import "github.com/velox-proxy/velox/codec"

// Field is one header field, as received (HTTP/1.x field line; HTTP/2
// regular field, lower case, pseudo-fields excluded) or as a filter set it.
// A Field with a nil Name is deleted: writers skip it.
type Field struct {
	Name, Value []byte
}

// emptyValue is what Get returns for a field present with an empty value.
var emptyValue = []byte{}

func get(fs []Field, name string) []byte {
	for _, f := range fs {
		if f.Name != nil && codec.EqualFold(f.Name, name) {
			if f.Value == nil {
				return emptyValue // present but empty: not nil
			}
			return f.Value
		}
	}
	return nil
}

func has(fs []Field, name string) bool {
	for _, f := range fs {
		if f.Name != nil && codec.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

func del(fs []Field, name string) {
	for i := range fs {
		if fs[i].Name != nil && codec.EqualFold(fs[i].Name, name) {
			fs[i] = Field{}
		}
	}
}

func delBytes(fs []Field, name []byte) {
	for i := range fs {
		if fs[i].Name != nil && codec.EqualFoldBytes(fs[i].Name, name) {
			fs[i] = Field{}
		}
	}
}

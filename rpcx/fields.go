package rpcx

// Fields steps through the fields of a request that a proxy shows as
// headers: each Dubbo attachment with a string value read in place
// (entries of other types, and chunked strings, are stepped over), each
// Bolt header-map entry. Keys and values
// point into the frame. The zero Fields has none; Head.Fields makes one.
type Fields struct {
	bolt bool
	m    []byte      // Bolt: the rest of the header map
	a    attachments // Dubbo
}

// Fields returns the fields of the request whose head is h.
func (h *Head) Fields() Fields {
	if h.isBolt {
		return Fields{bolt: true, m: h.meta}
	}
	var f Fields
	f.a.reset(h.meta)
	return f
}

// Next returns the next field; ok is false after the last. An error says
// the map cannot be read (or a Dubbo key is chunked, see attachments).
func (f *Fields) Next() (key, value []byte, ok bool, err error) {
	if f.bolt {
		if len(f.m) == 0 {
			return nil, nil, false, nil
		}
		k, rest, ok1 := boltField(f.m)
		v, rest, ok2 := boltField(rest)
		if !ok1 || !ok2 {
			return nil, nil, false, ErrBadBody
		}
		f.m = rest
		return k, v, true, nil
	}
	for {
		k, ok, err := f.a.next()
		if err != nil || !ok {
			return nil, nil, false, err
		}
		v, _, err := f.a.r.ReadString()
		if err == nil {
			return k, v, true, nil
		}
		if f.a.r.Skip() != nil { // a value of another type, or chunked (over 64K characters)
			return nil, nil, false, ErrBadBody
		}
	}
}

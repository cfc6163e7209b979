package hpack

// entryOverhead is the per-entry overhead of section 4.1.
const entryOverhead = 32

// DefaultTableSize is the initial SETTINGS_HEADER_TABLE_SIZE (RFC 9113
// section 6.5.2), the dynamic table limit a Decoder and Encoder start with.
const DefaultTableSize = 4096

type staticEntry struct{ name, value string }

// staticTable is Appendix A; index i+1 is staticTable[i].
var staticTable = [...]staticEntry{
	{":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"},
	{":path", "/index.html"}, {":scheme", "http"}, {":scheme", "https"},
	{":status", "200"}, {":status", "204"}, {":status", "206"}, {":status", "304"},
	{":status", "400"}, {":status", "404"}, {":status", "500"},
	{"accept-charset", ""}, {"accept-encoding", "gzip, deflate"},
	{"accept-language", ""}, {"accept-ranges", ""}, {"accept", ""},
	{"access-control-allow-origin", ""}, {"age", ""}, {"allow", ""},
	{"authorization", ""}, {"cache-control", ""}, {"content-disposition", ""},
	{"content-encoding", ""}, {"content-language", ""}, {"content-length", ""},
	{"content-location", ""}, {"content-range", ""}, {"content-type", ""},
	{"cookie", ""}, {"date", ""}, {"etag", ""}, {"expect", ""}, {"expires", ""},
	{"from", ""}, {"host", ""}, {"if-match", ""}, {"if-modified-since", ""},
	{"if-none-match", ""}, {"if-range", ""}, {"if-unmodified-since", ""},
	{"last-modified", ""}, {"link", ""}, {"location", ""}, {"max-forwards", ""},
	{"proxy-authenticate", ""}, {"proxy-authorization", ""}, {"range", ""},
	{"referer", ""}, {"refresh", ""}, {"retry-after", ""}, {"server", ""},
	{"set-cookie", ""}, {"strict-transport-security", ""},
	{"transfer-encoding", ""}, {"user-agent", ""}, {"vary", ""}, {"via", ""},
	{"www-authenticate", ""},
}

// staticLen is the number of static entries; dynamic indices follow it.
const staticLen = len(staticTable)

// staticByLen lists, by name length, the index of the first entry of each
// distinct name of that length: a name is found by comparing it with the
// few names of its length, cheaper than hashing it into a map.
var staticByLen = func() (t [maxStaticName + 1][]uint8) {
	for i := 0; i < staticLen; i++ {
		n := staticTable[i].name
		if i == 0 || staticTable[i-1].name != n {
			t[len(n)] = append(t[len(n)], uint8(i+1))
		}
	}
	return t
}()

// maxStaticName is the longest name in the static table.
const maxStaticName = 27

// staticFind returns the static index of (name, value) if there is one, and
// otherwise the index of name alone (0 if none), with exact false.
func staticFind(name, value []byte) (idx int, exact bool) {
	if len(name) > maxStaticName {
		return 0, false
	}
	first := 0
	for _, i := range staticByLen[len(name)] {
		if staticTable[i-1].name == string(name) {
			first = int(i)
			break
		}
	}
	if first == 0 {
		return 0, false
	}
	for i := first; i <= staticLen && staticTable[i-1].name == string(name); i++ {
		if staticTable[i-1].value == string(value) {
			return i, true
		}
	}
	return first, false
}

// dynEntry locates one dynamic entry's name and value in dynamicTable.buf.
type dynEntry struct{ off, nameLen, valueLen, nameHash uint32 }

// hashName is FNV-1a of a field name: find compares it (and the lengths)
// before any bytes.
func hashName(name []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range name {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// dynamicTable is the FIFO of section 2.3.2. Entry bytes live in buf (name
// then value, oldest first, from the oldest entry's off to end); evicting
// only drops the oldest offset, and an insertion that does not fit before
// the end of buf first moves the live bytes to its front. buf holds twice
// the limit, so moves copy at most one byte per byte inserted. ents is a
// ring of offsets, oldest at head. Nothing allocates unless the limit grows
// past every earlier one.
type dynamicTable struct {
	buf   []byte
	end   int
	ents  []dynEntry
	head  int
	n     int
	size  uint32 // section 4.1 size of the entries
	limit uint32 // maximum size, set by size updates
	added uint32 // entries ever added (wrapping): the newest is number added-1
	// hashed: entries carry their name's hash for find (the encoder's
	// table; a decoder never searches, and does not pay for it).
	hashed bool
}

// len returns the number of entries.
func (t *dynamicTable) len() int { return t.n }

// entry returns the i-th newest entry (0 is the newest, index 62).
func (t *dynamicTable) entry(i int) (name, value []byte) {
	j := t.head + t.n - 1 - i
	if j >= len(t.ents) {
		j -= len(t.ents) // head < len(ents) and n <= len(ents): one wrap at most
	}
	e := t.ents[j]
	v := t.buf[e.off : e.off+e.nameLen+e.valueLen]
	return v[:e.nameLen:e.nameLen], v[e.nameLen:]
}

// setLimit changes the maximum size, evicting as needed (section 4.3).
func (t *dynamicTable) setLimit(limit uint32) {
	t.limit = limit
	for t.size > limit {
		t.evict()
	}
	t.grow(limit)
}

// grow makes buf and ents large enough for a table of size limit.
func (t *dynamicTable) grow(limit uint32) {
	if want := int(limit/entryOverhead) + 1; len(t.ents) < want {
		ents := make([]dynEntry, want)
		for i := 0; i < t.n; i++ {
			ents[i] = t.ents[(t.head+i)%len(t.ents)]
		}
		t.ents, t.head = ents, 0
	}
	if want := 2 * int(limit); len(t.buf) < want {
		buf := make([]byte, want)
		t.compactInto(buf)
	}
}

// compactInto moves the live bytes to the front of dst and makes it buf.
func (t *dynamicTable) compactInto(dst []byte) {
	start := 0
	if t.n > 0 {
		start = int(t.ents[t.head].off)
	}
	t.end = copy(dst, t.buf[start:t.end])
	for i := 0; i < t.n; i++ {
		t.ents[(t.head+i)%len(t.ents)].off -= uint32(start)
	}
	t.buf = dst
}

// evict drops the oldest entry.
func (t *dynamicTable) evict() {
	e := t.ents[t.head]
	t.size -= e.nameLen + e.valueLen + entryOverhead
	t.head = (t.head + 1) % len(t.ents)
	t.n--
	if t.n == 0 {
		t.end = 0
	}
}

// add inserts a new entry, evicting old ones first (section 4.4); an entry
// larger than the limit empties the table. name and value must not point
// into the table.
func (t *dynamicTable) add(name, value []byte) {
	sz := uint64(len(name)) + uint64(len(value)) + entryOverhead
	if sz > uint64(t.limit) {
		for t.n > 0 {
			t.evict()
		}
		return
	}
	for uint64(t.size)+sz > uint64(t.limit) {
		t.evict()
	}
	need := len(name) + len(value)
	if t.end+need > len(t.buf) {
		t.compactInto(t.buf)
	}
	off := t.end
	t.end += copy(t.buf[off:], name)
	t.end += copy(t.buf[t.end:], value)
	var h uint32
	if t.hashed {
		h = hashName(name)
	}
	t.ents[(t.head+t.n)%len(t.ents)] = dynEntry{uint32(off), uint32(len(name)), uint32(len(value)), h}
	t.n++
	t.size += uint32(sz)
	t.added++
}

// seqOf returns the insertion number of the entry at dynamic position pos
// (0 = newest).
func (t *dynamicTable) seqOf(pos int) uint32 { return t.added - 1 - uint32(pos) }

// posOf returns the dynamic position of the entry with insertion number
// seq, if it is still in the table.
func (t *dynamicTable) posOf(seq uint32) (int, bool) {
	d := t.added - 1 - seq
	if d >= uint32(t.n) {
		return 0, false
	}
	return int(d), true
}

// find returns the dynamic position (0 = newest) of (name, value), or of an
// entry with that name (exact false), or -1. It walks the ring from the
// newest entry, comparing lengths and name hashes before bytes.
func (t *dynamicTable) find(name, value []byte) (pos int, exact bool) {
	pos = -1
	if t.n == 0 {
		return pos, false
	}
	h, nl, vl := hashName(name), uint32(len(name)), uint32(len(value))
	j := t.head + t.n - 1
	if j >= len(t.ents) {
		j -= len(t.ents)
	}
	for i := 0; i < t.n; i++ {
		e := &t.ents[j]
		if j--; j < 0 {
			j = len(t.ents) - 1
		}
		if e.nameLen != nl || e.nameHash != h {
			continue
		}
		b := t.buf[e.off : e.off+e.nameLen+e.valueLen]
		if string(b[:nl]) != string(name) {
			continue
		}
		if e.valueLen == vl && string(b[nl:]) == string(value) {
			return i, true
		}
		if pos < 0 {
			pos = i
		}
	}
	return pos, false
}

package config

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// source remembers where each field path of a parsed file was written, so
// that Validate and the rewriting of yaml's own errors can name lines.
type source struct {
	name    string
	lines   map[string]int // field path → line of its key, or of the item in a list
	entries []entry        // every key and list item, in document order
	floats  Errors         // numbers with a fraction written where an integer goes
}

// entry is one mapping key with its value, or one list item (key == nil),
// and the Go type the value decodes into (nil for an unknown field).
type entry struct {
	path string
	key  *yaml.Node
	val  *yaml.Node
	typ  reflect.Type
}

// newSource indexes the node tree of the file called name, which decodes
// into a Config.
func newSource(name string, root *yaml.Node) *source {
	s := &source{name: name, lines: map[string]int{}}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	typ := reflect.TypeFor[Config]()
	s.add(entry{val: root, typ: typ}, max(root.Line, 1))
	s.walk("", root, typ)
	return s
}

func (s *source) add(e entry, line int) {
	s.entries = append(s.entries, e)
	if e.val.ShortTag() == "!!float" && isPlainInt(e.typ) {
		// yaml would silently truncate 1.5 to 1.
		s.floats = append(s.floats, &FieldError{File: s.name, Line: e.val.Line, Path: e.path,
			Msg: "must be an integer, got " + e.val.Value})
	}
	if _, dup := s.lines[e.path]; !dup {
		s.lines[e.path] = line
	}
}

func (s *source) walk(path string, n *yaml.Node, typ reflect.Type) {
	// Aliases are not followed: their nodes were indexed at the anchor, and
	// a problem inside one is reported where the alias is used. (Following
	// them would let a few lines of nested aliases cost exponential time.)
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p, t := fieldPath(path, k.Value), keyType(typ, k.Value)
			s.add(entry{p, k, v, t}, k.Line)
			s.walk(p, v, t)
		}
	case yaml.SequenceNode:
		t := elemType(typ)
		for i, v := range n.Content {
			p := indexPath(path, i)
			s.add(entry{p, nil, v, t}, v.Line)
			s.walk(p, v, t)
		}
	}
}

// isPlainInt reports whether t is an integer type, or a pointer to one,
// that does not decode itself (as Duration does).
func isPlainInt(t reflect.Type) bool {
	t = derefType(t)
	return t != nil && t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64 &&
		!reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]())
}

// keyType is the type of the value under key in a struct or map of type t.
func keyType(t reflect.Type, key string) reflect.Type {
	switch {
	case t == nil:
		return nil
	case t.Kind() == reflect.Map:
		return t.Elem()
	case t.Kind() != reflect.Struct:
		return nil
	}
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); f.IsExported() && name == key {
			return f.Type
		}
	}
	return nil
}

// derefType is what a pointer type t points to (yaml names that type in its
// messages about a *int field); other types are returned as they are.
func derefType(t reflect.Type) reflect.Type {
	if t != nil && t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// elemType is the element type of a slice type t.
func elemType(t reflect.Type) reflect.Type {
	if t == nil || t.Kind() != reflect.Slice {
		return nil
	}
	return t.Elem()
}

// line is where path was written, or where its nearest written parent
// was (a missing required field is reported on its parent); 0 if unknown.
func (s *source) line(path string) int {
	if s == nil {
		return 0
	}
	for {
		if l, ok := s.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// fieldPath appends a mapping key to path: "a.b", or `a["x y"]` when the
// key is not a plain word.
func fieldPath(path, key string) string {
	if !plainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends a list index to path: "a[3]".
func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func plainKey(key string) bool {
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return key != ""
}

// parentPath drops the last segment of a path built by fieldPath and
// indexPath, skipping over quoted keys.
func parentPath(path string) string {
	last := 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '.', '[':
			last = i
		case '"':
			for i++; i < len(path) && path[i] != '"'; i++ {
				if path[i] == '\\' {
					i++
				}
			}
		}
	}
	return path[:last]
}

// rewrite turns the messages of a yaml.TypeError ("line 7: field routse
// not found in type config.Product") into FieldErrors naming the path.
// intact is false when some value could not be decoded at all, so the
// Config is missing parts and validating it would report false problems.
func (s *source) rewrite(msgs []string) (errs Errors, intact bool) {
	intact = true
	for _, msg := range msgs {
		e, ok := s.rewriteOne(msg)
		errs = append(errs, e)
		intact = intact && ok
	}
	return errs, intact
}

func (s *source) rewriteOne(msg string) (*FieldError, bool) {
	for _, r := range yamlRewrites {
		if m := r.re.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			e := r.fn(s, line, m[2:])
			e.File, e.Line = s.name, line
			return e, r.intact
		}
	}
	return &FieldError{File: s.name, Msg: msg}, false
}

// yamlRewrites matches each message yaml's decoder produces (and the ones
// Duration.UnmarshalYAML produces) to the function that rewrites it.
// intact says the rest of the Config was still decoded.
var yamlRewrites = []struct {
	re     *regexp.Regexp
	fn     func(s *source, line int, m []string) *FieldError
	intact bool
}{
	{regexp.MustCompile(`^line (\d+): column (\d+): (.*)$`), rewriteAt, true},
	{regexp.MustCompile(`^line (\d+): field (.*) not found in type \S+$`), rewriteUnknown, true},
	{regexp.MustCompile(`^line (\d+): field (.*) already set in type \S+$`), rewriteDupField, false},
	{regexp.MustCompile(`^line (\d+): mapping key (".*") already defined at line (\d+)$`), rewriteDupKey, false},
	{regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$"), rewriteType, false},
}

// rewriteAt handles "line L: column C: msg" from Duration.UnmarshalYAML.
func rewriteAt(s *source, line int, m []string) *FieldError {
	col, _ := strconv.Atoi(m[0])
	e := s.find(func(e entry) bool { return e.val.Line == line && e.val.Column == col })
	return &FieldError{Path: e.path, Msg: m[1]}
}

func rewriteUnknown(s *source, line int, m []string) *FieldError {
	return &FieldError{Path: s.keyAt(line, m[0]), Msg: "unknown field"}
}

func rewriteDupField(s *source, line int, m []string) *FieldError {
	return &FieldError{Path: s.keyAt(line, m[0]), Msg: "set more than once"}
}

func rewriteDupKey(s *source, line int, m []string) *FieldError {
	key, _ := strconv.Unquote(m[0])
	return &FieldError{Path: s.keyAt(line, key), Msg: "duplicate key, first at line " + m[1]}
}

// rewriteType handles "cannot unmarshal !!str `abc` into int"; yaml
// shortens values longer than 10 bytes to their first 7 and "...".
func rewriteType(s *source, line int, m []string) *FieldError {
	tag, shown, into := m[0], m[1], m[2]
	e := s.find(func(e entry) bool {
		v := e.val.Value
		if len(v) > 10 {
			v = v[:7] + "..."
		}
		return e.val.Line == line && e.val.ShortTag() == tag && (shown == "" || v == shown) &&
			e.typ != nil && derefType(e.typ).String() == into
	})
	got := tagNames[tag]
	if e.val != nil && e.val.Kind == yaml.ScalarNode {
		got = e.val.Value
		if tag == "!!str" {
			got = strconv.Quote(got)
		}
	}
	return &FieldError{Path: e.path, Msg: "must be " + typeName(into) + ", got " + got}
}

// keyAt is the path of the mapping key named key on line.
func (s *source) keyAt(line int, key string) string {
	return s.find(func(e entry) bool { return e.key != nil && e.key.Line == line && e.key.Value == key }).path
}

// find returns the first entry ok accepts, or the zero entry.
func (s *source) find(ok func(entry) bool) entry {
	for _, e := range s.entries {
		if e.val != nil && ok(e) {
			return e
		}
	}
	return entry{}
}

var tagNames = map[string]string{
	"!!str": "a string", "!!int": "an integer", "!!float": "a number", "!!bool": "a boolean",
	"!!seq": "a list", "!!map": "a mapping", "!!null": "null", "!!timestamp": "a timestamp",
	"!!binary": "binary data",
}

// typeName names a Go type from a yaml message the way a config author
// thinks of it.
func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "config."):
		return "a mapping"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case goType == "bool":
		return "true or false"
	}
	return "a " + goType
}

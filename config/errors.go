package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// FieldError is one problem in a config: where it is and what is wrong.
// Load, Parse and Validate return them inside an Errors.
type FieldError struct {
	File string // as given to Load or Parse; "" for a Config built in code
	Line int    // 1-based; 0 when unknown
	Path string // field path, e.g. "clusters[0].backends[1].weight"; "" for the whole file
	Msg  string // e.g. "must be >= 0, got -3"
}

// Error formats e as "file:line: path: msg", leaving out the parts it lacks.
func (e *FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one config, sorted by line. Use
// errors.As with a *FieldError to get the first, or range over it.
type Errors []*FieldError

// Error returns one FieldError per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As each FieldError.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// sorted orders es by line, keeping the order found within a line, and
// returns nil when es is empty so callers can return it as an error.
func (es Errors) sorted() error {
	if len(es) == 0 {
		return nil
	}
	slices.SortStableFunc(es, func(a, b *FieldError) int { return cmp.Compare(a.Line, b.Line) })
	return es
}

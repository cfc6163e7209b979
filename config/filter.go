package config

import (
	"maps"
	"slices"
	"strings"
)

// Filter types (Filter.Type).
const (
	FilterSetRequestHeader     = "set_request_header"
	FilterAddRequestHeader     = "add_request_header"
	FilterRemoveRequestHeader  = "remove_request_header"
	FilterSetResponseHeader    = "set_response_header"
	FilterAddResponseHeader    = "add_response_header"
	FilterRemoveResponseHeader = "remove_response_header"
	FilterStatic               = "static"
	FilterDeny                 = "deny"
	FilterRedirect             = "redirect"
)

// Callback points a filter may run at (Filter.Point), in request order.
const (
	PointBeforeLocation = "before_location"
	PointFoundProduct   = "found_product"
	PointAfterLocation  = "after_location"
	PointReadResponse   = "read_response"
)

var points = []string{PointBeforeLocation, PointFoundProduct, PointAfterLocation, PointReadResponse}

// Terminal reports whether f ends the request with its own response
// (static, deny, redirect).
func (f *Filter) Terminal() bool { return filterSpecs[f.Type].kind == kindEnd }

// RunsAt is the point f runs at when written where def is the default:
// PointBeforeLocation for global filters, PointFoundProduct for product
// filters, PointAfterLocation for route filters. Response header filters
// always run at PointReadResponse.
func (f *Filter) RunsAt(def string) string {
	switch {
	case filterSpecs[f.Type].kind == kindResponse:
		return PointReadResponse
	case f.Point != "":
		return f.Point
	}
	return def
}

// ResponseStatus is the status a static, deny or redirect filter replies
// with, its type's default when Status is 0; 0 for other filters.
func (f *Filter) ResponseStatus() int {
	if f.Status != 0 || !f.Terminal() {
		return f.Status
	}
	return filterSpecs[f.Type].status
}

// filterKind says what a filter acts on, which decides where it may run.
type filterKind uint8

const (
	kindRequest  filterKind = iota + 1 // request headers: not at read_response
	kindResponse                       // response headers: only at read_response
	kindEnd                            // ends the request: anywhere
)

// filterField is a set of the optional Filter fields.
type filterField uint8

const (
	fName filterField = 1 << iota
	fValue
	fStatus
	fBody
	fContentType
	fLocation
	fHeaders
)

// filterSpec is what one filter type uses and needs.
type filterSpec struct {
	kind        filterKind
	uses, needs filterField
	status      int            // default status, for terminal filters
	statusOK    func(int) bool // valid non-zero statuses
	statusWant  string         // statusOK in words
}

var filterSpecs = map[string]filterSpec{
	FilterSetRequestHeader:     {kind: kindRequest, uses: fName | fValue, needs: fName | fValue},
	FilterAddRequestHeader:     {kind: kindRequest, uses: fName | fValue, needs: fName | fValue},
	FilterRemoveRequestHeader:  {kind: kindRequest, uses: fName, needs: fName},
	FilterSetResponseHeader:    {kind: kindResponse, uses: fName | fValue, needs: fName | fValue},
	FilterAddResponseHeader:    {kind: kindResponse, uses: fName | fValue, needs: fName | fValue},
	FilterRemoveResponseHeader: {kind: kindResponse, uses: fName, needs: fName},
	FilterStatic: {kind: kindEnd, uses: fStatus | fBody | fContentType | fHeaders,
		status: DefaultStaticStatus, statusOK: anyStatus, statusWant: "200..599"},
	FilterDeny: {kind: kindEnd, uses: fStatus | fBody,
		status: DefaultDenyStatus, statusOK: anyStatus, statusWant: "200..599"},
	FilterRedirect: {kind: kindEnd, uses: fStatus | fLocation, needs: fLocation,
		status: DefaultRedirectStatus, statusOK: redirectStatus, statusWant: "301, 302, 303, 307 or 308"},
}

// filterTypes lists the known types for error messages.
var filterTypes = strings.Join(slices.Sorted(maps.Keys(filterSpecs)), ", ")

func anyStatus(s int) bool { return s >= 200 && s <= 599 }

func redirectStatus(s int) bool { return slices.Contains([]int{301, 302, 303, 307, 308}, s) }

// filterFields names each optional field and says whether f sets it.
var filterFields = []struct {
	bit filterField
	key string
	set func(f *Filter) bool
}{
	{fName, "name", func(f *Filter) bool { return f.Name != "" }},
	{fValue, "value", func(f *Filter) bool { return f.Value != "" }},
	{fStatus, "status", func(f *Filter) bool { return f.Status != 0 }},
	{fBody, "body", func(f *Filter) bool { return f.Body != "" }},
	{fContentType, "content_type", func(f *Filter) bool { return f.ContentType != "" }},
	{fLocation, "location", func(f *Filter) bool { return f.Location != "" }},
	{fHeaders, "headers", func(f *Filter) bool { return len(f.Headers) > 0 }},
}

// filters checks a list of filters written where at says: "" for global
// filters, PointFoundProduct for product filters, PointAfterLocation for
// route filters.
func (v *checker) filters(path string, fs []Filter, at string) {
	for i := range fs {
		v.filter(indexPath(path, i), &fs[i], at)
	}
}

func (v *checker) filter(p string, f *Filter, at string) {
	spec, ok := filterSpecs[f.Type]
	switch {
	case f.Type == "":
		v.add(fieldPath(p, "type"), "required")
		return
	case !ok:
		v.add(fieldPath(p, "type"), "unknown filter type %q, want one of %s", f.Type, filterTypes)
		return
	}
	for _, fld := range filterFields {
		set := fld.set(f)
		switch {
		case set && spec.uses&fld.bit == 0:
			v.add(fieldPath(p, fld.key), "not used by %s filters", f.Type)
		case !set && spec.needs&fld.bit != 0:
			v.add(fieldPath(p, fld.key), "required for %s filters", f.Type)
		}
	}
	v.filterValues(p, f, spec)
	v.filterPoint(p, f, spec, at)
}

// filterValues checks the values of the fields f sets.
func (v *checker) filterValues(p string, f *Filter, spec filterSpec) {
	if f.Name != "" {
		v.headerName(fieldPath(p, "name"), f.Name)
	}
	v.headerValue(fieldPath(p, "value"), f.Value)
	v.headerValue(fieldPath(p, "content_type"), f.ContentType)
	v.headerValue(fieldPath(p, "location"), f.Location)
	for _, name := range slices.Sorted(maps.Keys(f.Headers)) {
		hp := fieldPath(fieldPath(p, "headers"), name)
		v.headerName(hp, name)
		v.headerValue(hp, f.Headers[name])
	}
	if f.Status != 0 && spec.statusOK != nil && !spec.statusOK(f.Status) {
		v.add(fieldPath(p, "status"), "must be %s for %s, got %d", spec.statusWant, f.Type, f.Status)
	}
}

// filterPoint checks f.Point against where the filter is written.
func (v *checker) filterPoint(p string, f *Filter, spec filterSpec, at string) {
	if f.Point == "" {
		return
	}
	p = fieldPath(p, "point")
	switch {
	case !slices.Contains(points, f.Point):
		v.add(p, "unknown point %q, want one of %s", f.Point, strings.Join(points, ", "))
	case spec.kind == kindResponse && f.Point != PointReadResponse:
		v.add(p, "response header filters run only at read_response, got %q", f.Point)
	case spec.kind == kindResponse:
		// read_response, wherever the filter is written: fine.
	case at != "" && f.Point != at:
		v.add(p, "filters written here run at %s; leave point unset, got %q", at, f.Point)
	case spec.kind == kindRequest && f.Point == PointReadResponse:
		v.add(p, "request header filters cannot run at read_response")
	}
}

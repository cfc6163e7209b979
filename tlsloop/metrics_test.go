package tlsloop

import (
	"reflect"
	"regexp"
	"testing"
)

// checkMetricNames checks that every field of v has a unique snake_case
// metric tag with the tls_ prefix.
func checkMetricNames(t *testing.T, v any) {
	t.Helper()
	re := regexp.MustCompile(`^tls_[a-z0-9]+(_[a-z0-9]+)*$`)
	seen := map[string]bool{}
	typ := reflect.TypeOf(v)
	for i := range typ.NumField() {
		name := typ.Field(i).Tag.Get("metric")
		if !re.MatchString(name) || seen[name] {
			t.Errorf("field %s: metric name %q", typ.Field(i).Name, name)
		}
		seen[name] = true
	}
}

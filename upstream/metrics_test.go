package upstream

import (
	"reflect"
	"regexp"
	"testing"
)

func TestStatsNames(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	typ := reflect.TypeFor[Stats]()
	seen := map[string]bool{}
	for i := range typ.NumField() {
		name := typ.Field(i).Tag.Get("json")
		if !snake.MatchString(name) || seen[name] {
			t.Errorf("field %s: series name %q is not unique snake_case", typ.Field(i).Name, name)
		}
		seen[name] = true
	}
}

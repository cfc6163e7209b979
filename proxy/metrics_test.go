package proxy

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/velox-proxy/velox/upstream"
)

// Every series has a stable snake_case name listed in the README.
func TestStatsNamesAreListedInREADME(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for _, typ := range []reflect.Type{reflect.TypeOf(LoopStats{}), reflect.TypeOf(upstream.Stats{}), reflect.TypeOf(Stats{}),
		reflect.TypeOf(RPCStats{}), reflect.TypeOf(RPCProtoStats{}), reflect.TypeOf(TLSStats{})} {
		for i := 0; i < typ.NumField(); i++ {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if !snake.MatchString(name) {
				t.Errorf("%s.%s: JSON name %q is not snake_case", typ.Name(), typ.Field(i).Name, name)
			}
			if !strings.Contains(string(readme), "`"+name+"`") {
				t.Errorf("%s.%s: %q is not listed in README.md", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
}

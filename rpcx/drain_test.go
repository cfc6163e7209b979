package rpcx

import "testing"

// The readonly event velox sends when it drains reads back as an event.
func TestDubboReadonlyEvent(t *testing.T) {
	d := &Dubbo{}
	raw := d.AppendReadonly(nil)
	var f Frame
	if n, err := d.Decode(raw, &f); err != nil || n != len(raw) || f.Kind != KindEvent {
		t.Fatalf("Decode(readonly) = %d, %v, kind %v", n, err, f.Kind)
	}
}

package config

import "testing"

// TestZeroIsNotUnset: weight 0 and max_idle 0 are kept as set values,
// distinct from keys left out.
func TestZeroIsNotUnset(t *testing.T) {
	c, err := Parse("z.yaml", []byte(`listeners: [{address: "127.0.0.1:8080"}]
clusters:
  - name: zero
    max_idle: 0
    backends:
      - address: 127.0.0.1:9000
        weight: 0
  - name: unset
    backends:
      - address: 127.0.0.1:9000
      - address: 127.0.0.1:9001
        weight: ~
`))
	if err != nil {
		t.Fatal(err)
	}
	zero, unset := c.Clusters[0], c.Clusters[1]
	if zero.MaxIdle == nil || *zero.MaxIdle != 0 || zero.Backends[0].Weight == nil || *zero.Backends[0].Weight != 0 {
		t.Errorf("zero cluster: max_idle %v, weight %v; want both set to 0", zero.MaxIdle, zero.Backends[0].Weight)
	}
	if unset.MaxIdle != nil || unset.Backends[0].Weight != nil || unset.Backends[1].Weight != nil {
		t.Errorf("unset cluster: max_idle %v, weights %v %v; want nil", unset.MaxIdle, unset.Backends[0].Weight, unset.Backends[1].Weight)
	}
	if IntOr(unset.MaxIdle, DefaultMaxIdle) != 1024 || IntOr(zero.MaxIdle, DefaultMaxIdle) != 0 {
		t.Error("IntOr does not tell unset from 0")
	}
}

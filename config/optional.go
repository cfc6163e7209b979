package config

// Some counts mean something at 0 that differs from their default
// (Backend.Weight 0 drains a backend, Cluster.MaxIdle 0 turns pooling off),
// so they are *int: nil when the file does not set them. YAML decodes
// "weight: 0" into a pointer to 0 and leaves an absent key nil; "weight: ~"
// (null) is unset too. In code, set them with new(0), new(3).

// IntOr returns *p, or def when p is nil (unset).
func IntOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// intOr0 is *p, or 0 when unset, for checks that care only about negatives.
func intOr0(p *int) int64 { return int64(IntOr(p, 0)) }

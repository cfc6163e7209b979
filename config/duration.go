package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in YAML as a string with a unit:
// "5s", "250ms", "1m30s". A bare number other than 0 is refused, because
// "5" could mean seconds or nanoseconds; so is a negative duration.
type Duration time.Duration

// Or returns d as a time.Duration, or def when d is zero (unset).
func (d Duration) Or(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

// String formats d like time.Duration does ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes d in the form UnmarshalYAML reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML implements yaml.Unmarshaler. Its errors are yaml.TypeErrors
// carrying the node's line and column, so decoding goes on and collects
// every bad value; Parse turns them into FieldErrors.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, msg := parseDuration(n)
	if msg != "" {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: column %d: %s", n.Line, n.Column, msg),
		}}
	}
	*d = v
	return nil
}

// parseDuration returns the duration n holds, or why it holds none.
func parseDuration(n *yaml.Node) (Duration, string) {
	if n.Kind != yaml.ScalarNode {
		return 0, "must be a duration with a unit, e.g. 5s"
	}
	if n.Value == "0" {
		return 0, ""
	}
	v, err := time.ParseDuration(n.Value)
	switch {
	case err != nil && isNumber(n.Value):
		return 0, fmt.Sprintf("use a unit, e.g. 5s, got %s", n.Value)
	case err != nil:
		return 0, fmt.Sprintf("must be a duration with a unit, e.g. 5s, got %q", n.Value)
	case v < 0:
		return 0, fmt.Sprintf("must be >= 0, got %s", n.Value)
	}
	return Duration(v), ""
}

// isNumber reports whether s looks like a bare number ("5", "-2", "1.5").
func isNumber(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.', (r == '-' || r == '+') && i == 0:
		default:
			return false
		}
	}
	return digits > 0
}

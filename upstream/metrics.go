package upstream

import "time"

// Stats is a snapshot of a backend's counters for /stats. The JSON names are
// the stable series names: snake_case, checked by TestStatsNames.
type Stats struct {
	Addr                string `json:"addr"`
	Name                string `json:"name"`   // as configured: addr, or host name:port
	Weight              int    `json:"weight"` // 0 = drained
	Healthy             bool   `json:"healthy"`
	ConsecutiveFailures int64  `json:"consecutive_failures"`
	Requests            uint64 `json:"requests"`
	Failures            uint64 `json:"failures"`
	Ejections           uint64 `json:"ejections"`
	ActiveConns         int64  `json:"active_conns"`
}

// Stats returns b's counters and its health at time now.
func (b *Backend) Stats(now time.Time) Stats {
	return Stats{
		Addr:                b.Addr,
		Name:                b.Name,
		Weight:              b.Weight,
		Healthy:             b.Healthy(now),
		ConsecutiveFailures: b.consecutive.Load(),
		Requests:            b.requests.Load(),
		Failures:            b.failures.Load(),
		Ejections:           b.ejections.Load(),
		ActiveConns:         b.activeConns.Load(),
	}
}

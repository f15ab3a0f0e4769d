// Package ratelimittest reads the rate-limit metrics in tests.
package ratelimittest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Count returns the value of roster_rate_limited_total{kind, org} gathered
// from reg, 0 when the series does not exist: tests of the surfaces that
// apply limits read it.
func Count(t testing.TB, reg prometheus.Gatherer, kind, org string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() != "roster_rate_limited_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == kind && labels["org"] == org {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

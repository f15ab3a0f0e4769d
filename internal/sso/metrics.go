package sso

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the sign-in health counters. A nil *Metrics counts nothing,
// so tests and tools need not build one.
type Metrics struct {
	signIns *prometheus.CounterVec
	redeems *prometheus.CounterVec
}

// NewMetrics registers the sign-in counters with reg:
// roster_sso_sign_ins_total{outcome="success"|"refused", reason} and
// roster_sso_code_redemptions_total{outcome="ok"|"invalid"}. The reason
// label takes only roster's stable refusal codes, never request values, so
// its cardinality is bounded.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_sso_sign_ins_total",
			Help: "SAML sign-ins by outcome and, for refusals, the reason code (docs/saml.md, Troubleshooting).",
		}, []string{"outcome", "reason"}),
		redeems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_sso_code_redemptions_total",
			Help: "Hand-off codes redeemed by host apps (ok) and refused (invalid: unknown, used, expired or another organization's).",
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.signIns, m.redeems} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register sign-in metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) signIn(outcome, reason string) {
	if m != nil {
		m.signIns.WithLabelValues(outcome, reason).Inc()
	}
}

func (m *Metrics) redeem(outcome string) {
	if m != nil {
		m.redeems.WithLabelValues(outcome).Inc()
	}
}

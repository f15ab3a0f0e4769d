package authzen

import (
	"net/http"
	"strings"
)

// metadataJSON is the PDP metadata: every endpoint roster serves. There
// are no capabilities to declare and no signed metadata, and parameters
// without a value are omitted, as the specification requires.
type metadataJSON struct {
	PolicyDecisionPoint       string `json:"policy_decision_point"`
	AccessEvaluationEndpoint  string `json:"access_evaluation_endpoint"`
	AccessEvaluationsEndpoint string `json:"access_evaluations_endpoint"`
	SearchSubjectEndpoint     string `json:"search_subject_endpoint"`
	SearchResourceEndpoint    string `json:"search_resource_endpoint"`
	SearchActionEndpoint      string `json:"search_action_endpoint"`
}

// metadata serves GET /.well-known/authzen-configuration. It needs no
// credential: it says where the API is, not what it answers.
func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	base := strings.TrimSuffix(h.BaseURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	// PEPs cache the metadata; it changes only with roster's public URL.
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, metadataJSON{
		PolicyDecisionPoint:       base,
		AccessEvaluationEndpoint:  base + PathEvaluation,
		AccessEvaluationsEndpoint: base + PathEvaluations,
		SearchSubjectEndpoint:     base + PathSearchSubject,
		SearchResourceEndpoint:    base + PathSearchResource,
		SearchActionEndpoint:      base + PathSearchAction,
	})
}

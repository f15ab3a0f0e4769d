package main

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// surfaces builds the HTTP surfaces mounted on the server.
func surfaces(s *sqlstore.DB, logger *slog.Logger, reg *prometheus.Registry, baseURL, addr string) []server.Mounter {
	return nil
}

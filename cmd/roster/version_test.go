package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestDescribeBuild(t *testing.T) {
	checkout := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "3e27545aaaa"}, {Key: "vcs.time", Value: "2026-12-02T20:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	for _, tc := range []struct {
		name                string
		ldV, ldC, ldD       string
		bi                  *debug.BuildInfo
		version, commit, at string
		modified            bool
	}{
		{"no build info", "", "", "", nil, "dev", "unknown", "unknown", false},
		{"checkout", "", "", "", checkout, "dev", "3e27545aaaa", "2026-12-02T20:00:00Z", true},
		{"go install @version", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0", "unknown", "unknown", false},
		{"ldflags win", "v2.0.0", "abc", "2027-01-01T00:00:00Z", checkout, "v2.0.0", "abc", "2027-01-01T00:00:00Z", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := describeBuild(tc.ldV, tc.ldC, tc.ldD, tc.bi)
			if b.version != tc.version || b.commit != tc.commit || b.date != tc.at || b.modified != tc.modified || b.goVersion == "" {
				t.Errorf("describeBuild = %+v, want version %q commit %q date %q modified %v", b, tc.version, tc.commit, tc.at, tc.modified)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	r := mustRoster(t, map[string]string{}, "version")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "roster ") || !strings.HasPrefix(lines[1], "commit ") ||
		!strings.HasPrefix(lines[2], "built ") || !strings.HasPrefix(lines[3], "go") {
		t.Errorf("roster version printed %q, want version, commit, build date and Go version lines", r.stdout)
	}
}

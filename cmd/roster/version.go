package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time to override what the Go toolchain recorded, e.g. for
// a build from a source archive, which has no VCS information:
//
//	go build -ldflags "-X main.version=v1.4.0 -X main.commit=$(git rev-parse HEAD) -X main.buildDate=$(date -u +%FT%TZ)" ./cmd/roster
//
// They are variables because -X sets only package-level string variables.
var (
	version   = ""
	commit    = ""
	buildDate = ""
)

// build is what "roster version" prints.
type build struct {
	version, commit, date string
	modified              bool
	goVersion             string
}

// currentBuild describes this binary: the -ldflags values where set, else
// what the toolchain recorded (the module version for "go install
// …@version", the VCS revision and commit time for a build in a checkout).
func currentBuild() build {
	bi, _ := debug.ReadBuildInfo()
	return describeBuild(version, commit, buildDate, bi)
}

func describeBuild(ldVersion, ldCommit, ldDate string, bi *debug.BuildInfo) build {
	b := build{version: "dev", commit: "unknown", date: "unknown", goVersion: runtime.Version()}
	if bi != nil {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			b.version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.commit = s.Value
			case "vcs.time":
				// The commit's time: what a reproducible build can record.
				b.date = s.Value
			case "vcs.modified":
				b.modified = s.Value == "true"
			}
		}
		if bi.GoVersion != "" {
			b.goVersion = bi.GoVersion
		}
	}
	if ldVersion != "" {
		b.version = ldVersion
	}
	if ldCommit != "" {
		b.commit, b.modified = ldCommit, false
	}
	if ldDate != "" {
		b.date = ldDate
	}
	return b
}

func runVersion(_ context.Context, env *environment, args []string) error {
	f := newFlags(env, "version", "version", "Prints roster's version, the commit it was built from and when.")
	if err := f.parse(args); err != nil {
		return err
	}
	b := currentBuild()
	commit := b.commit
	if b.modified {
		commit += " (with uncommitted changes)"
	}
	fmt.Fprintf(env.stdout, "roster %s\ncommit %s\nbuilt  %s\n%s\n", b.version, commit, b.date, b.goVersion)
	return nil
}

package main

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
)

// errorText is the one way the CLI words an error for the person at the
// terminal.
//
// A fault (package fault) is meant for people: its message prints as it
// is, without the context it was wrapped in. Any other error is internal —
// a failed query, an unreadable file — and prints whole, context first,
// which is what an operator needs to act on it. A fault kind wrapped bare
// at the end of such a chain ("create token for x: organization x: not
// found") is a name for code, not a sentence: it is replaced by the kind's
// message for people.
func errorText(err error) string {
	var f fault.Faulter
	if errors.As(err, &f) {
		return f.Error()
	}
	text := err.Error()
	kind, msg, ok := fault.As(err)
	if !ok {
		return text
	}
	if text == kind.Error() {
		return msg
	}
	if rest, cut := strings.CutSuffix(text, ": "+kind.Error()); cut {
		return rest + ": " + msg
	}
	return text
}

// invocation returns how the user started roster, from os.Args[0], so that
// the commands roster suggests can be pasted as they are: "go run
// ./cmd/roster" when started with go run (which builds into a temporary
// go-build directory), otherwise the name or path as it was typed:
// "roster" when found on PATH, "./roster" in the directory it was built in.
func invocation(arg0 string) string {
	if arg0 == "" {
		return "roster"
	}
	if dir := filepath.Dir(arg0); filepath.Base(dir) == "exe" && strings.Contains(dir, "go-build") {
		return "go run ./cmd/roster"
	}
	if strings.ContainsAny(arg0, " \t'\"$\\") {
		return shellQuote(arg0)
	}
	return arg0
}

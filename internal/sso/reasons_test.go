package sso_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/sso"
)

// TestReasonsMatchTheDocs: every reason code docs/saml.md's Troubleshooting
// table explains has a sentence and a fix for the console, and the
// console's reason filter offers each.
func TestReasonsMatchTheDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/saml.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "## 7. Troubleshooting")
	if !ok {
		t.Fatal("docs/saml.md has no Troubleshooting section")
	}
	offered := map[string]bool{}
	for _, r := range sso.Reasons() {
		offered[r] = true
	}
	row := regexp.MustCompile(`(?m)^\| ([^|]+) \|`)
	code := regexp.MustCompile("`([a-z0-9_]+)`")
	n := 0
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		for _, c := range code.FindAllStringSubmatch(m[1], -1) {
			n++
			if sso.ReasonFix(c[1]) == "" || !offered[c[1]] {
				t.Errorf("reason %s is in docs/saml.md but has no fix in sso.ReasonFix", c[1])
			}
			if sso.ReasonMessage(c[1]) == "" {
				t.Errorf("reason %s has no sentence", c[1])
			}
		}
	}
	if n < 30 {
		t.Errorf("found %d reason codes in the table; the parse is broken", n)
	}
}

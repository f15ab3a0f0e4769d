package authzen_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/authzen"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// FuzzRequests sends arbitrary bodies to every POST endpoint: each answer
// is a 200 or a refusal with the error body, never a panic or a 500.
func FuzzRequests(f *testing.F) {
	s, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "roster.db"), sqlite.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	fx := newFixture(f, s)
	mux := http.NewServeMux()
	fx.h.Mount(mux)
	paths := []string{authzen.PathEvaluation, authzen.PathEvaluations, authzen.PathSearchSubject, authzen.PathSearchResource, authzen.PathSearchAction}
	for _, seed := range []string{okBody, `{"evaluations": [{}], "options": {"evaluations_semantic": "deny_on_first_deny"}}`,
		`{"subject": {"type": "user"}, "action": {"name": "edit"}, "resource": {"type": "workspace", "id": "{sales}"}, "page": {"limit": 1, "token": "x"}}`,
		`{"subject": {"type": "user", "id": "a", "properties": {"id_type": "email"}}}`, `[`, `null`, `{"page": {"limit": 1e99}}`} {
		for i := range paths {
			f.Add(i, fx.body(seed))
		}
	}
	f.Fuzz(func(t *testing.T, which int, body string) {
		path := paths[(which%len(paths)+len(paths))%len(paths)]
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+fx.keyA)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		switch w.Code {
		case 200:
		case 400, 404, 413:
			var e errorOut
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Status != w.Code || e.Error.Message == "" {
				t.Fatalf("%s %q = %d %s", path, body, w.Code, w.Body)
			}
		default:
			t.Fatalf("%s %q = %d %s", path, body, w.Code, w.Body)
		}
	})
}

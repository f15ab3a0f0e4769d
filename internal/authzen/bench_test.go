package authzen_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/authzen"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/token"
)

// snapStore serves a fixed access snapshot to the resolver: the benchmarks
// measure the API and the check, not the seeding of 100,000 users.
type snapStore struct{ snap store.AccessSnapshot }

func (s snapStore) EventSeq(context.Context, string) (int64, error) { return s.snap.Seq, nil }
func (s snapStore) AccessSnapshot(context.Context, string) (store.AccessSnapshot, error) {
	return s.snap, nil
}
func (s snapStore) ListEvents(context.Context, string, int64, int) ([]store.Event, error) {
	return nil, nil
}

// benchOrg is the organization rosterload seed-access writes, built in
// memory: 100,000 users (2% deactivated) in 5 of 1,000 groups each, 1,000
// workspaces of 10 folders (a third of the others invite-only, each
// granted to a group), two group grants per workspace, ten invited
// members per workspace.
func benchOrg(orgID string) (store.AccessSnapshot, []string, []store.Folder) {
	const users, groups, workspaces, per = 100_000, 1_000, 1_000, 10
	r := rand.New(rand.NewPCG(1, 2))
	s := store.AccessSnapshot{Org: store.Org{ID: orgID, Plan: store.PlanEnterprise, Settings: store.DefaultSettings()}, Seq: 1}
	uids := make([]string, users)
	for i := range uids {
		uids[i] = fmt.Sprintf("01a20ac3-0000-7000-8000-%012d", i)
		s.Users = append(s.Users, store.UserState{ID: uids[i], Active: i%50 != 0})
	}
	gids := make([]string, groups)
	for i := range gids {
		gids[i] = fmt.Sprintf("01a20ac3-1111-7000-8000-%012d", i)
		s.Groups = append(s.Groups, gids[i])
	}
	for _, u := range uids {
		for _, g := range r.Perm(groups)[:5] {
			s.Membership = append(s.Membership, store.GroupMembership{GroupID: gids[g], UserID: u})
		}
	}
	for i := 0; i < workspaces; i++ {
		ws := fmt.Sprintf("01a20ac3-2222-7000-8000-%012d", i)
		s.Workspaces = append(s.Workspaces, store.Workspace{ID: ws, Name: "w"})
		var fids []string
		for j := 0; j < per; j++ {
			f := store.Folder{ID: fmt.Sprintf("01a20ac3-3333-7000-%04d-%012d", j, i), WorkspaceID: ws, Name: "f",
				IsHome: j == 0, TeamAccess: store.TeamAccessWorkspace}
			if j > 0 && j%3 == 0 {
				f.TeamAccess = store.TeamAccessInviteOnly
				s.Grants = append(s.Grants, store.Grant{ResourceType: store.ResourceFolder, ResourceID: f.ID, GroupID: gids[r.IntN(groups)], Role: store.RoleViewer})
			}
			s.Folders = append(s.Folders, f)
			fids = append(fids, f.ID)
		}
		for k := 0; k < 2; k++ {
			s.Grants = append(s.Grants, store.Grant{ResourceType: store.ResourceWorkspace, ResourceID: ws, GroupID: gids[r.IntN(groups)], Role: store.RoleEditor})
		}
		for k := 0; k < 10; k++ {
			s.Members = append(s.Members, store.ResourceMember{ResourceType: store.ResourceFolder, ResourceID: fids[r.IntN(len(fids))],
				UserID: uids[r.IntN(users)], Origin: store.OriginInvited, Role: store.RoleChecker})
		}
	}
	return s, uids, s.Folders
}

// benchHandler returns a handler over the benchmark organization and an
// API key of it. The key lives in a real SQLite store, cached as roster
// serve caches it.
func benchHandler(b *testing.B) (http.Handler, string, []string, []store.Folder) {
	mux, key, uids, folders, _ := benchHandlers(b)
	return mux, key, uids, folders
}

// benchHandlers is benchHandler with, in the second mux, the host API
// over the same resolver and key, to compare with POST /api/v1/check.
func benchHandlers(b *testing.B) (http.Handler, string, []string, []store.Folder, http.Handler) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "roster.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	org, err := (&access.Service{Store: s}).CreateOrg(ctx, ownerActor, "Bench", store.PlanEnterprise)
	if err != nil {
		b.Fatal(err)
	}
	tokens := &token.Service{Store: s, CacheTTL: time.Second}
	key, _, err := tokens.Create(ctx, ownerActor, org.ID, store.TokenAPI, "bench")
	if err != nil {
		b.Fatal(err)
	}
	snap, uids, folders := benchOrg(org.ID)
	res := &access.Resolver{Store: snapStore{snap}, PollInterval: -1}
	if err := res.Refresh(ctx, org.ID); err != nil {
		b.Fatal(err)
	}
	h := &authzen.Handler{Access: res, Directory: &directory.Service{Store: s}, Tokens: tokens}
	mux := http.NewServeMux()
	h.Mount(mux)
	apiMux := http.NewServeMux()
	(&api.Handler{Access: &access.Service{Store: s, Resolver: res}, Directory: &directory.Service{Store: s}, Keys: tokens}).Mount(apiMux)
	return mux, key, uids, folders, apiMux
}

// BenchmarkSingle compares one evaluation with the same question asked
// of POST /api/v1/check, in process, on the same resolver and key: the
// ratio the load run measures over HTTP, without the load generator.
func BenchmarkSingle(b *testing.B) {
	mux, key, uids, folders, apiMux := benchHandlers(b)
	for _, c := range []struct {
		name string
		h    http.Handler
		path string
		body func(u, f string) string
	}{
		{"api-check", apiMux, "/api/v1/check", func(u, f string) string {
			return `{"user_id":"` + u + `","resource_type":"folder","resource_id":"` + f + `","role":"viewer"}`
		}},
		{"authzen-evaluation", mux, authzen.PathEvaluation, func(u, f string) string {
			return `{"subject":{"type":"user","id":"` + u + `"},"action":{"name":"view"},"resource":{"type":"folder","id":"` + f + `"}}`
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			bodies := make([]string, 512)
			for i := range bodies {
				bodies[i] = c.body(uids[r.IntN(len(uids))], folders[r.IntN(len(folders))].ID)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("POST", c.path, strings.NewReader(bodies[i%len(bodies)]))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// batchBody is an Access Evaluations request: one user, n random
// workspaces and folders, action view.
func batchBody(r *rand.Rand, uids []string, folders []store.Folder, n int) string {
	var b strings.Builder
	b.WriteString(`{"subject":{"type":"user","id":"` + uids[r.IntN(len(uids))] + `"},"action":{"name":"view"},"evaluations":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		f := folders[r.IntN(len(folders))]
		if i%2 == 0 {
			b.WriteString(`{"resource":{"type":"workspace","id":"` + f.WorkspaceID + `"}}`)
		} else {
			b.WriteString(`{"resource":{"type":"folder","id":"` + f.ID + `"}}`)
		}
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkEvaluations measures whole requests through the handler —
// authentication, decoding, the checks, the explained decisions,
// encoding — with 1 and 100 evaluations, on the 100,000-user organization,
// and reports the p50 and p99 of the requests' durations.
func BenchmarkEvaluations(b *testing.B) {
	mux, key, uids, folders := benchHandler(b)
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			bodies := make([]string, 512)
			for i := range bodies {
				if n == 1 {
					f := folders[r.IntN(len(folders))]
					bodies[i] = `{"subject":{"type":"user","id":"` + uids[r.IntN(len(uids))] + `"},"action":{"name":"view"},"resource":{"type":"folder","id":"` + f.ID + `"}}`
				} else {
					bodies[i] = batchBody(r, uids, folders, n)
				}
			}
			path := authzen.PathEvaluation
			if n > 1 {
				path = authzen.PathEvaluations
			}
			took := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("POST", path, strings.NewReader(bodies[i%len(bodies)]))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				start := time.Now()
				mux.ServeHTTP(w, req)
				took = append(took, time.Since(start))
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "evaluations/s")
		})
	}
}

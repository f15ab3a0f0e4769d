package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/token"
)

// Sizes of the benchmark's organization: the 100,000 users and
// 1,000 groups.
const (
	benchUsers      = 100_000
	benchGroups     = 1_000
	benchPerUser    = 5 // groups per user, so a group has about 500 members
	benchWorkspaces = 200
	benchFolders    = 5 // per workspace, the home folder included
)

// parallel runs fn(0..n-1) on workers goroutines: concurrent writes share
// the SQLite store's group commits, its fast path for many small writes.
func parallel(workers, n int, fn func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
		bad  error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := bad != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					bad = err
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return bad
}

// benchOrg is the seeded organization and the ids the pages are asked
// about.
type benchOrg struct {
	h       http.Handler
	cookie  *http.Cookie
	pages   []struct{ name, path string }
	seeding time.Duration
	index   time.Duration // the resolver's first read of the organization
}

// seedBench writes the organization through the store, events included,
// as SCIM and the API would: users with a name and an email, groups with
// their members (each user in five random groups), "Everyone" with every
// user, workspaces with folders (one Invite only per workspace, shared
// with a group), two group grants and ten invited members per workspace,
// and three owners.
func seedBench(b *testing.B) *benchOrg {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "roster.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	res := &access.Resolver{Store: s, Logger: slog.New(slog.DiscardHandler)}
	dir := &directory.Service{Store: s, Changed: res.Invalidate}
	acc := &access.Service{Store: s, Resolver: res}
	tokens := &token.Service{Store: s}
	okta := store.Actor{Kind: "scim_token", Name: "okta"}
	cli := store.Actor{Kind: "cli"}
	org, err := acc.CreateOrg(ctx, cli, "Bench", store.PlanEnterprise)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := tokens.Create(ctx, cli, org.ID, store.TokenSCIM, "okta"); err != nil {
		b.Fatal(err)
	}
	uids := make([]string, benchUsers)
	for i := range uids {
		uids[i], _ = directory.NewID()
	}
	if err := parallel(16, benchUsers, func(i int) error {
		name := fmt.Sprintf("user%06d@bench.example", i)
		mail := fmt.Sprintf("person%06d@mail.bench.example", i)
		_, err := s.CreateUser(ctx, okta, store.User{OrgID: org.ID, ID: uids[i], UserName: name, DisplayName: fmt.Sprintf("Person %06d", i),
			Active: i%50 != 0, Values: []store.Value{{Attr: "emails", Sub: "value", Str: mail}},
			Attributes: json.RawMessage(`{"userName":"` + name + `","emails":[{"value":"` + mail + `","type":"work","primary":true}]}`)})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	everyone, err := s.CreateGroup(ctx, okta, store.Group{OrgID: org.ID, ID: mustID(b), DisplayName: "Everyone"}, uids)
	if err != nil {
		b.Fatal(err)
	}
	// Its group.members_added names every user: the largest event the
	// feed page summarizes.
	bigEvent, err := dir.Seq(ctx, org.ID)
	if err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	members := make([][]string, benchGroups)
	for _, u := range uids {
		for _, g := range rnd.Perm(benchGroups)[:benchPerUser] {
			members[g] = append(members[g], u)
		}
	}
	gids := make([]string, benchGroups)
	for i := range gids {
		gids[i] = mustID(b)
	}
	if err := parallel(8, benchGroups, func(i int) error {
		_, err := s.CreateGroup(ctx, okta, store.Group{OrgID: org.ID, ID: gids[i], DisplayName: fmt.Sprintf("Team %04d", i)}, members[i])
		return err
	}); err != nil {
		b.Fatal(err)
	}
	var firstWS store.Workspace
	var invite store.Folder
	var mu sync.Mutex
	if err := parallel(8, benchWorkspaces, func(i int) error {
		ws, _, err := acc.CreateWorkspace(ctx, cli, org.ID, fmt.Sprintf("Workspace %03d", i), "")
		if err != nil {
			return err
		}
		for j := 1; j < benchFolders; j++ {
			ta := store.TeamAccessWorkspace
			if j == 1 {
				ta = store.TeamAccessInviteOnly
			}
			f, err := acc.CreateFolder(ctx, cli, org.ID, ws.ID, fmt.Sprintf("Folder %d", j), ta)
			if err != nil {
				return err
			}
			if j == 1 {
				if _, _, err := acc.PutGrant(ctx, cli, org.ID, store.ResourceFolder, f.ID, gids[(i*7)%benchGroups], store.RoleChecker); err != nil {
					return err
				}
				if i == 0 {
					mu.Lock()
					firstWS, invite = ws, f
					mu.Unlock()
				}
			}
		}
		for k := 0; k < 2; k++ {
			if _, _, err := acc.PutGrant(ctx, cli, org.ID, store.ResourceWorkspace, ws.ID, gids[(i*2+k)%benchGroups], store.RoleEditor); err != nil {
				return err
			}
		}
		for k := 0; k < 10; k++ {
			if _, err := acc.PutMember(ctx, cli, store.ResourceMember{OrgID: org.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID,
				UserID: uids[(i*10+k)*37%benchUsers], Origin: store.OriginInvited, Role: store.RoleViewer}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	// The worst case of "who has access": a workspace granted to the
	// group of every user.
	if _, _, err := acc.PutGrant(ctx, cli, org.ID, store.ResourceWorkspace, firstWS.ID, everyone.ID, store.RoleViewer); err != nil {
		b.Fatal(err)
	}
	for _, u := range uids[1:4] {
		if _, err := acc.SetOrgRole(ctx, cli, org.ID, u, store.OrgAdmin); err != nil {
			b.Fatal(err)
		}
	}
	seq, err := dir.Seq(ctx, org.ID)
	if err != nil {
		b.Fatal(err)
	}
	// The resolver reads the organization once per process, then keeps
	// its index current from the event log; that first read is measured
	// here, apart from the pages.
	built := time.Now()
	if err := res.Refresh(ctx, org.ID); err != nil {
		b.Fatal(err)
	}
	index := time.Since(built)
	link, _, err := tokens.CreateLink(ctx, cli, org.ID, 0)
	if err != nil {
		b.Fatal(err)
	}
	sess, _, err := tokens.EnterLink(ctx, link)
	if err != nil {
		b.Fatal(err)
	}
	h := &console.Handler{Tokens: tokens, Orgs: acc, Groups: dir, SAML: &sso.Service{Store: s}, Sharing: acc, WhoHas: res, Names: dir,
		Directory: dir, Reach: res, Admin: acc, BaseURL: "http://roster.example", Logger: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	h.Mount(mux)
	// The user the user page shows: in five groups, reaching the
	// workspaces those groups were granted and their folders.
	someone := uids[12345]
	ws := "/console/workspaces/" + firstWS.ID
	o := &benchOrg{h: mux, cookie: &http.Cookie{Name: "roster_console", Value: sess}, seeding: time.Since(start), index: index}
	o.pages = []struct{ name, path string }{
		{"overview", "/console/"},
		{"tokens", "/console/tokens"},
		{"workspaces", "/console/workspaces"},
		{"workspace", ws},
		{"folder", ws + "/folders/" + invite.ID},
		{"access-workspace-everyone", ws + "/access"},
		{"access-folder", ws + "/folders/" + invite.ID + "/access"},
		{"groups", "/console/groups"},
		{"groups-search", "/console/groups?q=team+09"},
		{"groups-next-page", "/console/groups?after=" + gids[len(gids)/2]},
		{"group", "/console/groups/" + gids[0]},
		{"group-everyone", "/console/groups/" + everyone.ID},
		{"group-manage", "/console/groups/" + gids[0] + "/manage"},
		{"users", "/console/users"},
		{"users-search-name", "/console/users?q=user0999"},
		{"users-search-email", "/console/users?by=email&q=person0999"},
		{"users-search-none", "/console/users?q=nobody"},
		{"users-search-name-everyone", "/console/users?q=user"},
		{"users-search-email-everyone", "/console/users?by=email&q=person"},
		{"user", "/console/users/" + someone},
		{"settings", "/console/settings"},
		{"events", "/console/events"},
		{"events-oldest", "/console/events?before=" + strconv.FormatInt(min(seq, 51), 10)},
		{"events-100000-members-added", "/console/events?before=" + strconv.FormatInt(bigEvent+1, 10)},
	}
	return o
}

func mustID(b *testing.B) string {
	id, err := directory.NewID()
	if err != nil {
		b.Fatal(err)
	}
	return id
}

func (o *benchOrg) get(b *testing.B, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(o.cookie)
	rec := httptest.NewRecorder()
	o.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s = %d\n%s", path, rec.Code, rec.Body.String())
	}
	return rec
}

// BenchmarkConsolePages renders every console page through the handler
// (session check, domain calls, template) on SQLite with 100,000 users
// and 1,000 groups. Each page must stay under 50 ms; the benchmark fails
// a page that does not.
//
//	go test ./internal/console/ -run XXX -bench ConsolePages -benchtime 20x
func BenchmarkConsolePages(b *testing.B) {
	o := seedBench(b)
	b.Logf("seeded %d users, %d groups, %d workspaces in %s; the resolver's index of them built in %s",
		benchUsers, benchGroups, benchWorkspaces, o.seeding.Round(time.Second), o.index.Round(time.Millisecond))
	for _, pg := range o.pages {
		b.Run(pg.name, func(b *testing.B) {
			// The first render fills the resolver's index of the
			// organization (read once per process, then kept current).
			o.get(b, pg.path)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				o.get(b, pg.path)
			}
			if per := b.Elapsed() / time.Duration(b.N); per > 50*time.Millisecond {
				b.Errorf("%s renders in %s; the console's budget is 50 ms", pg.path, per)
			}
		})
	}
}

package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// testSSO specifies SSOStore: configurations with their events, single-use
// request states, the replay cache, sessions ending with their user, and
// tenant isolation of all of them.
func testSSO(t *testing.T, s store.Store) {
	ctx := context.Background()
	org, other := mustOrg(t, s), mustOrg(t, s)
	alice := mustUser(t, s, org.ID, "alice@example.com")
	// The store's clock moves a millisecond per call; times far from it
	// keep the checks below independent of it.
	now := time.Now().UTC().Truncate(time.Microsecond)
	later := now.Add(time.Hour)

	t.Run("Config", func(t *testing.T) {
		if _, err := s.GetSAMLConfig(ctx, org.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetSAMLConfig before any = %v, want ErrNotFound", err)
		}
		c := store.DefaultSAMLConfig(org.ID)
		c.IdPMetadata, c.IdPEntityID = []byte("<md/>"), "https://idp.example/e"
		got, err := s.PutSAMLConfig(ctx, cli, c, 0)
		if err != nil {
			t.Fatalf("PutSAMLConfig: %v", err)
		}
		if got.Version != 1 || got.MetadataUpdatedAt.IsZero() || !got.SPInitiated || got.IdPInitiated {
			t.Errorf("first put = %+v", got)
		}
		read, err := s.GetSAMLConfig(ctx, org.ID)
		if err != nil || !bytes.Equal(read.IdPMetadata, c.IdPMetadata) || read.IdPEntityID != c.IdPEntityID || read.LinkBy != store.LinkByUserName {
			t.Errorf("GetSAMLConfig = %+v, %v", read, err)
		}
		// Same content: no new version, no event.
		before := len(events(t, s, org.ID))
		if again, err := s.PutSAMLConfig(ctx, cli, read, 0); err != nil || again.Version != 1 {
			t.Errorf("unchanged put = %+v, %v", again, err)
		}
		if n := len(events(t, s, org.ID)); n != before {
			t.Errorf("unchanged put appended %d events", n-before)
		}
		// A settings change is an event naming old and new values.
		read.IdPInitiated, read.JITProvisioning = true, true
		if _, err := s.PutSAMLConfig(ctx, cli, read, 1); err != nil {
			t.Fatalf("settings put: %v", err)
		}
		if _, err := s.PutSAMLConfig(ctx, cli, read, 1); !errors.Is(err, store.ErrVersionMismatch) {
			t.Errorf("stale put = %v, want ErrVersionMismatch", err)
		}
		ev := events(t, s, org.ID)
		last := ev[len(ev)-1]
		var data map[string]map[string]any
		if err := json.Unmarshal(last.Data, &data); err != nil || last.Type != "sso.settings_changed" ||
			data["idp_initiated"]["new"] != true || data["jit_provisioning"]["old"] != false || len(data) != 2 {
			t.Errorf("last event = %s %s", last.Type, last.Data)
		}
		if types := eventTypes(ev); !contains(types, "sso.idp_metadata_set") {
			t.Errorf("events %v lack sso.idp_metadata_set", types)
		}
		read.MetadataURL = "https://idp.example/metadata"
		if _, err := s.PutSAMLConfig(ctx, cli, read, 0); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListSAMLMetadataURLs(ctx, "", 10)
		if err != nil || len(list) != 1 || list[0].OrgID != org.ID {
			t.Errorf("ListSAMLMetadataURLs = %+v, %v", list, err)
		}
		// The base URL the SP URLs were derived from is kept, and changing
		// it is a settings change like any other.
		read, err = s.GetSAMLConfig(ctx, org.ID)
		if err != nil || read.BaseURL != "" {
			t.Fatalf("GetSAMLConfig = %+v, %v; want no base URL yet", read, err)
		}
		read.BaseURL = "https://roster.example.com"
		if _, err := s.PutSAMLConfig(ctx, cli, read, 0); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetSAMLConfig(ctx, org.ID); err != nil || got.BaseURL != "https://roster.example.com" {
			t.Errorf("after setting the base URL: %+v, %v", got, err)
		}
		ev = events(t, s, org.ID)
		data = nil
		if last := ev[len(ev)-1]; json.Unmarshal(last.Data, &data) != nil || last.Type != "sso.settings_changed" ||
			data["base_url"]["old"] != "" || data["base_url"]["new"] != "https://roster.example.com" || len(data) != 1 {
			t.Errorf("base URL event = %s %s", last.Type, last.Data)
		}
		if _, err := s.GetSAMLConfig(ctx, other.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("other organization sees a configuration: %v", err)
		}
		bad := store.DefaultSAMLConfig("no-such-org")
		if _, err := s.PutSAMLConfig(ctx, cli, bad, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("put for a missing organization = %v, want ErrNotFound", err)
		}
	})

	t.Run("RequestsAreSingleUse", func(t *testing.T) {
		r := store.SAMLRequest{OrgID: org.ID, RelayHash: hash("relay-1"), RequestID: "_req1", BrowserHash: hash("browser"),
			ReturnTo: "/w/1", State: "st-1", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
		if err := s.CreateSAMLRequest(ctx, r, 0); err != nil {
			t.Fatalf("CreateSAMLRequest: %v", err)
		}
		if _, err := s.TakeSAMLRequest(ctx, other.ID, r.RelayHash, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization took the request: %v", err)
		}
		got, err := s.TakeSAMLRequest(ctx, org.ID, r.RelayHash, now)
		if err != nil || got.RequestID != "_req1" || !bytes.Equal(got.BrowserHash, r.BrowserHash) || got.ReturnTo != "/w/1" || got.State != "st-1" {
			t.Fatalf("TakeSAMLRequest = %+v, %v", got, err)
		}
		if _, err := s.TakeSAMLRequest(ctx, org.ID, r.RelayHash, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second take = %v, want ErrNotFound", err)
		}
		r.RelayHash = hash("relay-2")
		if err := s.CreateSAMLRequest(ctx, r, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeSAMLRequest(ctx, org.ID, r.RelayHash, r.ExpiresAt); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired take = %v, want ErrNotFound", err)
		}
	})

	t.Run("ReplayCache", func(t *testing.T) {
		fresh, err := s.RememberAssertion(ctx, org.ID, "_a1", later)
		if err != nil || !fresh {
			t.Fatalf("first remember = %v, %v", fresh, err)
		}
		if fresh, err := s.RememberAssertion(ctx, org.ID, "_a1", later); err != nil || fresh {
			t.Errorf("second remember = %v, %v, want not fresh", fresh, err)
		}
		if fresh, err := s.RememberAssertion(ctx, other.ID, "_a1", later); err != nil || !fresh {
			t.Errorf("same id in another organization = %v, %v, want fresh", fresh, err)
		}
		// Concurrent presentations: exactly one wins.
		var wins int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f, err := s.RememberAssertion(ctx, org.ID, "_race", later)
				if err != nil {
					t.Errorf("concurrent remember: %v", err)
				}
				if f {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d concurrent presentations were fresh, want 1", wins)
		}
		// A record whose assertion expired no longer refuses (and is purged).
		if _, err := s.RememberAssertion(ctx, org.ID, "_old", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		if fresh, err := s.RememberAssertion(ctx, org.ID, "_old", later); err != nil || !fresh {
			t.Errorf("remember over an expired record = %v, %v, want fresh", fresh, err)
		}
	})

	newSession := func(t *testing.T, name string, u store.User, expires time.Time) store.Session {
		t.Helper()
		ss, err := s.CreateSession(ctx, store.Actor{Kind: "user", ID: u.ID}, store.Session{IDHash: hash(name), OrgID: u.OrgID, UserID: u.ID,
			IdleExpiresAt: expires, ExpiresAt: expires}, store.SignIn{Method: "sp_initiated", NameID: u.UserName})
		if err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		return ss
	}

	t.Run("Sessions", func(t *testing.T) {
		newSession(t, "s1", alice, later)
		ev := events(t, s, org.ID)
		if last := ev[len(ev)-1]; last.Type != "sso.signed_in" || last.SubjectID != alice.ID {
			t.Errorf("last event = %+v", last)
		}
		got, err := s.GetSession(ctx, hash("s1"))
		if err != nil || got.UserID != alice.ID || got.UserName != "alice@example.com" || !got.UserActive || !got.ExpiresAt.Equal(later) {
			t.Fatalf("GetSession = %+v, %v", got, err)
		}
		if err := s.TouchSession(ctx, hash("s1"), now, later.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetSession(ctx, hash("s1")); !got.IdleExpiresAt.Equal(later) || !got.LastSeenAt.Equal(now) {
			t.Errorf("touch moved idle expiry past the absolute one: %+v", got)
		}
		if err := s.DeleteSession(ctx, cli, other.ID, hash("s1"), "logout"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization ended the session: %v", err)
		}
		if err := s.DeleteSession(ctx, store.Actor{Kind: "user", ID: alice.ID}, org.ID, hash("s1"), "logout"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, hash("s1")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session after logout: %v", err)
		}
		if ev := events(t, s, org.ID); ev[len(ev)-1].Type != "sso.signed_out" {
			t.Errorf("last event = %s, want sso.signed_out", ev[len(ev)-1].Type)
		}
		if _, err := s.CreateSession(ctx, cli, store.Session{IDHash: hash("ghost"), OrgID: org.ID, UserID: "nobody",
			IdleExpiresAt: later, ExpiresAt: later}, store.SignIn{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session for a missing user = %v, want ErrNotFound", err)
		}
	})

	t.Run("SessionsEndWithTheUser", func(t *testing.T) {
		bob := mustUser(t, s, org.ID, "bob@example.com")
		carol := mustUser(t, s, org.ID, "carol@example.com")
		newSession(t, "bob", bob, later)
		newSession(t, "carol", carol, later)
		bob.Active = false
		if _, err := s.ReplaceUser(ctx, cli, bob, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, hash("bob")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session of a deactivated user: %v, want ErrNotFound", err)
		}
		bob.Active = true
		if _, err := s.ReplaceUser(ctx, cli, bob, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, hash("bob")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("reactivation revived a session: %v", err)
		}
		if _, err := s.CreateSession(ctx, cli, store.Session{IDHash: hash("x"), OrgID: org.ID, UserID: bob.ID,
			IdleExpiresAt: later, ExpiresAt: later}, store.SignIn{}); err != nil {
			t.Errorf("session after reactivation: %v", err)
		}
		if err := s.DeleteUser(ctx, cli, org.ID, carol.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, hash("carol")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session of a deleted user: %v, want ErrNotFound", err)
		}
	})

	t.Run("RefusalsAndPurge", func(t *testing.T) {
		if _, err := s.RecordSignInRefused(ctx, cli, org.ID, store.SignIn{Reason: "unknown_user", NameID: "eve@example.com"},
			store.RefusalWindow{Start: now.Add(-time.Hour), KeepDetail: 5}); err != nil {
			t.Fatal(err)
		}
		ev := events(t, s, org.ID)
		if last := ev[len(ev)-1]; last.Type != "sso.sign_in_refused" || !bytes.Contains(last.Data, []byte(`"reason":"unknown_user"`)) {
			t.Errorf("last event = %s %s", last.Type, last.Data)
		}
		past := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		newSession(t, "old", alice, past)
		if err := s.CreateSAMLRequest(ctx, store.SAMLRequest{OrgID: org.ID, RelayHash: hash("old"), RequestID: "_r", BrowserHash: hash("b"),
			CreatedAt: past, ExpiresAt: past}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RememberAssertion(ctx, org.ID, "_purged", past); err != nil {
			t.Fatal(err)
		}
		n, err := s.PurgeSSO(ctx, now)
		if err != nil || n != 3 {
			t.Errorf("PurgeSSO = %d, %v, want 3 rows", n, err)
		}
		if fresh, _ := s.RememberAssertion(ctx, org.ID, "_a1", later); fresh {
			t.Error("purge removed a live assertion record")
		}
	})

	t.Run("PendingRequestCap", func(t *testing.T) {
		capped := mustOrg(t, s)
		req := func(n int) store.SAMLRequest {
			return store.SAMLRequest{OrgID: capped.ID, RelayHash: hash(fmt.Sprint("cap-", n)), RequestID: "_r", BrowserHash: hash("b"),
				CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
		}
		for i := 0; i < 3; i++ {
			if err := s.CreateSAMLRequest(ctx, req(i), 3); err != nil {
				t.Fatalf("request %d under the cap: %v", i, err)
			}
		}
		if err := s.CreateSAMLRequest(ctx, req(3), 3); !errors.Is(err, store.ErrLimit) {
			t.Errorf("request over the cap = %v, want ErrLimit", err)
		}
		if _, err := s.TakeSAMLRequest(ctx, capped.ID, hash("cap-3"), now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the refused request was stored: %v", err)
		}
		// Expired requests do not count.
		later := req(4)
		later.CreatedAt = now.Add(2 * time.Minute)
		if err := s.CreateSAMLRequest(ctx, later, 3); err != nil {
			t.Errorf("request after the others expired: %v", err)
		}
	})

	t.Run("RefusalWindowsAndSignInLog", func(t *testing.T) {
		o := mustOrg(t, s)
		before := len(events(t, s, o.ID))
		w := store.RefusalWindow{Start: now.Truncate(time.Minute), KeepDetail: 2}
		for i := 1; i <= 5; i++ {
			n, err := s.RecordSignInRefused(ctx, cli, o.ID, store.SignIn{Reason: "malformed", Detail: fmt.Sprint("garbage ", i)}, w)
			if err != nil || n != int64(i) {
				t.Fatalf("refusal %d: count %d, %v", i, n, err)
			}
		}
		if _, err := s.RecordSignInRefused(ctx, cli, o.ID, store.SignIn{Reason: "unsigned"}, w); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordSignInRefused(ctx, cli, "no-such-org", store.SignIn{Reason: "unsigned"}, w); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refusal for a missing organization = %v, want ErrNotFound", err)
		}
		ev := events(t, s, o.ID)[before:]
		if types := eventTypes(ev); len(types) != 2 || types[0] != "sso.sign_in_refused" || types[1] != "sso.sign_in_refused" {
			t.Fatalf("events after 6 refusals in 2 windows = %v, want one per window", types)
		}
		// The log keeps the first KeepDetail of a window, newest first.
		log, err := s.ListSignIns(ctx, o.ID, store.SignInFilter{}, 0, 10)
		if err != nil || len(log) != 3 || log[0].Reason != "unsigned" || log[1].Detail != "garbage 2" || log[2].Detail != "garbage 1" {
			t.Fatalf("ListSignIns = %+v, %v", log, err)
		}
		if log[0].Outcome != store.SignInRefused || log[0].ID <= log[1].ID {
			t.Errorf("log entries = %+v", log)
		}
		page, err := s.ListSignIns(ctx, o.ID, store.SignInFilter{Reason: "malformed"}, log[1].ID, 10)
		if err != nil || len(page) != 1 || page[0].Detail != "garbage 1" {
			t.Errorf("filtered page before %d = %+v, %v", log[1].ID, page, err)
		}
		if other, _ := s.ListSignIns(ctx, other.ID, store.SignInFilter{}, 0, 10); len(other) != 0 {
			t.Errorf("another organization reads %d entries", len(other))
		}
		// Flushing ends both windows; the one with 5 refusals is summed up.
		n, err := s.FlushRefusalWindows(ctx, cli, w.Start.Add(time.Minute))
		if err != nil || n < 2 {
			t.Fatalf("FlushRefusalWindows = %d, %v", n, err)
		}
		ev = events(t, s, o.ID)[before:]
		if last := ev[len(ev)-1]; len(ev) != 3 || last.Type != "sso.sign_in_refused_summary" ||
			!bytes.Contains(last.Data, []byte(`"count":5`)) || !bytes.Contains(last.Data, []byte(`"reason":"malformed"`)) {
			t.Errorf("events after the flush = %v (last %s)", eventTypes(ev), last.Data)
		}
		if n, _ := s.FlushRefusalWindows(ctx, cli, w.Start.Add(time.Minute)); n != 0 {
			t.Errorf("second flush ended %d windows", n)
		}
		// A new window starts counting at 1 again.
		if n, err := s.RecordSignInRefused(ctx, cli, o.ID, store.SignIn{Reason: "malformed"}, w); err != nil || n != 1 {
			t.Errorf("refusal after the flush: %d, %v", n, err)
		}
		// Retention: by age, then by count per organization.
		// (The store's clock, which stamps the entries, runs far behind now.)
		if n, err := s.PurgeSignIns(ctx, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), 2); err != nil || n < 2 {
			t.Errorf("PurgeSignIns(keep 2) = %d, %v, want at least 2", n, err)
		}
		if log, _ := s.ListSignIns(ctx, o.ID, store.SignInFilter{}, 0, 10); len(log) != 2 || log[1].Reason != "unsigned" {
			t.Errorf("after trimming: %+v", log)
		}
		if _, err := s.PurgeSignIns(ctx, now.Add(time.Hour), 0); err != nil {
			t.Fatal(err)
		}
		if log, _ := s.ListSignIns(ctx, o.ID, store.SignInFilter{}, 0, 10); len(log) != 0 {
			t.Errorf("after expiry: %d entries", len(log))
		}
	})

	t.Run("SignInSuccessIsLogged", func(t *testing.T) {
		if _, err := s.CreateSession(ctx, cli, store.Session{IDHash: hash("logged"), OrgID: org.ID, UserID: alice.ID,
			IdleExpiresAt: later, ExpiresAt: later}, store.SignIn{Method: "sp_initiated", NameID: "alice@example.com"}); err != nil {
			t.Fatal(err)
		}
		log, err := s.ListSignIns(ctx, org.ID, store.SignInFilter{Outcome: store.SignInSuccess}, 0, 1)
		if err != nil || len(log) != 1 || log[0].UserID != alice.ID || log[0].Method != "sp_initiated" || log[0].NameID != "alice@example.com" {
			t.Errorf("success entry = %+v, %v", log, err)
		}
	})

	t.Run("Handoffs", func(t *testing.T) {
		h := store.Handoff{CodeHash: hash("code-1"), OrgID: org.ID, UserID: alice.ID, State: "xyz", Method: "sp_initiated",
			Joined: []byte(`[{"resource_id":"w1"}]`), CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
		if err := s.CreateHandoff(ctx, h); err != nil {
			t.Fatalf("CreateHandoff: %v", err)
		}
		if _, err := s.TakeHandoff(ctx, other.ID, h.CodeHash, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization took the code: %v", err)
		}
		got, err := s.TakeHandoff(ctx, org.ID, h.CodeHash, now)
		if err != nil || got.UserID != alice.ID || got.State != "xyz" || got.Method != "sp_initiated" || string(got.Joined) != string(h.Joined) {
			t.Fatalf("TakeHandoff = %+v, %v", got, err)
		}
		if _, err := s.TakeHandoff(ctx, org.ID, h.CodeHash, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second take = %v, want ErrNotFound", err)
		}
		h.CodeHash = hash("code-2")
		if err := s.CreateHandoff(ctx, h); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeHandoff(ctx, org.ID, h.CodeHash, h.ExpiresAt); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired take = %v, want ErrNotFound", err)
		}
		h.CodeHash, h.UserID = hash("code-3"), "no-such-user"
		if err := s.CreateHandoff(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("hand-off for a missing user = %v, want ErrNotFound", err)
		}
		h.CodeHash, h.UserID, h.ExpiresAt = hash("code-4"), alice.ID, now
		if err := s.CreateHandoff(ctx, h); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PurgeSSO(ctx, now); err != nil || n < 1 {
			t.Errorf("PurgeSSO removed %d rows, %v", n, err)
		}
	})

	t.Run("TestSignIns", func(t *testing.T) {
		r := store.SAMLRequest{OrgID: org.ID, RelayHash: hash("relay-test"), RequestID: "_test1", BrowserHash: hash("browser"),
			Test: true, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
		if err := s.CreateSAMLRequest(ctx, r, 0); err != nil {
			t.Fatal(err)
		}
		if got, err := s.TakeSAMLRequest(ctx, org.ID, r.RelayHash, now); err != nil || !got.Test {
			t.Fatalf("a test request came back as %+v, %v; want Test set", got, err)
		}
		res := store.SAMLTestResult{OrgID: org.ID, RequestID: "_test1", Outcome: store.SignInSuccess, NameID: "alice@example.com",
			NameIDFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", UserID: alice.ID,
			Attributes: map[string][]string{"groups": {"Sales", "Support"}}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.PutSAMLTestResult(ctx, res); err != nil {
			t.Fatalf("PutSAMLTestResult: %v", err)
		}
		if _, err := s.GetSAMLTestResult(ctx, other.ID, "_test1", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization read the result: %v", err)
		}
		got, err := s.GetSAMLTestResult(ctx, org.ID, "_test1", now)
		if err != nil || got.NameID != res.NameID || got.NameIDFormat != res.NameIDFormat || got.UserID != alice.ID ||
			len(got.Attributes["groups"]) != 2 || got.Outcome != store.SignInSuccess {
			t.Fatalf("GetSAMLTestResult = %+v, %v", got, err)
		}
		res.Outcome, res.Reason, res.UserID, res.Attributes = store.SignInRefused, "unknown_user", "", nil
		if err := s.PutSAMLTestResult(ctx, res); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetSAMLTestResult(ctx, org.ID, "_test1", now); err != nil || got.Reason != "unknown_user" || len(got.Attributes) != 0 {
			t.Errorf("replaced result = %+v, %v", got, err)
		}
		if _, err := s.GetSAMLTestResult(ctx, org.ID, "_test1", res.ExpiresAt); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired result = %v, want ErrNotFound", err)
		}
		if err := s.PutSAMLTestResult(ctx, store.SAMLTestResult{OrgID: org.ID, RequestID: "_x", Outcome: "maybe", ExpiresAt: later}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a result without a valid outcome = %v, want ErrInvalid", err)
		}
		if n, err := s.PurgeSSO(ctx, res.ExpiresAt); err != nil || n < 1 {
			t.Errorf("PurgeSSO removed %d rows, %v", n, err)
		}
		if _, err := s.GetSAMLTestResult(ctx, org.ID, "_test1", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("purged result = %v", err)
		}
	})

	t.Run("Domains", func(t *testing.T) {
		before := len(events(t, s, org.ID))
		d, err := s.AddOrgDomain(ctx, cli, org.ID, "example.com")
		if err != nil || d.Domain != "example.com" || d.OrgID != org.ID || d.CreatedAt.IsZero() {
			t.Fatalf("AddOrgDomain = %+v, %v", d, err)
		}
		if _, err := s.AddOrgDomain(ctx, cli, org.ID, "b.example.com"); err != nil {
			t.Fatal(err)
		}
		var ce *store.ConflictError
		if _, err := s.AddOrgDomain(ctx, cli, other.ID, "example.com"); !errors.As(err, &ce) || ce.Field != "domain" {
			t.Errorf("another organization claimed the domain: %v", err)
		}
		if _, err := s.AddOrgDomain(ctx, cli, "no-such-org", "c.example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("domain for a missing organization = %v", err)
		}
		got, err := s.OrgDomain(ctx, "example.com")
		if err != nil || got.OrgID != org.ID {
			t.Errorf("OrgDomain = %+v, %v", got, err)
		}
		list, err := s.ListOrgDomains(ctx, org.ID)
		if err != nil || len(list) != 2 || list[0].Domain != "b.example.com" {
			t.Errorf("ListOrgDomains = %+v, %v", list, err)
		}
		if err := s.RemoveOrgDomain(ctx, cli, other.ID, "example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another organization removed the domain: %v", err)
		}
		if err := s.RemoveOrgDomain(ctx, cli, org.ID, "example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.OrgDomain(ctx, "example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed domain still found: %v", err)
		}
		if _, err := s.AddOrgDomain(ctx, cli, other.ID, "example.com"); err != nil {
			t.Errorf("a removed domain cannot be claimed again: %v", err)
		}
		if types := eventTypes(events(t, s, org.ID)[before:]); len(types) != 3 || types[0] != "org.domain_added" || types[2] != "org.domain_removed" {
			t.Errorf("domain events = %v", types)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

package events_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/store"
)

// setReceiver is an RFC 8935 push endpoint that keeps every SET it is sent
// and answers 202 unless the test says otherwise.
type setReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []string // compact JWS, in arrival order
	ctypes []string
	answer func(n int) (status int, body string)
}

func newSETReceiver(t *testing.T) *setReceiver {
	rc := &setReceiver{answer: func(int) (int, string) { return http.StatusAccepted, "" }}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, string(body))
		rc.ctypes = append(rc.ctypes, r.Header.Get("Content-Type"))
		status, resp := rc.answer(len(rc.got))
		rc.mu.Unlock()
		if resp != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, resp)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *setReceiver) tokens() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.got...)
}

func (rc *setReceiver) setAnswer(fn func(n int) (int, string)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = fn
}

// fetchJWKS gets the JWKS over HTTP and parses its EC keys by hand: the
// coordinates are base64url big-endian integers (RFC 7518 §6.2.1).
func fetchJWKS(t *testing.T, url string) map[string]*ecdsa.PublicKey {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "public") {
		t.Fatalf("JWKS: status %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	var set struct {
		Keys []struct{ Kty, Crv, X, Y, Kid, Alg, Use string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	out := map[string]*ecdsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "EC" || k.Crv != "P-256" || k.Alg != "ES256" || k.Use != "sig" {
			t.Fatalf("JWK %+v: want an EC P-256 ES256 signing key", k)
		}
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			t.Fatalf("JWK %s: bad coordinates", k.Kid)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			t.Fatalf("JWK %s: %v", k.Kid, err)
		}
		out[k.Kid] = pub
	}
	return out
}

// set is a verified SET.
type set struct {
	kid    string
	claims struct {
		Iss    string                     `json:"iss"`
		Iat    int64                      `json:"iat"`
		Jti    string                     `json:"jti"`
		Aud    string                     `json:"aud"`
		Sub    *string                    `json:"sub"`
		SubID  map[string]string          `json:"sub_id"`
		Events map[string]json.RawMessage `json:"events"`
	}
}

func (s set) uri() string {
	for k := range s.claims.Events {
		return k
	}
	return ""
}

// verifySET checks a compact JWS by hand (RFC 7515 §5.2): three base64url
// parts, a header naming ES256 and a kid the JWKS holds, and an ECDSA
// P-256 SHA-256 signature whose 64 bytes are R || S (RFC 7518 §3.4).
func verifySET(t *testing.T, token string, keys map[string]*ecdsa.PublicKey) set {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("SET %q: not a JWS compact serialization", token)
	}
	var hdr struct{ Alg, Typ, Kid string }
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &hdr) != nil {
		t.Fatalf("SET header %q unreadable", parts[0])
	}
	if hdr.Alg != "ES256" || hdr.Typ != "secevent+jwt" {
		t.Fatalf("SET header %s: want alg ES256, typ secevent+jwt", hb)
	}
	pub := keys[hdr.Kid]
	if pub == nil {
		t.Fatalf("SET signed by kid %q, which the JWKS does not hold", hdr.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("SET signature: %d bytes, %v", len(sig), err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatalf("SET signature does not verify with key %s", hdr.Kid)
	}
	var out set
	out.kid = hdr.Kid
	cb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(cb, &out.claims) != nil {
		t.Fatalf("SET claims %q unreadable", parts[1])
	}
	return out
}

func TestSCIMEvents(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		o := mustOrg(t, s)
		const issuer, audience = "https://roster.example", "https://app.example/scim-events"
		signKeys := &events.Keys{Store: s}
		// The JWKS is served by a Keys of its own, as another instance
		// would: it must find the key the dispatcher's made in the store.
		mux := http.NewServeMux()
		(&events.JWKSHandler{Keys: &events.Keys{Store: s}}).Mount(mux)
		jwks := httptest.NewServer(mux)
		t.Cleanup(jwks.Close)

		rc := newSETReceiver(t)
		svc := &events.Service{Store: s, Targets: private}
		ep, err := svc.Create(ctx, cli, o.ID, events.Spec{URL: rc.URL, Format: store.FormatSCIMEvents, Audience: audience})
		if err != nil {
			t.Fatal(err)
		}
		if ep.Format != store.FormatSCIMEvents || ep.Audience != audience {
			t.Fatalf("endpoint %+v: format and audience not kept", ep)
		}
		c := newClock()
		dctx, cancel := context.WithCancel(ctx)
		d := &events.Dispatcher{Store: s, Owner: "scim", Now: c.Now, Targets: private, Keys: signKeys, Issuer: issuer,
			Jitter: func(w time.Duration) time.Duration { return w }, PollInterval: 20 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(logOut(), nil))}
		done := make(chan error, 1)
		go func() { done <- d.Run(dctx) }()
		t.Cleanup(func() { cancel(); <-done })

		// create, group create with a member (patch), deactivate (put +
		// deactivate), delete; the endpoint's own webhook.created and the
		// org's other events have no SCIM meaning and are skipped.
		u, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: "u-1", UserName: "alice@example.com", ExternalID: "ext-alice", Active: true, Attributes: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateGroup(ctx, cli, store.Group{OrgID: o.ID, ID: "g-1", DisplayName: "Eng"}, []string{u.ID}); err != nil {
			t.Fatal(err)
		}
		u.Active = false
		if _, err := s.ReplaceUser(ctx, cli, u, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteUser(ctx, cli, o.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		want := []struct{ uri, sub string }{
			{events.EventCreateNotice, "/Users/u-1"},
			{events.EventCreateNotice, "/Groups/g-1"},
			{events.EventPatchNotice, "/Groups/g-1"},
			{events.EventPutNotice, "/Users/u-1"},
			{events.EventDeactivate, "/Users/u-1"},
			{events.EventDelete, "/Users/u-1"},
		}
		waitFor(t, "six SETs", func() bool { return len(rc.tokens()) >= len(want) })
		keys := fetchJWKS(t, jwks.URL+events.JWKSPath)
		if len(keys) != 1 {
			t.Fatalf("JWKS holds %d keys, want 1", len(keys))
		}
		var lastSeq int64
		var firstKid string
		for i, tok := range rc.tokens()[:len(want)] {
			got := verifySET(t, tok, keys)
			firstKid = got.kid
			cl := got.claims
			if got.uri() != want[i].uri || len(cl.Events) != 1 || cl.SubID["format"] != "scim" || cl.SubID["uri"] != want[i].sub {
				t.Fatalf("SET %d: events %v sub_id %v, want %s about %s", i, cl.Events, cl.SubID, want[i].uri, want[i].sub)
			}
			if cl.Iss != issuer || cl.Aud != audience || cl.Sub != nil || cl.Iat == 0 {
				t.Fatalf("SET %d: iss %q aud %q sub %v iat %d", i, cl.Iss, cl.Aud, cl.Sub, cl.Iat)
			}
			var seq int64
			if _, err := fmt.Sscanf(cl.Jti[strings.LastIndex(cl.Jti, "_")+1:], "%d", &seq); err != nil || !strings.HasPrefix(cl.Jti, "evt_") {
				t.Fatalf("SET %d: jti %q is not the event id", i, cl.Jti)
			}
			if seq <= lastSeq {
				t.Fatalf("SET %d: seq %d after %d: out of order", i, seq, lastSeq)
			}
			lastSeq = seq
			if strings.HasPrefix(want[i].sub, "/Users/") && want[i].uri != events.EventDelete && cl.SubID["externalId"] != "ext-alice" {
				t.Fatalf("SET %d: sub_id %v lacks the externalId", i, cl.SubID)
			}
			var payload map[string]any
			json.Unmarshal(cl.Events[want[i].uri], &payload)
			switch want[i].uri {
			case events.EventCreateNotice, events.EventPutNotice, events.EventPatchNotice:
				attrs, _ := payload["attributes"].([]any)
				if len(attrs) == 0 || payload["data"] != nil {
					t.Fatalf("SET %d: a notice carries attributes and no data, got %v", i, payload)
				}
				if want[i].uri == events.EventPatchNotice && (len(attrs) != 1 || attrs[0] != "members") {
					t.Fatalf("SET %d: membership patch names %v, want [members]", i, attrs)
				}
			default:
				if len(payload) != 0 {
					t.Fatalf("SET %d: %s has no payload attributes, got %v", i, want[i].uri, payload)
				}
			}
		}
		for _, ct := range rc.ctypes {
			if ct != "application/secevent+jwt" {
				t.Fatalf("Content-Type %q", ct)
			}
		}

		// A 400 with the RFC 8935 error JSON refuses that SET for good: it
		// is logged and not sent again, and the next one follows. A bare
		// 400 is a general error and is retried.
		before := len(rc.tokens())
		rc.setAnswer(func(n int) (int, string) {
			switch n - before {
			case 1:
				return http.StatusBadRequest, `{"err":"invalid_audience","description":"not ours"}`
			case 2:
				return http.StatusBadRequest, "no"
			}
			return http.StatusAccepted, ""
		})
		for _, id := range []string{"u-2", "u-3"} {
			if _, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: id, UserName: id + "@example.com", Active: true, Attributes: json.RawMessage(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "the rejected SET and the first try of the next", func() bool { return len(rc.tokens()) >= before+2 })
		time.Sleep(100 * time.Millisecond)
		if n := len(rc.tokens()); n != before+2 {
			t.Fatalf("%d SETs before the retry is due, want %d", n, before+2)
		}
		c.Add(6 * time.Second) // the first retry is due after 5 s
		waitFor(t, "the retried SET", func() bool { return len(rc.tokens()) >= before+3 })
		toks := rc.tokens()
		subs := []string{}
		for _, tok := range toks[before:] {
			subs = append(subs, verifySET(t, tok, keys).claims.SubID["uri"])
		}
		if !slices.Equal(subs, []string{"/Users/u-2", "/Users/u-3", "/Users/u-3"}) {
			t.Fatalf("after the 400s the receiver got %v", subs)
		}
		log := deliveries(t, s, ep)
		var rejected bool
		for _, dl := range log {
			if dl.Status == 400 && strings.Contains(dl.Error, "invalid_audience") {
				rejected = true
			}
		}
		if !rejected {
			t.Fatalf("the delivery log %+v lacks the rejected SET", log)
		}
		waitFor(t, "the cursor past u-3", func() bool {
			got, err := s.GetWebhook(ctx, o.ID, ep.ID)
			return err == nil && got.Attempts == 0 && got.Cursor >= lastSeq+2
		})

		// Rotation: the next SETs are signed with the new key, and the JWKS
		// publishes both during the grace period.
		newKid, err := signKeys.Rotate(ctx, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if newKid == firstKid {
			t.Fatal("rotation kept the key")
		}
		waitFor(t, "both keys in the JWKS", func() bool { return len(fetchJWKS(t, jwks.URL+events.JWKSPath)) == 2 })
		keys = fetchJWKS(t, jwks.URL+events.JWKSPath)
		if keys[firstKid] == nil || keys[newKid] == nil {
			t.Fatalf("JWKS after rotation lacks %s or %s", firstKid, newKid)
		}
		if _, err := s.CreateUser(ctx, cli, store.User{OrgID: o.ID, ID: "u-4", UserName: "u-4@example.com", Active: true, Attributes: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the SET after rotation", func() bool { return len(rc.tokens()) >= before+4 })
		last := verifySET(t, rc.tokens()[before+3], keys)
		if last.kid != newKid || last.claims.SubID["uri"] != "/Users/u-4" {
			t.Fatalf("after rotation: kid %s about %s, want %s about /Users/u-4", last.kid, last.claims.SubID["uri"], newKid)
		}
		// An early SET still verifies with the old key, still published.
		verifySET(t, toks[0], keys)

		// Redelivery by hand signs the same way; an event with no SCIM
		// meaning is refused, not sent.
		hand := &events.Service{Store: s, Targets: private, Keys: signKeys, Issuer: issuer}
		evs, err := s.ListEvents(ctx, o.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var userSeq, hookSeq int64
		for _, e := range evs {
			switch {
			case e.Type == "user.created" && userSeq == 0:
				userSeq = e.Seq
			case e.Type == "webhook.created":
				hookSeq = e.Seq
			}
		}
		if _, err := hand.Redeliver(ctx, o.ID, ep.ID, hookSeq); err == nil || !strings.Contains(err.Error(), "no SCIM meaning") {
			t.Fatalf("redelivering webhook.created: %v", err)
		}
		n := len(rc.tokens())
		dl, err := hand.Redeliver(ctx, o.ID, ep.ID, userSeq)
		if err != nil || dl.Status != http.StatusAccepted || !dl.Redelivery {
			t.Fatalf("redelivery: %+v, %v", dl, err)
		}
		again := verifySET(t, rc.tokens()[n], keys)
		if again.kid != newKid || again.claims.SubID["uri"] != "/Users/u-1" || !strings.HasSuffix(again.claims.Jti, fmt.Sprintf("_%d", userSeq)) {
			t.Fatalf("redelivered SET: kid %s, sub %v, jti %s", again.kid, again.claims.SubID, again.claims.Jti)
		}
	})
}

// TestSigningKeyShared: instances starting together on one database end up
// with one current key, whichever stored it.
func TestSigningKeyShared(t *testing.T) {
	engines(t, func(t *testing.T, s store.Store) {
		var wg sync.WaitGroup
		kids := make([]string, 4)
		for i := range kids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k, err := events.NewSigningKey()
				if err != nil {
					t.Error(err)
					return
				}
				cur, err := s.EnsureSigningKey(context.Background(), k)
				if err != nil {
					t.Error(err)
					return
				}
				kids[i] = cur.ID
			}()
		}
		wg.Wait()
		for _, k := range kids[1:] {
			if k != kids[0] {
				t.Fatalf("instances got different current keys: %v", kids)
			}
		}
		list, err := s.ListSigningKeys(context.Background(), time.Now())
		if err != nil || len(list) != 1 || list[0].ID != kids[0] {
			t.Fatalf("store holds %v (%v), want only %s", list, err, kids[0])
		}
	})
}

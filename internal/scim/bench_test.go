package scim_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// benchClient sends requests with keep-alive and drains the bodies.
func (e *env) send(b *testing.B, method, path, body string, want int) {
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		b.Fatalf("%s %s: %d", method, path, res.StatusCode)
	}
}

func benchEnv(b *testing.B) *env {
	e := sqliteEnvTB(b)
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = 64
	return e
}

// seedUsers inserts users through the store (fast), returning their ids.
func seedUsers(b *testing.B, e *env, n int, prefix string) []string {
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		u, err := e.store.CreateUser(ctx, store.Actor{Kind: "cli"}, store.User{OrgID: e.org, ID: fmt.Sprintf("%s%08d", prefix, i),
			UserName: fmt.Sprintf("%s%d@example.com", prefix, i), Active: true, Attributes: []byte(`{"userName":"x"}`)})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = u.ID
	}
	return ids
}

func BenchmarkCreateUser(b *testing.B) {
	e := benchEnv(b)
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			e.send(b, "POST", "/scim/v2/Users", fmt.Sprintf(`{"schemas":["%s"],"userName":"bench%d@example.com","name":{"givenName":"B","familyName":"N"},"emails":[{"primary":true,"type":"work","value":"bench%d@example.com"}],"active":true}`, userURN, i, i), 201)
		}
	})
}

func BenchmarkFilterUserName(b *testing.B) {
	e := benchEnv(b)
	const n = 20000
	seedUsers(b, e, n, "f")
	var i atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := i.Add(1) % n
			e.send(b, "GET", "/scim/v2/Users?filter="+url.QueryEscape(fmt.Sprintf(`userName eq "f%d@example.com"`, k)), "", 200)
		}
	})
}

// BenchmarkAddMember compares adding one member to a small and to a large
// group of the same organization (100,000 users): memberships are rows, so
// the cost must not depend on the group's size.
func BenchmarkAddMember(b *testing.B) {
	e := benchEnv(b)
	users := seedUsers(b, e, 100000, "m")
	ctx := context.Background()
	small, err := e.store.CreateGroup(ctx, store.Actor{Kind: "cli"}, store.Group{OrgID: e.org, ID: "g-small", DisplayName: "Small"}, users[:10])
	if err != nil {
		b.Fatal(err)
	}
	big, err := e.store.CreateGroup(ctx, store.Actor{Kind: "cli"}, store.Group{OrgID: e.org, ID: "g-big", DisplayName: "Big"}, users)
	if err != nil {
		b.Fatal(err)
	}
	run := 0
	for _, g := range []store.Group{small, big} {
		b.Run(fmt.Sprintf("group=%d", g.MemberCount), func(b *testing.B) {
			run++
			fresh := seedUsers(b, e, b.N, fmt.Sprintf("x%d-", run))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.send(b, "PATCH", "/scim/v2/Groups/"+g.ID, `{"schemas":["`+patchURN+`"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+fresh[i]+`"}]}]}`, 204)
			}
		})
	}
}

// BenchmarkListGroupsExcludingMembers shows that a page of groups without
// members costs the same whatever the groups' sizes.
func BenchmarkListGroupsExcludingMembers(b *testing.B) {
	for _, size := range []int{10, 10000} {
		b.Run(fmt.Sprintf("members=%d", size), func(b *testing.B) {
			e := benchEnv(b)
			members := seedUsers(b, e, size, "l")
			for i := 0; i < 20; i++ {
				if _, err := e.store.CreateGroup(context.Background(), store.Actor{Kind: "cli"}, store.Group{OrgID: e.org, ID: fmt.Sprintf("g%02d", i), DisplayName: fmt.Sprint("G", i)}, members); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.send(b, "GET", "/scim/v2/Groups?excludedAttributes=members&count=20", "", 200)
			}
		})
	}
}

package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// testRequestLog pins the provisioning log: rows come back newest first
// with every field, filters and paging narrow them, another organization's
// rows are never seen, a row of a deleted organization is dropped without
// failing its batch, and purging goes by age.
func testRequestLog(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := mustOrg(t, s), mustOrg(t, s)
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	row := func(org string, i int, method, resource string, status int) store.Request {
		r := store.Request{OrgID: org, At: t0.Add(time.Duration(i) * time.Minute), TokenID: "tok1", TokenName: "Okta",
			Method: method, Path: "/scim/v2/" + resource, Resource: resource, Status: status,
			Latency: 1500 * time.Microsecond, Request: `{"userName":"a@example.com"}`, Response: `{"id":"x"}`, Client: "203.0.113.9"}
		if status >= 400 {
			r.SCIMType, r.Detail = "uniqueness", "userName a@example.com is taken"
		}
		return r
	}
	batch := []store.Request{
		row(a.ID, 0, "POST", "Users", 201),
		row(a.ID, 1, "POST", "Users", 409),
		row(b.ID, 1, "GET", "Groups", 200),
		row(a.ID, 2, "PATCH", "Groups", 204),
		row(a.ID, 3, "GET", "Users", 200),
		row("no-such-org", 3, "GET", "Users", 200),
	}
	if err := s.AppendRequests(ctx, batch); err != nil {
		t.Fatalf("AppendRequests: %v", err)
	}
	all, err := s.ListRequests(ctx, a.ID, store.RequestFilter{}, 0, 10)
	if err != nil || len(all) != 4 {
		t.Fatalf("ListRequests(a) = %d rows, %v; want 4", len(all), err)
	}
	if all[0].Method != "GET" || all[3].Method != "POST" || all[3].Status != 201 {
		t.Errorf("ListRequests(a) is not newest first: %+v", all)
	}
	got := all[2] // the 409
	want := batch[1]
	want.ID = got.ID
	if got != want {
		t.Errorf("stored request =\n %+v\nwant\n %+v", got, want)
	}
	one, err := s.GetRequest(ctx, a.ID, got.ID)
	if err != nil || one != got {
		t.Errorf("GetRequest = %+v, %v", one, err)
	}
	if _, err := s.GetRequest(ctx, b.ID, got.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRequest of a's row as b: err = %v, want ErrNotFound", err)
	}
	for _, tc := range []struct {
		name   string
		f      store.RequestFilter
		before int64
		limit  int
		want   []int // statuses, newest first
	}{
		{"failed", store.RequestFilter{Failed: true}, 0, 10, []int{409}},
		{"resource", store.RequestFilter{Resource: "Users"}, 0, 10, []int{200, 409, 201}},
		{"since", store.RequestFilter{Since: t0.Add(2 * time.Minute)}, 0, 10, []int{200, 204}},
		{"until", store.RequestFilter{Until: t0.Add(time.Minute)}, 0, 10, []int{201}},
		{"page 1", store.RequestFilter{}, 0, 2, []int{200, 204}},
		{"page 2", store.RequestFilter{}, all[1].ID, 2, []int{409, 201}},
	} {
		rs, err := s.ListRequests(ctx, a.ID, tc.f, tc.before, tc.limit)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var statuses []int
		for _, r := range rs {
			statuses = append(statuses, r.Status)
		}
		if len(statuses) != len(tc.want) {
			t.Errorf("%s: statuses %v, want %v", tc.name, statuses, tc.want)
			continue
		}
		for i := range statuses {
			if statuses[i] != tc.want[i] {
				t.Errorf("%s: statuses %v, want %v", tc.name, statuses, tc.want)
				break
			}
		}
	}
	if rs, err := s.ListRequests(ctx, b.ID, store.RequestFilter{}, 0, 10); err != nil || len(rs) != 1 || rs[0].Resource != "Groups" {
		t.Errorf("ListRequests(b) = %+v, %v; want its one row", rs, err)
	}
	// Purge by age, in batches: the three of a and b before minute 2.
	if n, err := s.PurgeRequests(ctx, t0.Add(2*time.Minute), 2); err != nil || n != 2 {
		t.Fatalf("first PurgeRequests = %d, %v; want 2", n, err)
	}
	if n, err := s.PurgeRequests(ctx, t0.Add(2*time.Minute), 2); err != nil || n != 1 {
		t.Fatalf("second PurgeRequests = %d, %v; want 1", n, err)
	}
	if rs, _ := s.ListRequests(ctx, a.ID, store.RequestFilter{}, 0, 10); len(rs) != 2 {
		t.Errorf("after purging, a has %d rows, want 2", len(rs))
	}
}

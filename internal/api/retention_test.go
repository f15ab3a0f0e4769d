package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/retention"
)

// TestFeedAfterRetention runs retention over the feed and resumes it: a
// consumer whose last seq is still kept reads on as before; one whose last
// seq was deleted past gets 410 with what to do, not a page that silently
// skips events.
func TestFeedAfterRetention(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		before := f.walkFeed(f.keyA, 100)
		if len(before) < 4 {
			t.Fatalf("the fixture's feed has %d events", len(before))
		}
		// Everything is old enough; nothing holds the events back.
		r := &retention.Service{Store: f.s, Policy: retention.Policy{Events: time.Hour}, Batch: 2,
			Now: func() time.Time { return time.Now().Add(100 * 365 * 24 * time.Hour) }}
		p, err := r.RunOnce(context.Background())
		if err != nil || p.Events == 0 {
			t.Fatalf("RunOnce = %+v, %v", p, err)
		}
		last := before[len(before)-1]
		var e apiErr
		f.do("GET", "/api/v1/events?after=0", f.keyA, "", 410, &e)
		if e.Error.Code != "gone" || !strings.Contains(e.Error.Message, "no longer kept") || !strings.Contains(e.Error.Message, "resume from after=") {
			t.Errorf("a feed read from seq 0 after retention = %+v", e)
		}
		// A consumer that had read everything carries on.
		f.do("GET", "/api/v1/events?after="+strconv.FormatInt(last, 10), f.keyA, "", 200, nil)
		f.do("POST", "/api/v1/workspaces", f.keyA, `{"name":"After retention"}`, 201, nil)
		var page struct {
			Items []struct{ Seq int64 }
		}
		f.do("GET", "/api/v1/events?after="+strconv.FormatInt(last, 10), f.keyA, "", 200, &page)
		if len(page.Items) == 0 || page.Items[0].Seq != last+1 {
			t.Errorf("the feed after retention = %+v, want the new workspace's events from seq %d", page.Items, last+1)
		}
	})
}

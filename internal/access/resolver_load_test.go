package access_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

// slowSnapshots is a real store whose snapshot reads wait for release and
// are counted, so the test can hang up on a load in progress.
type slowSnapshots struct {
	store.Store
	release chan struct{}
	loads   atomic.Int32
}

func (s *slowSnapshots) AccessSnapshot(ctx context.Context, orgID string) (store.AccessSnapshot, error) {
	s.loads.Add(1)
	select {
	case <-s.release:
	case <-ctx.Done():
		return store.AccessSnapshot{}, ctx.Err()
	}
	return s.Store.AccessSnapshot(ctx, orgID)
}

// A client that gives up while the organization loads does not throw the
// load away: the next request finds it done instead of starting over.
func TestLoadOutlivesTheRequestThatStartedIt(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			w := newWorld(t, e.open(t, time.Now), store.PlanEnterprise, store.GroupRemovalRevoke)
			ws, _, err := w.svc.CreateWorkspace(context.Background(), ownerActor, w.org.ID, "Design", "")
			if err != nil {
				t.Fatal(err)
			}
			u := w.user("ana").ID
			slow := &slowSnapshots{Store: w.s, release: make(chan struct{})}
			res := &access.Resolver{Store: slow}

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err = res.Check(ctx, w.org.ID, u, store.ResourceWorkspace, ws.ID, store.RoleViewer)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("check while loading, client gone: err %v, want the client's deadline", err)
			}
			close(slow.release)
			d, err := res.Check(context.Background(), w.org.ID, u, store.ResourceWorkspace, ws.ID, store.RoleViewer)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				t.Errorf("ana has no grant on Design but was allowed")
			}
			if n := slow.loads.Load(); n != 1 {
				t.Errorf("the organization was loaded %d times, want once: the abandoned load was thrown away", n)
			}
		})
	}
}

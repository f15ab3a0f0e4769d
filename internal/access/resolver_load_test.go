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

// newerInstance is a real store whose log, after the first snapshot, holds
// an event type this version does not know — what an instance sees while
// a newer one writes during a rolling upgrade — so catching up needs a
// rebuild, and whose later snapshots wait for release.
type newerInstance struct {
	store.Store
	release   chan struct{}
	snapshots atomic.Int32
	unknownAt atomic.Int64 // the seq shown with an unknown type; 0: none
}

func (s *newerInstance) AccessSnapshot(ctx context.Context, orgID string) (store.AccessSnapshot, error) {
	if s.snapshots.Add(1) > 1 {
		select {
		case <-s.release:
		case <-ctx.Done():
			return store.AccessSnapshot{}, ctx.Err()
		}
	}
	return s.Store.AccessSnapshot(ctx, orgID)
}

func (s *newerInstance) ListEvents(ctx context.Context, orgID string, after int64, limit int) ([]store.Event, error) {
	evs, err := s.Store.ListEvents(ctx, orgID, after, limit)
	for i := range evs {
		if evs[i].Seq == s.unknownAt.Load() {
			evs[i].Type = "rollout.newer_event"
		}
	}
	return evs, err
}

// A poll that finds the index must be rebuilt does not make its request
// wait for the rebuild (seconds at 100,000 users): the request is answered
// from the index as it is, and the rebuild's result is seen once it ends.
func TestPollRebuildsWithoutHoldingTheRequest(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, e.open(t, time.Now), store.PlanEnterprise, store.GroupRemovalRevoke)
			ana := w.user("ana")
			g := w.group("G", ana.ID)
			ws, _, _ := w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "W", "")
			w.svc.PutGrant(ctx, ownerActor, w.org.ID, store.ResourceWorkspace, ws.ID, g.ID, store.RoleEditor)
			newer := &newerInstance{Store: w.s, release: make(chan struct{})}
			var now atomic.Int64
			now.Store(time.Now().UnixNano())
			res := &access.Resolver{Store: newer, PollInterval: 100 * time.Millisecond, Now: func() time.Time { return time.Unix(0, now.Load()) }}
			level := func() (access.Level, error) {
				return res.Level(ctx, w.org.ID, ana.ID, store.ResourceWorkspace, ws.ID)
			}
			if lv, err := level(); err != nil || lv != access.LevelEditor {
				t.Fatalf("level = %v, %v; want editor", lv, err)
			}

			// Another instance deactivates ana, and the index cannot apply
			// the event it sees.
			seq, _ := w.s.EventSeq(ctx, w.org.ID)
			newer.unknownAt.Store(seq + 1)
			cur, _ := w.s.GetUser(ctx, w.org.ID, ana.ID)
			cur.Active = false
			if _, err := w.s.ReplaceUser(ctx, scimActor, cur, 0); err != nil {
				t.Fatal(err)
			}
			now.Add(int64(150 * time.Millisecond))

			answered := make(chan access.Level, 1)
			go func() {
				lv, err := level()
				if err != nil {
					t.Error(err)
				}
				answered <- lv
			}()
			select {
			case lv := <-answered:
				if lv != access.LevelEditor {
					t.Errorf("while the rebuild runs level = %v; want the index as it was (editor)", lv)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the polling request waited for the rebuild")
			}
			close(newer.release)
			deadline := time.Now().Add(5 * time.Second)
			for {
				lv, err := level()
				if err != nil {
					t.Fatal(err)
				}
				if lv == access.LevelNone {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("5 s after the rebuild was released ana's level is %v; the deactivation should show", lv)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if n := newer.snapshots.Load(); n != 2 {
				t.Errorf("%d snapshots read, want 2: the first load and one rebuild", n)
			}
		})
	}
}

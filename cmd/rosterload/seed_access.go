package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/token"
)

// runSeedAccess writes the access benchmark's organization straight
// through the store (the same calls SCIM and the API make, events
// included) and writes a seed file for the access scenario.
func runSeedAccess(ctx context.Context, o *options, args []string) error {
	fs := flag.NewFlagSet("seed-access", flag.ContinueOnError)
	database := fs.String("database", "sqlite:roster-data/roster.db", `database: "sqlite:PATH" or "postgres://…"`)
	out := fs.String("out", "access-seed.json", "seed file to write")
	users := fs.Int("users", 100_000, "users (at most 1,000,000)")
	groups := fs.Int("groups", 1_000, "groups")
	workspaces := fs.Int("workspaces", 1_000, "workspaces")
	folders := fs.Int("folders", 10_000, "folders in all, home folders included")
	perUser := fs.Int("groups-per-user", 5, "groups each user is in, on average")
	workers := fs.Int("workers", 4, "concurrent writers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *users <= 0 || *users > 1_000_000 || *groups <= 0 || *workspaces <= 0 || *folders < *workspaces || *perUser > *groups {
		return errors.New("need 0 < users ≤ 1,000,000, groups > 0, workspaces > 0, folders ≥ workspaces, groups-per-user ≤ groups")
	}
	s, err := openStore(ctx, *database)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	actor := store.Actor{Kind: "cli", Name: "rosterload seed-access"}
	org, err := (&access.Service{Store: s}).CreateOrg(ctx, actor, "Load test", store.PlanEnterprise)
	if err != nil {
		return err
	}
	key, _, err := (&token.Service{Store: s}).Create(ctx, actor, org.ID, store.TokenAPI, "rosterload")
	if err != nil {
		return err
	}
	sf := seedFile{OrgID: org.ID, APIKey: key}
	rnd := rand.New(rand.NewPCG(42, 42))
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i], _ = access.NewID()
		}
		return out
	}
	userIDs := ids(*users)
	// Users, written by several workers.
	if err := parallel(*workers, len(userIDs), func(i int) error {
		_, err := s.CreateUser(ctx, actor, store.User{OrgID: org.ID, ID: userIDs[i], UserName: fmt.Sprintf("user%06d@load.test", i),
			Active: i%50 != 0, Attributes: json.RawMessage(`{}`)}) // 2% deactivated
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d users in %s\n", len(userIDs), time.Since(start).Round(time.Millisecond))
	// Group memberships: each user in perUser random groups.
	members := make([][]string, *groups)
	counts := make([]int, len(userIDs))
	for i, u := range userIDs {
		for _, g := range rnd.Perm(*groups)[:*perUser] {
			members[g] = append(members[g], u)
		}
		counts[i] = *perUser
	}
	groupIDs := ids(*groups)
	if err := parallel(*workers, len(groupIDs), func(i int) error {
		_, err := s.CreateGroup(ctx, actor, store.Group{OrgID: org.ID, ID: groupIDs[i], DisplayName: fmt.Sprintf("group %04d", i)}, members[i])
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d groups in %s\n", len(groupIDs), time.Since(start).Round(time.Millisecond))
	svc := &access.Service{Store: s}
	perWS := *folders / *workspaces
	var mu sync.Mutex
	if err := parallel(*workers, *workspaces, func(i int) error {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		ws, home, err := svc.CreateWorkspace(ctx, actor, org.ID, fmt.Sprintf("workspace %04d", i), "")
		if err != nil {
			return err
		}
		fids := []string{home.ID}
		for j := 1; j < perWS; j++ {
			ta := store.TeamAccessWorkspace
			if j%3 == 0 {
				ta = store.TeamAccessInviteOnly
			}
			f, err := svc.CreateFolder(ctx, actor, org.ID, ws.ID, fmt.Sprintf("folder %d", j), ta)
			if err != nil {
				return err
			}
			fids = append(fids, f.ID)
			if ta == store.TeamAccessInviteOnly {
				if _, _, err := svc.PutGrant(ctx, actor, org.ID, store.ResourceFolder, f.ID, groupIDs[r.IntN(len(groupIDs))], store.RoleViewer); err != nil {
					return err
				}
			}
		}
		for k := 0; k < 2; k++ {
			role := []store.Role{store.RoleEditor, store.RoleChecker, store.RoleViewer}[r.IntN(3)]
			if _, _, err := svc.PutGrant(ctx, actor, org.ID, store.ResourceWorkspace, ws.ID, groupIDs[r.IntN(len(groupIDs))], role); err != nil {
				return err
			}
		}
		for k := 0; k < 10; k++ { // invited members
			if _, err := svc.PutMember(ctx, actor, store.ResourceMember{OrgID: org.ID, ResourceType: store.ResourceFolder,
				ResourceID: fids[r.IntN(len(fids))], UserID: userIDs[r.IntN(len(userIDs))], Role: store.RoleChecker}); err != nil {
				return err
			}
		}
		mu.Lock()
		sf.Workspaces = append(sf.Workspaces, ws.ID)
		sf.Folders = append(sf.Folders, fids...)
		mu.Unlock()
		return nil
	}); err != nil {
		return err
	}
	sf.Users, sf.Groups = userIDs, counts
	b, err := json.Marshal(sf)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, b, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(o.out, "seeded organization %s: %d users, %d groups, %d workspaces, %d folders in %s\nseed file %s (it holds the API key)\n",
		org.ID, len(userIDs), len(groupIDs), len(sf.Workspaces), len(sf.Folders), time.Since(start).Round(time.Second), *out)
	return nil
}

// parallel runs fn(0..n-1) on workers goroutines, stopping at the first
// error.
func parallel(workers, n int, fn func(i int) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil
	}
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n && !failed(); i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

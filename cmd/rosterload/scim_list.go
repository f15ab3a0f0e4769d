package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
	"github.com/rosterhq/roster/internal/token"
)

// openStore opens the database a seeding scenario writes to.
func openStore(ctx context.Context, database string) (*sqlstore.DB, error) {
	switch {
	case strings.HasPrefix(database, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(database, "sqlite:"), sqlite.Options{})
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		return postgres.Open(ctx, database, postgres.Options{})
	}
	return nil, fmt.Errorf(`-database %q: use "sqlite:PATH" or a postgres:// URL`, database)
}

// runSeedSCIM writes a directory as scim-users would, straight through the
// store (the calls a SCIM create makes, events included, without HTTP), so
// a directory of a million users takes minutes instead of hours. It prints
// the organization and a SCIM token for the list scenarios.
func runSeedSCIM(ctx context.Context, o *options, args []string) error {
	fs := flag.NewFlagSet("seed-scim", flag.ContinueOnError)
	database := fs.String("database", "sqlite:roster-data/roster.db", `database: "sqlite:PATH" or "postgres://…"`)
	users := fs.Int("users", 1_000_000, "users (at most 10,000,000)")
	prefix := fs.String("prefix", "load", "userName prefix; users are <prefix><n>@example.com, as scim-users makes them")
	workers := fs.Int("workers", 8, "concurrent writers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *users <= 0 || *users > 10_000_000 || *workers <= 0 {
		return errors.New("need 0 < users ≤ 10,000,000 and workers > 0")
	}
	s, err := openStore(ctx, *database)
	if err != nil {
		return err
	}
	defer s.Close()
	actor := store.Actor{Kind: "cli", Name: "rosterload seed-scim"}
	org, err := (&access.Service{Store: s}).CreateOrg(ctx, actor, "SCIM load test", store.PlanEnterprise)
	if err != nil {
		return err
	}
	tok, _, err := (&token.Service{Store: s}).Create(ctx, actor, org.ID, store.TokenSCIM, "rosterload")
	if err != nil {
		return err
	}
	start := time.Now()
	err = parallel(*workers, *users, func(i int) error {
		id, err := access.NewID()
		if err != nil {
			return err
		}
		_, err = s.CreateUser(ctx, actor, scimUser(org.ID, id, *prefix, i))
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.out, "%d users in %s\norganization %s\nscim token %s\n", *users, time.Since(start).Round(time.Millisecond), org.ID, tok)
	return nil
}

// scimUser is the record a SCIM create of scim-users' body stores: the
// columns, the document, and one indexed value per leaf. Every 50th user
// is inactive, as deprovisioned users are.
func scimUser(orgID, id, prefix string, i int) store.User {
	const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	userName := fmt.Sprintf("%s%d@example.com", prefix, i)
	active := i%50 != 0
	doc := map[string]any{
		"userName": userName, "externalId": fmt.Sprintf("ext-%s-%d", prefix, i), "active": active,
		"displayName": fmt.Sprintf("Load User %d", i),
		"name":        map[string]any{"givenName": "Load", "familyName": fmt.Sprintf("User %d", i)},
		"emails":      []any{map[string]any{"primary": true, "type": "work", "value": userName}},
		enterprise:    map[string]any{"department": fmt.Sprintf("Dept %d", i%50), "employeeNumber": fmt.Sprint(i)},
	}
	b, _ := json.Marshal(doc) // maps of strings and bools always encode
	ext := strings.ToLower(enterprise) + ":"
	return store.User{OrgID: orgID, ID: id, UserName: userName, ExternalID: doc["externalId"].(string),
		DisplayName: doc["displayName"].(string), Active: active, Attributes: b,
		Values: []store.Value{
			{Attr: "emails", Sub: "primary", Str: "true"},
			{Attr: "emails", Sub: "type", Str: "work"},
			{Attr: "emails", Sub: "value", Str: userName},
			{Attr: "name", Sub: "familyname", Str: fmt.Sprintf("User %d", i)},
			{Attr: "name", Sub: "givenname", Str: "Load"},
			{Attr: ext + "department", Str: fmt.Sprintf("Dept %d", i%50)},
			{Attr: ext + "employeenumber", Str: fmt.Sprint(i)},
		}}
}

// runSCIMList lists users with the query given, or, with -cursor, reads
// cursor pages at random places in the directory.
func runSCIMList(ctx context.Context, o *options, args []string) error {
	var query string
	var cursor bool
	var walk int
	if err := scimFlags(o, "scim-list", args, func(f *flagSet) {
		f.StringVar(&query, "query", "count=100", `query string of GET /Users, e.g. "count=0", "startIndex=900000&count=100", "filter=active eq false"`)
		f.BoolVar(&cursor, "cursor", false, "read cursor pages (count=100) at random places: first walk the directory once to collect cursors")
		f.IntVar(&walk, "walk", 1000, "page size of the walk that collects cursors; the directory must have more users")
	}); err != nil {
		return err
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return fmt.Errorf("-query %q: %w", query, err)
	}
	var cursors []string
	if cursor {
		if cursors, err = walkCursors(ctx, o, walk); err != nil {
			return err
		}
		q.Set("count", "100")
	}
	name := "scim-list " + q.Encode()
	if cursor {
		name = fmt.Sprintf("scim-list cursor pages (%d places)", len(cursors))
	}
	return load(ctx, o, name, func(ctx context.Context, c *http.Client, i int) (int, error) {
		p := q
		if cursor {
			p = url.Values{}
			for k, v := range q {
				p[k] = v
			}
			p.Set("cursor", cursors[rand.IntN(len(cursors))])
		}
		code, _, err := send(ctx, c, o, "GET", "/Users?"+p.Encode(), "")
		return code, err
	})
}

// walkCursors follows nextCursor through every user, size at a time, and
// returns the cursors met.
func walkCursors(ctx context.Context, o *options, size int) ([]string, error) {
	client := &http.Client{Timeout: time.Minute}
	var out []string
	next := ""
	for {
		q := url.Values{"count": {fmt.Sprint(size)}, "cursor": {next}, "attributes": {"id"}}
		req, _ := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(o.URL, "/")+"/scim/v2/Users?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+o.Token)
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			NextCursor string
			Detail     string
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("walk users: %d %s %v", res.StatusCode, page.Detail, err)
		}
		if page.NextCursor == "" {
			if len(out) == 0 {
				return nil, fmt.Errorf("walk users: %d users or fewer, no cursor to page from: lower -walk", size)
			}
			return out, nil
		}
		out = append(out, page.NextCursor)
		next = page.NextCursor
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	scimUserURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimGroupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	scimPatchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// scimScenarios are the SCIM traffic shapes identity providers send.
func scimScenarios() []scenario {
	return []scenario{
		{"scim-users", "initial sync: POST /Users with unique users (Okta and Entra create users one by one)", runSCIMUsers},
		{"scim-groups", "POST /Groups, then put every user in one big group with 1,000-member PATCHes", runSCIMGroups},
		{"scim-lookup", "GET /Users?filter=userName eq \"…\" for random existing users (the match step of every sync)", runSCIMLookup},
		{"scim-sync", "a sync cycle: look up a random user, and for a share of them (-changes) PATCH what changed", runSCIMSync},
		{"scim-members", "PATCH /Groups/{id} adding and removing members, -per members per request, random groups", runSCIMMembers},
		{"scim-add", "PATCH adding one member at a time to the group named by -group (size-independence check)", runSCIMAdd},
		{"scim-list", "GET /Users with the -query given (count=100, count=0, startIndex, filter), or cursor pages at random places (-cursor)", runSCIMList},
		{"scim-list-groups", "GET /Groups?excludedAttributes=members&count=100 (Entra's group listing)", runSCIMListGroups},
		{"scim-get-group", "GET /Groups/{id} of the group named by -group, members streamed", runSCIMGetGroup},
	}
}

// send makes one SCIM request and drains the answer.
func send(ctx context.Context, client *http.Client, o *options, method, path, body string) (int, int64, error) {
	code, n, _, err := exchange(ctx, client, o, method, path, body, false)
	return code, n, err
}

// exchange makes one SCIM request; it returns the answer's body when keep
// is set, and otherwise drains it.
func exchange(ctx context.Context, client *http.Client, o *options, method, path, body string, keep bool) (int, int64, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(o.URL, "/")+"/scim/v2"+path, rd)
	if err != nil {
		return 0, 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+o.Token)
	req.Header.Set("Accept", "application/scim+json")
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, 0, nil, err
	}
	defer res.Body.Close()
	if keep {
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, int64(len(b)), b, err
	}
	n, _ := io.Copy(io.Discard, res.Body)
	return res.StatusCode, n, nil, nil
}

// ids reads every id of a resource type with cursor paging, so the
// scenarios can target existing resources.
func ids(ctx context.Context, o *options, resource, filter string) ([]string, error) {
	client := &http.Client{Timeout: time.Minute}
	var out []string
	cursor := ""
	for {
		q := url.Values{"count": {"1000"}, "cursor": {cursor}, "attributes": {"id"}}
		if filter != "" {
			q.Set("filter", filter)
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(o.URL, "/")+"/scim/v2/"+resource+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+o.Token)
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Resources  []struct{ ID string }
			NextCursor string
			Detail     string
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			return nil, fmt.Errorf("list %s: %d %s %v", resource, res.StatusCode, page.Detail, err)
		}
		for _, r := range page.Resources {
			out = append(out, r.ID)
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

func scimFlags(o *options, name string, args []string, extra func(*flagSet)) error {
	fs := o.flags(name)
	if extra != nil {
		extra(&flagSet{fs})
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Token == "" {
		return fmt.Errorf("-token is required: a SCIM token from \"roster token create\"")
	}
	return o.bounds()
}

func runSCIMUsers(ctx context.Context, o *options, args []string) error {
	var prefix string
	if err := scimFlags(o, "scim-users", args, func(f *flagSet) {
		f.StringVar(&prefix, "prefix", "load", "userName prefix; users are <prefix><n>@example.com")
	}); err != nil {
		return err
	}
	return load(ctx, o, "scim-users", func(ctx context.Context, c *http.Client, i int) (int, error) {
		code, _, err := send(ctx, c, o, "POST", "/Users", scimUserBody(prefix, i, true))
		return code, err
	})
}

// scimUserBody is the n-th user of an initial sync, as Okta sends it.
func scimUserBody(prefix string, i int, active bool) string {
	return fmt.Sprintf(`{"schemas":["%s","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"ext-%s-%d","userName":"%s%d@example.com",`+
		`"active":%t,"displayName":"Load User %d","name":{"givenName":"Load","familyName":"User %d"},`+
		`"emails":[{"primary":true,"type":"work","value":"%s%d@example.com"}],`+
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Dept %d","employeeNumber":"%d"}}`,
		scimUserURN, prefix, i, prefix, i, active, i, i, prefix, i, i%50, i)
}

func runSCIMGroups(ctx context.Context, o *options, args []string) error {
	var n int
	var big string
	if err := scimFlags(o, "scim-groups", args, func(f *flagSet) {
		f.IntVar(&n, "groups", 1000, "groups to create")
		f.StringVar(&big, "big", "Everyone", "displayName of a group that gets every user (\"\" for none)")
	}); err != nil {
		return err
	}
	o.Requests = n
	if err := load(ctx, o, "scim-groups (create)", func(ctx context.Context, c *http.Client, i int) (int, error) {
		code, _, err := send(ctx, c, o, "POST", "/Groups", fmt.Sprintf(`{"schemas":["%s"],"displayName":"Load Group %04d","externalId":"g-%d","members":[]}`, scimGroupURN, i, i))
		return code, err
	}); err != nil || big == "" {
		return err
	}
	users, err := ids(ctx, o, "Users", "")
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Minute}
	code, _, err := send(ctx, client, o, "POST", "/Groups", fmt.Sprintf(`{"schemas":["%s"],"displayName":%q}`, scimGroupURN, big))
	// 409: a run before made it (group names are unique); fill that one.
	if err != nil || code != 201 && code != 409 {
		return fmt.Errorf("create %q: %d %v", big, code, err)
	}
	gs, err := ids(ctx, o, "Groups", fmt.Sprintf("displayName eq %q", big))
	if err != nil || len(gs) == 0 {
		return fmt.Errorf("find %q: %v", big, err)
	}
	start := time.Now()
	for i := 0; i < len(users); i += 1000 {
		var vals []string
		for _, u := range users[i:min(i+1000, len(users))] {
			vals = append(vals, fmt.Sprintf(`{"value":%q}`, u))
		}
		code, _, err := send(ctx, client, o, "PATCH", "/Groups/"+gs[0], fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"add","path":"members","value":[%s]}]}`, scimPatchURN, strings.Join(vals, ",")))
		if err != nil || code != 204 {
			return fmt.Errorf("fill %q: %d %v", big, code, err)
		}
	}
	fmt.Fprintf(o.out, "group %q (%s) now has %d members, filled in %s\n", big, gs[0], len(users), time.Since(start).Round(time.Millisecond))
	return nil
}

func runSCIMLookup(ctx context.Context, o *options, args []string) error {
	var prefix string
	var users int
	if err := scimFlags(o, "scim-lookup", args, func(f *flagSet) {
		f.StringVar(&prefix, "prefix", "load", "userName prefix used by scim-users")
		f.IntVar(&users, "users", 100000, "how many users scim-users created")
	}); err != nil {
		return err
	}
	return load(ctx, o, "scim-lookup", func(ctx context.Context, c *http.Client, i int) (int, error) {
		// Mixed case: userName matching ignores case (RFC 7643 §4.1.1).
		f := url.QueryEscape(fmt.Sprintf(`userName eq "%s%d@EXAMPLE.com"`, prefix, rand.IntN(users)))
		code, _, err := send(ctx, c, o, "GET", "/Users?filter="+f, "")
		return code, err
	})
}

func runSCIMSync(ctx context.Context, o *options, args []string) error {
	var prefix string
	var users int
	var changes float64
	if err := scimFlags(o, "scim-sync", args, func(f *flagSet) {
		f.StringVar(&prefix, "prefix", "load", "userName prefix used by scim-users")
		f.IntVar(&users, "users", 100000, "how many users scim-users created")
		f.Float64Var(&changes, "changes", 0.1, "share of the users looked up that changed and are PATCHed")
	}); err != nil {
		return err
	}
	if changes < 0 || changes > 1 {
		return fmt.Errorf("-changes must be between 0 and 1, not %g", changes)
	}
	return load(ctx, o, "scim-sync", func(ctx context.Context, c *http.Client, i int) (int, error) {
		n := rand.IntN(users)
		f := url.QueryEscape(fmt.Sprintf(`userName eq "%s%d@example.com"`, prefix, n))
		change := rand.Float64() < changes
		code, _, body, err := exchange(ctx, c, o, "GET", "/Users?filter="+f, "", change)
		if err != nil || code != http.StatusOK || !change {
			return code, err
		}
		var list struct {
			Resources []struct {
				ID string `json:"id"`
			}
		}
		if err := json.Unmarshal(body, &list); err != nil || len(list.Resources) != 1 {
			return code, fmt.Errorf("lookup of %s%d: no single user in the answer", prefix, n)
		}
		patch := fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"replace","path":"displayName","value":"Load User %d (%d)"}]}`, scimPatchURN, n, i)
		code, _, err = send(ctx, c, o, "PATCH", "/Users/"+list.Resources[0].ID, patch)
		return code, err
	})
}

func runSCIMMembers(ctx context.Context, o *options, args []string) error {
	var per int
	if err := scimFlags(o, "scim-members", args, func(f *flagSet) {
		f.IntVar(&per, "per", 5, "members per PATCH")
	}); err != nil {
		return err
	}
	users, err := ids(ctx, o, "Users", "")
	if err != nil {
		return err
	}
	groups, err := ids(ctx, o, "Groups", `displayName sw "Load Group"`)
	if err != nil || len(groups) == 0 || len(users) < per {
		return fmt.Errorf("seed users and groups first (scim-users, scim-groups): %v", err)
	}
	return load(ctx, o, fmt.Sprintf("scim-members (%d per PATCH, add or remove)", per), func(ctx context.Context, c *http.Client, i int) (int, error) {
		op := "add"
		if i%2 == 1 {
			op = "remove"
		}
		var ops []string
		start := rand.IntN(len(users))
		for k := 0; k < per; k++ {
			u := users[(start+k)%len(users)]
			if op == "add" {
				ops = append(ops, fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":%q}]}`, u))
			} else {
				ops = append(ops, fmt.Sprintf(`{"op":"remove","path":"members[value eq \"%s\"]"}`, u))
			}
		}
		code, _, err := send(ctx, c, o, "PATCH", "/Groups/"+groups[rand.IntN(len(groups))],
			fmt.Sprintf(`{"schemas":["%s"],"Operations":[%s]}`, scimPatchURN, strings.Join(ops, ",")))
		return code, err
	})
}

func runSCIMAdd(ctx context.Context, o *options, args []string) error {
	var group string
	if err := scimFlags(o, "scim-add", args, func(f *flagSet) {
		f.StringVar(&group, "group", "", "id of the group to add members to (required)")
	}); err != nil {
		return err
	}
	if group == "" {
		return fmt.Errorf("-group is required")
	}
	users, err := ids(ctx, o, "Users", "")
	if err != nil {
		return err
	}
	return load(ctx, o, "scim-add (one member per PATCH, group "+group+")", func(ctx context.Context, c *http.Client, i int) (int, error) {
		code, _, err := send(ctx, c, o, "PATCH", "/Groups/"+group, fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`,
			scimPatchURN, users[rand.IntN(len(users))]))
		return code, err
	})
}

func runSCIMListGroups(ctx context.Context, o *options, args []string) error {
	if err := scimFlags(o, "scim-list-groups", args, nil); err != nil {
		return err
	}
	return load(ctx, o, "scim-list-groups", func(ctx context.Context, c *http.Client, i int) (int, error) {
		code, _, err := send(ctx, c, o, "GET", fmt.Sprintf("/Groups?excludedAttributes=members&startIndex=%d&count=100", 1+rand.IntN(900)), "")
		return code, err
	})
}

func runSCIMGetGroup(ctx context.Context, o *options, args []string) error {
	var group string
	if err := scimFlags(o, "scim-get-group", args, func(f *flagSet) {
		f.StringVar(&group, "group", "", "id of the group to read (required)")
	}); err != nil {
		return err
	}
	if group == "" {
		return fmt.Errorf("-group is required")
	}
	var bytes int64
	err := load(ctx, o, "scim-get-group "+group, func(ctx context.Context, c *http.Client, i int) (int, error) {
		code, n, err := send(ctx, c, o, "GET", "/Groups/"+group, "")
		if i == 0 {
			bytes = n
		}
		return code, err
	})
	fmt.Fprintf(o.out, "response size %d bytes\n", bytes)
	return err
}

package filter_test

import (
	"errors"
	"fmt"

	"github.com/rosterhq/roster/internal/scim/filter"
)

func ExampleParse() {
	e, err := filter.Parse(`userType EQ "Employee" and (emails co "example.com" or emails.value co "example.org")`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e)
	// Output: userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")
}

func ExampleParse_entra() {
	e, _ := filter.Parse(`emails[type eq "work"].value eq "bjensen@example.com"`)
	fmt.Println(e)
	// Output: emails[type eq "work" and value eq "bjensen@example.com"]
}

func ExampleParse_error() {
	_, err := filter.Parse(`userName eq`)
	var fe *filter.Error
	if errors.As(err, &fe) {
		fmt.Println(fe.Pos)
		fmt.Println(err)
	}
	// Output:
	// 11
	// invalid filter at position 12 ("eq" needs a value): userName eq
}

func ExampleParsePath() {
	p, _ := filter.ParsePath(`emails[type eq "work"].value`)
	fmt.Printf("%s | %s | %s\n", p.Attr, p.Filter, p.Sub)
	p, _ = filter.ParsePath(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`)
	fmt.Printf("%s | %s | %s\n", p.Attr.URN, p.Attr.Name, p.Attr.Sub)
	// Output:
	// emails | type eq "work" | value
	// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User | manager | value
}

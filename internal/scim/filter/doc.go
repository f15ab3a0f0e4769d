// Package filter parses and evaluates SCIM 2.0 filter expressions
// (RFC 7644 §3.4.2.2) and PATCH operation paths (RFC 7644 §3.5.2).
//
// # Filter grammar
//
// Parse accepts the ABNF of RFC 7644 Figure 1, with errata 4690/7322
// applied to value filters:
//
//	FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
//	valuePath = attrPath "[" valFilter "]"
//	valFilter = attrExp / valLogExp / *1"not" "(" valFilter ")"
//	attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//	logExp    = FILTER SP ("and" / "or") SP FILTER
//	compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le"
//	compValue = false / null / true / number / string   ; JSON literals
//	attrPath  = [URI ":"] ATTRNAME *1subAttr
//	ATTRNAME  = (ALPHA / "$") *(ALPHA / DIGIT / "-" / "_" / "$")
//	subAttr   = "." ATTRNAME
//
// Precedence is not > and > or, and and/or are left-associative, so
// "a eq 1 or b eq 2 and c eq 3" means "a eq 1 or (b eq 2 and c eq 3)".
// Operators, the keywords and/or/not and the literals true/false/null are
// matched case-insensitively ("userName EQ TRUE" is accepted); "not" must be
// followed by a parenthesised expression. Whitespace between tokens may be
// any run of spaces, tabs, CR or LF, and may be omitted where the tokens are
// self-delimiting ("not(a pr)", `a eq"x"`). Strings are JSON strings: all
// JSON escapes including \uXXXX surrogate pairs are decoded, and raw control
// characters, invalid escapes, unpaired surrogates and invalid UTF-8 are
// rejected. Numbers follow the JSON number grammar and keep their literal
// text.
//
// An attribute path that starts with "urn:" (any case) carries a schema URN:
// the URN is everything up to the last ':' before the attribute name, so in
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
// the URN is "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
// the name "manager" and the sub-attribute "value"; dots inside the URN
// ("2.0") do not start a sub-attribute. A path that is only a schema URN,
// such as the PATCH path
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", parses as
// URN "urn:ietf:params:scim:schemas:extension:enterprise:2.0" with name
// "User"; recognising that the path names a whole extension is left to the
// schema layer.
//
// Inside brackets, attribute paths are relative to one element of the
// multi-valued attribute: they must be a bare name (no URN, no
// sub-attribute), and brackets cannot nest.
//
// # Microsoft Entra extension
//
// Entra ID sends filters such as `emails[type eq "work"].value eq "x"`,
// which RFC 7644 allows only in PATCH paths. Parse accepts a sub-attribute
// after "]" followed by a comparison or "pr" and rewrites it to the
// equivalent value filter: ValuePath{emails, And{type eq "work", value eq
// "x"}}. Both conditions therefore apply to the same element. The canonical
// form printed by String is the bracketed one.
//
// # Limits
//
// To bound the work done on hostile input, a filter or path longer than
// MaxLen bytes, nesting parentheses and brackets deeper than MaxDepth, or
// containing more than MaxNodes expression nodes is rejected with *Error.
//
// # Evaluation semantics
//
// Check validates an expression against a schema supplied through Resolver,
// and Match evaluates it against a decoded JSON resource. Both Match and any
// other evaluator of these trees (such as a SQL compiler) must agree on the
// following choices:
//
//   - Multi-valued attributes: a comparison on a multi-valued attribute or
//     on a sub-attribute of one ("emails.value co x") is true when ANY
//     element satisfies it. A value filter ("emails[type eq x and value co
//     y]") is true when ONE element satisfies the whole bracketed filter.
//   - ne is exactly "not eq": "a ne v" is true when no value of a equals v,
//     which includes a being absent or null. For a multi-valued attribute
//     it is true only when no element equals v.
//   - null: "a eq null" means a is not present and "a ne null" means a is
//     present, in the sense of pr. null is rejected with any other operator.
//   - pr: a value is present when it is not null, not the empty string, not
//     an empty array and not an object or array whose members are all
//     absent.
//   - Case: for string and reference attributes with caseExact false, both
//     sides are folded with strings.ToLower (simple Unicode lower-casing, no
//     normalisation) before eq, co, sw, ew, gt, ge, lt and le; ordering is
//     then by Unicode code point. binary attributes always compare exactly.
//   - Numbers compare numerically: an integer that fits in int64 compares
//     exactly, also against a fractional value; anything else compares as
//     float64. dateTime values compare as
//     instants, parsed as RFC 3339 / xsd:dateTime; a dateTime without a
//     zone offset is taken as UTC. Booleans support only eq and ne.
//   - Shorthand: RFC 7644 itself uses `emails co "example.com"` on the
//     complex attribute emails. A comparison other than pr or null on a
//     multi-valued complex attribute without a sub-attribute is treated as
//     a comparison on its "value" sub-attribute when the schema has one;
//     other complex attributes must be compared through a sub-attribute.
//   - Values in the resource of the wrong JSON type for the attribute never
//     match (and make ne true); they are not errors.
package filter

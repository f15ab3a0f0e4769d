// Package patch implements SCIM 2.0 PATCH (RFC 7644 §3.5.2) for Users and
// Groups, including the non-standard requests Okta and Microsoft Entra ID
// are known to send.
//
// Decode parses and checks a PatchOp request body. Apply applies the
// operations to a User (or any resource small enough to hold in memory)
// atomically, returning a new resource that has been re-validated through
// the schema package. PlanGroup turns operations on a Group into a
// GroupPlan (name, externalId and a member delta) without the member list,
// which the store keeps as rows.
//
// # Semantics
//
// Operations apply in order, each to the result of the previous one; the
// first error aborts the request and nothing is changed (RFC 7644 §3.5.2:
// PATCH is atomic). Paths are parsed by filter.ParsePath and resolved by
// schema.ResourceType.Lookup: names and URNs are case-insensitive, core
// attributes may carry the core URN, extension attributes carry their
// extension URN, and a path that is only an extension URN addresses the
// whole extension object (its value is an object of the extension's
// attributes; remove unassigns the extension). Values are validated and
// normalized by schema.Attribute.Coerce, so PATCH accepts exactly what POST
// and PUT accept (booleans sent as "True"/"False" included).
//
// add (§3.5.2.1):
//
//   - without path: the value is an object; each member is added as if it
//     were the path;
//   - single-valued attribute: the value is set (replacing any value);
//   - complex attribute: the given sub-attributes are set, others kept;
//   - multi-valued attribute: the values are appended, except values equal
//     to one already present (after normalization, with the same
//     sub-attributes, ignoring case where they are not caseExact), which
//     change nothing;
//   - attr[filter]: the given sub-attributes are merged into every
//     matching value; attr[filter].sub sets sub in every matching value.
//
// replace (§3.5.2.3):
//
//   - without path: each member of the value object replaces that
//     attribute, as if it were the path;
//   - single-valued attribute: the value is replaced; an unassigned
//     attribute is added;
//   - complex attribute: "a set of sub-attributes SHALL be specified ...
//     which replaces any existing values or adds where an attribute did not
//     previously exist. Sub-attributes that are not specified in the value
//     parameter are left unchanged";
//   - multi-valued attribute without filter: all values are replaced;
//   - attr[filter]: each matching value is replaced as a whole by the
//     value ("all matching record values SHALL be replaced");
//     attr[filter].sub replaces sub in every matching value.
//
// remove (§3.5.2.2): the path is required (noTarget otherwise). A
// single-valued attribute or sub-attribute is unassigned; a multi-valued
// attribute without filter loses all its values; with a filter, the
// matching values are removed, and attr[filter].sub unassigns sub in the
// matching values. A multi-valued attribute left without values is
// unassigned. An attribute whose definition gives an unassigned reading
// (schema.Attribute.Unassigned) is set to it instead: removing "active",
// or replacing it with null, makes it false, since leaving it out would let
// the creation default (true) re-activate the user. A removal never
// grants anything.
//
// Choices where RFC 7644 is silent or loose:
//
//   - A remove whose filter matches nothing, or whose target is already
//     unassigned, succeeds and changes nothing. §3.5.2.2 defines noTarget
//     only for a missing path, and the §3.5.2.3 rule for replace does not
//     apply to remove; being idempotent matters in practice because Okta
//     and Entra ID resend a member removal after a timeout and stop
//     provisioning on errors.
//   - An add or replace whose filter matches nothing is noTarget, except
//     for the Entra ID creation rule below.
//   - attr.sub on a multi-valued attribute without filter (such as
//     "emails.display") addresses sub in every value; add or replace when
//     the attribute has no value is noTarget.
//   - Empty values mean "unassigned" (RFC 7643 §2.5): null, "", [] and {}
//     in a replace unassign the target, and inside a complex value they
//     unassign that sub-attribute. An add of null or "" to a single-valued
//     attribute unassigns it too (add replaces single values), while an add
//     of null or [] to a multi-valued attribute, or of {} to a complex one,
//     changes nothing. Entra ID sends null and "" to clear values.
//   - Setting "primary" to true on one value sets it to false on the other
//     values of the attribute (§3.5.2). An operation that would make several
//     values primary at once is invalidValue (RFC 7643 §2.4).
//   - readOnly attributes and sub-attributes (id, meta, groups,
//     manager.displayName) named by a path are mutability errors. Inside a
//     value object they are ignored, as RFC 7644 §3.5.1 does for PUT, except
//     that an "id" different from the resource's own is a mutability error
//     (Okta puts the id in its pathless replace).
//   - A required attribute or sub-attribute (userName, Group displayName,
//     members.value) cannot be removed or emptied: mutability, as §3.5.2.2
//     requires for removals. An immutable attribute or sub-attribute may be
//     set while unassigned; changing or removing its value is mutability.
//     The values of a multi-valued attribute with immutable sub-attributes
//     (Group members) can still be added, removed and replaced as a list.
//   - "schemas" is maintained by the server: it lists the core schema and
//     each extension that has data. Operations whose path is "schemas" are
//     accepted and change nothing, and "schemas" inside a value is ignored,
//     whether the value is pathless or that of an extension path.
//   - Apply keeps the readOnly attributes of the stored resource (id, meta,
//     groups) and keeps readOnly sub-attributes only while the complex
//     value they belong to is unchanged (a new manager drops the old
//     manager.displayName).
//
// # Errors
//
// Every client error is a *schema.Error whose ScimType follows RFC 7644
// §3.12 and whose Detail names the operation ("operation 2 ("replace"
// "emails[type eq \"work\"].value"): ...") and the problem:
//
//   - invalidSyntax: the body is not a PatchOp message (not JSON, no
//     "schemas" with the PatchOp URN, no "Operations" array, an unknown
//     "op"), or a value object names an attribute the resource type does
//     not have (as POST and PUT bodies do);
//   - invalidPath: the path is malformed (filter.ParsePath failed; this
//     includes syntax errors inside the brackets, since RFC 7644 §3.12 uses
//     invalidPath for a malformed "path"), names an unknown attribute or
//     sub-attribute, or puts a [filter] on an attribute that is not
//     multi-valued and complex;
//   - invalidFilter: the bracketed filter is well-formed but does not fit
//     the attribute (an unknown sub-attribute, a type mismatch:
//     filter.Check failed), or a filter on Group members is not a value eq
//     filter;
//   - invalidValue: a value does not fit its attribute or is past its
//     limit (schema.Attribute.MaxLength, MaxValues; the result of all the
//     operations is checked too), a required value is missing, two values
//     would be primary, "value" is missing from an add or replace, or there
//     are more than MaxOperations operations;
//   - noTarget: a remove without path, an add or replace whose filter
//     matches nothing, or a sub-attribute of a multi-valued attribute that
//     has no values;
//   - mutability: see above.
//
// Apply returns an error of another type only when the stored resource it
// was given does not decode, which is the server's problem (HTTP 500).
//
// # Okta and Microsoft Entra ID
//
// These tolerances are accepted whatever the client; each is scoped so
// that a request a strict client could send keeps its RFC meaning. Sources
// are listed in /work/shared/research/idp-clients.md; the tests cite them.
//
//   - Operation names in any case ("Replace", "Add", "Remove"): Entra ID
//     without the aadOptscim062020 flag (Microsoft, "Known issues and
//     resolutions with SCIM 2.0 protocol compliance").
//   - Booleans as strings ("False", and "true" for
//     emails[type eq "work"].primary): Entra ID (known-issues page;
//     SimpleIdServer #376). Handled by schema.Attribute.Coerce everywhere a
//     value is read.
//   - Pathless add and replace whose value has dotted keys
//     ("name.givenName") and URN-qualified keys
//     ("urn:...:enterprise:2.0:User:employeeNumber"): Entra ID with
//     aadOptscim062020 (known-issues page; SimpleIdServer #494). Each key is
//     resolved like a path (without filters); more specific keys apply after
//     less specific ones.
//   - Okta deactivates with {"op":"replace","value":{"active":false}} and
//     renames groups with {"op":"replace","value":{"id":...,
//     "displayName":...}} (Okta SCIM 2.0 reference): ordinary pathless
//     replaces; the id is checked and ignored.
//   - Entra ID sends null for attributes it has no mapping for; null
//     unassigns (see "Empty values").
//   - Creating a value for a typed path: Entra ID sends Add (and, in its
//     default job, Replace) on emails[type eq "work"].value,
//     emails[type eq "work"].primary, phoneNumbers[type eq "mobile"].value
//     or addresses[type eq "work"].streetAddress for users that have no
//     such value, and expects it to be created (SCIM Validator "Patch User -
//     Add Attributes"; wire-server PR #5419). When an add or replace whose
//     path is attr[type eq "<literal>"].sub matches no value, the value
//     {"type": "<literal>", "sub": value} is appended instead of failing.
//     The rule applies only to a path with a sub-attribute whose filter is
//     exactly one type eq comparison with a non-empty string, on a
//     multi-valued attribute that has a "type" sub-attribute; an empty value
//     creates nothing. Any other filter that matches nothing is still
//     noTarget, as RFC 7644 §3.5.2.3 requires.
//   - manager (Enterprise User, a single-valued complex attribute in RFC
//     7643 §4.3): Entra ID sends it as a bare id string (SCIM-SDK #541,
//     #686) and Microsoft's SCIM tutorial as a one-element array of
//     {"$ref", "value"}; both become {"value": id, ...}. "", null, [], {}
//     and {"value": ""} clear the manager, for add as well as replace. A
//     value with a non-empty "value" replaces the whole manager, so a stale
//     "$ref" of the previous manager never survives; setting
//     manager.value to a different id does the same. Entra ID removes the
//     manager with the path manager[value eq "id"] (scim-patch #453): a
//     filter on manager, and only on manager, selects the single value
//     when it matches and nothing otherwise (so the remove of a manager who
//     has already changed changes nothing). The tutorial's bare path
//     "manager" is resolved too: a bare name that is not a core attribute
//     resolves to the attribute of the one extension that defines it.
//   - Remove with a value: Entra ID removes group members with
//     {"op":"Remove","path":"members","value":[{"value":"id"}]}. Read
//     literally (RFC 7644 §3.5.2.2, remove without filter) that empties the
//     group, which is what azure-docs issue #30826 reports; the request
//     means "remove these members", and that is how it is applied. The rule
//     is general: a remove that carries a value removes only the listed
//     values (for complex values, those whose sub-attributes given in the
//     value are equal), and a remove of a single-valued attribute with a
//     value removes it only when it equals the value. A remove without a
//     value keeps its RFC meaning.
//
// # Groups
//
// PlanGroup supports displayName, externalId and members. Member filters
// can only be value eq "id" comparisons, possibly joined by "or", because
// anything else would have to be evaluated against the stored member list;
// other filters are invalidFilter. Member ids are compared exactly, as the
// store keeps them. Members whose "type" is "Group", or anything but
// "User" (compared ignoring case), are rejected (invalidValue): nested
// groups are not supported, and Entra ID does not provision them either. See GroupPlan for how a sequence of operations
// folds into one change.
package patch

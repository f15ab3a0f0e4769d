// Package schema holds the SCIM 2.0 schemas as data (RFC 7643) and uses them
// to decode and validate request bodies, to shape responses and to produce
// the discovery documents.
//
// # Definitions
//
// User, Group, Schemas and ResourceTypes build the definitions of RFC 7643
// §8.7.1 (core User, Enterprise User extension, core Group) plus the common
// attributes id, externalId and meta of §3.1. Every call builds fresh values,
// so no package state can be changed by a caller; build a ResourceType once
// and share it, as it is safe for concurrent use. Where this package departs
// from the §8.7.1 representation it says so on the definition:
//
//   - Group displayName and members.value are required;
//   - members has a readOnly "display" sub-attribute;
//   - addresses has a "primary" sub-attribute.
//
// The "returned" characteristics are those of §8.7.1: id is "always",
// password "never", everything else, userName included, "default".
// ServerSchemas builds the schemas of the discovery resources themselves
// (§5 to §7, represented in §8.7.2).
//
// # Limits
//
// Every text value a client may write is bounded in bytes
// (Attribute.MaxLength: MaxTextBytes, or MaxDataBytes for photos and
// certificates) and every multi-valued attribute in values
// (Attribute.MaxValues: MaxMultiValues), except Group members, which only
// the request body limit bounds. RFC 7643 has no characteristic for a
// limit, so each attribute's description states it. Text must also be
// valid UTF-8 without NUL. Values past a limit are invalidValue naming the
// attribute; DecodeStored reads what was stored before the limits.
//
// # Requests and responses
//
// ResourceType.Decode turns a POST or PUT body into a Resource: canonical
// names, extension attributes nested under their URN, values normalised,
// readOnly attributes dropped, unknown attributes and wrong types rejected
// with an *Error whose ScimType and Detail go straight into the SCIM error
// response (RFC 7644 §3.12). Attribute.Coerce applies the same value rules
// to single values for the PATCH engine, and ResourceType.Lookup resolves
// attribute paths for it and for filters. ResourceType.Project applies the
// attributes and excludedAttributes parameters and the "returned"
// characteristics to a stored resource.
//
// # Discovery
//
// SchemasList, SchemaByID, ResourceTypesList, ResourceTypeByID and
// ServiceProviderConfig.Document produce the bodies of /Schemas,
// /ResourceTypes and /ServiceProviderConfig (RFC 7643 §5 to §7, with the
// "pagination" attribute of RFC 9865 §4), with absolute meta.location URLs
// built from the base URL the caller passes in.
//
// # Client quirks
//
// Microsoft Entra ID sends boolean attributes as the strings "True" and
// "False" in some requests (notably "active" in PATCH), a deviation covered
// by Microsoft's page "Known issues and resolutions with SCIM 2.0 protocol
// compliance of the Microsoft Entra user provisioning service"
// (https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility)
// and acknowledged by Microsoft in
// https://github.com/AzureAD/SCIMReferenceCode/issues/21, whose reference
// tests POST "active": "True". Coerce therefore accepts the strings "true"
// and "false" in any case for boolean attributes and converts them to bool. Entra ID also sends null for
// attributes it has no mapping for and lists
// "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
// in the "schemas" of Groups; Decode treats the first as unassigned and
// ignores the second.
package schema

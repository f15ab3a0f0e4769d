// Package architecture holds no code, only the test that keeps roster's
// data flowing one way, as docs/design.md draws it: HTTP edges (SCIM, the
// host API, sign-in, the console, the CLI) call domain services
// (directory, access, token, sso, events), and only domain services call
// the store. Edges may name the store's record types, the shared
// vocabulary, but not its interfaces or engines; domain services never
// import an edge.
package architecture

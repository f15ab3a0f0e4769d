//go:build race

package sqlite_test

// slowdown scales the time budgets of tests: the race detector makes
// SQLite (Go code, transpiled from C) about twenty times slower.
const slowdown = 20

//go:build !race

package sqlite_test

// slowdown scales the time budgets of tests (see race_test.go).
const slowdown = 1

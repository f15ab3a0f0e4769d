package token

// Checksum exposes checksum to the tests.
var Checksum = checksum

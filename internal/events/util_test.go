package events_test

import (
	"encoding/base64"
	"strconv"
)

func itoa(n int64) string                   { return strconv.FormatInt(n, 10) }
func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
func base64Encode(b []byte) string          { return base64.StdEncoding.EncodeToString(b) }

package main

import "testing"

func TestCheckLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080": true,
		"http://[::1]:8080":     true,
		"http://localhost:8080": true,
		"http://10.0.0.1:8080":  false,
		"http://8.8.8.8":        false,
		"ftp://127.0.0.1":       false,
		"127.0.0.1:8080":        false,
	} {
		if _, err := checkLoopback(url); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) err = %v, want ok=%v", url, err, ok)
		}
	}
}

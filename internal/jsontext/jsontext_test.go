package jsontext

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/fault"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		problem Problem // 0: accepted
		offset  int
	}{
		{"plain object", `{"userName":"bjensen","active":true}`, 0, 0},
		{"empty", ``, 0, 0},
		{"multi-byte UTF-8", `{"displayName":"Zoë 日本 🙂"}`, 0, 0},
		{"surrogate pair escape", `{"a":"\ud83d\ude42"}`, 0, 0},
		{"surrogate pair escape upper case", `{"a":"\uD83D\uDE42"}`, 0, 0},
		{"ordinary escapes", `{"a":"\"\\\/\b\f\n\r\t\u00e9\uFFFD"}`, 0, 0},
		{"escaped backslash before u", `{"a":"\\ud800"}`, 0, 0},
		{"escaped quote keeps the string open", `{"a":"\"\u0000"}`, NUL, 8},
		{"u-escape-like text outside strings is left to the decoder", `{"a":1}\ud800`, 0, 0},
		{"malformed escape is left to the decoder", `{"a":"\u12"}`, 0, 0},

		{"NUL escape", `{"displayName":"a\u0000b"}`, NUL, 17},
		{"raw NUL", "{\"a\":\"x\x00\"}", NUL, 7},
		{"raw NUL outside a string", "{\x00}", NUL, 1},
		{"lone high surrogate", `{"userName":"\ud800"}`, LoneSurrogate, 13},
		{"high surrogate then letter", `{"a":"\ud800x"}`, LoneSurrogate, 6},
		{"high surrogate then high surrogate", `{"a":"\ud800\ud800"}`, LoneSurrogate, 6},
		{"high surrogate at the end", `{"a":"\udbff`, LoneSurrogate, 6},
		{"lone low surrogate", `{"a":"\udc00"}`, LoneSurrogate, 6},
		{"low then high", `{"a":"x\udfff\ud800"}`, LoneSurrogate, 7},
		{"invalid UTF-8 byte", "{\"userName\":\"bad\xff\xfe(@x\"}", InvalidUTF8, 16},
		{"truncated sequence", "{\"a\":\"\xe6\x97\"}", InvalidUTF8, 6},
		{"encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", InvalidUTF8, 6},
		{"overlong encoding", "{\"a\":\"\xc0\xaf\"}", InvalidUTF8, 6},
		{"invalid UTF-8 outside a string", "{\xff}", InvalidUTF8, 1},
		{"invalid UTF-8 after a backslash", "{\"a\":\"\\\xff\"}", InvalidUTF8, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.text))
			if tt.problem == 0 {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("Check = %v, want an *Error", err)
			}
			if je.Problem != tt.problem || je.Offset != tt.offset {
				t.Errorf("Check = problem %d at %d, want %d at %d", je.Problem, je.Offset, tt.problem, tt.offset)
			}
			if !errors.Is(err, fault.Invalid) || fault.KindOf(err) != fault.Invalid {
				t.Errorf("Check error %v is not a fault.Invalid", err)
			}
			if _, msg, _ := fault.As(err); !strings.Contains(msg, "byte ") {
				t.Errorf("message %q does not name the byte offset", msg)
			}
		})
	}
}

// TestDecoderWouldRewrite documents why Check exists: for each text it
// refuses, encoding/json accepts the text and decodes something other than
// what was sent.
func TestDecoderWouldRewrite(t *testing.T) {
	for _, text := range []string{
		`{"a":"\ud800"}`,
		"{\"a\":\"bad\xff\"}",
		`{"a":"a\u0000b"}`,
	} {
		var v map[string]string
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			t.Fatalf("%q: encoding/json refuses it (%v); Check would not be needed", text, err)
		}
		if s := v["a"]; !strings.ContainsAny(s, "\ufffd\x00") {
			t.Errorf("%q decoded to %q", text, s)
		}
		if Check([]byte(text)) == nil {
			t.Errorf("Check accepted %q", text)
		}
	}
}

// FuzzCheck checks Check against encoding/json: text Check accepts decodes
// to strings that are valid UTF-8 without NUL and without U+FFFD that the
// text did not spell; a refusal names an offset inside the text; and any
// string without NUL, encoded by encoding/json, is accepted.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"userName":"bjensen"}`, `{"a":"\ud83d\ude42"}`, `{"a":"\ud800"}`, `{"a":"\udc00"}`,
		`{"a":"a\u0000b"}`, "{\"a\":\"bad\xff\"}", `{"a":"\\ud800"}`, `{"a":"\"\u0000"}`,
		`["\ud800\ud800"]`, `"\u`, "\"\\\xe6\x97\xa5\"", `{"a":"\uFFFD"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b)
		if err != nil {
			var je *Error
			if !errors.As(err, &je) || je.Offset < 0 || je.Offset >= len(b) || !errors.Is(err, fault.Invalid) {
				t.Fatalf("Check(%q) = %v", b, err)
			}
		} else {
			var v any
			if json.Unmarshal(b, &v) == nil {
				spelled := bytes.Contains(b, []byte("\ufffd")) || bytes.Contains(bytes.ToLower(b), []byte("fffd"))
				walkStrings(v, func(s string) {
					if strings.ContainsRune(s, 0) || (!spelled && strings.ContainsRune(s, '\ufffd')) {
						t.Fatalf("Check accepted %q, which decodes to %q", b, s)
					}
				})
			}
		}
		s := strings.ReplaceAll(string(b), "\x00", "")
		enc, _ := json.Marshal(map[string]string{s: s})
		if err := Check(enc); err != nil {
			t.Fatalf("Check refused encoding/json's own %q: %v", enc, err)
		}
	})
}

func walkStrings(v any, fn func(string)) {
	switch t := v.(type) {
	case string:
		fn(t)
	case []any:
		for _, e := range t {
			walkStrings(e, fn)
		}
	case map[string]any:
		for k, e := range t {
			fn(k)
			walkStrings(e, fn)
		}
	}
}

func TestDecode(t *testing.T) {
	type req struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	for _, tc := range []struct {
		name, body string
		strict     bool
		want       string // "" for success
	}{
		{"ok", `{"name":"x","n":2}`, true, ""},
		{"unknown field, lenient", `{"name":"x","extra":1}`, false, ""},
		{"unknown field, strict", `{"name":"x","extra":1}`, true, `unknown field "extra"`},
		{"empty", ``, true, "the request body is empty; send a JSON object with name and n"},
		{"array", `[]`, true, "the request body must be a JSON object"},
		{"wrong type", `{"n":"two"}`, true, `"n" must be a whole number, not string`},
		{"two values", `{}{}`, true, "more than one JSON value"},
		{"cut short", `{"name":`, true, "not valid JSON"},
		{"syntax", `{"name" "x"}`, true, "not valid JSON"},
		{"lone surrogate", `{"name":"\ud800"}`, true, "unpaired UTF-16 surrogate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v req
			err := Decode([]byte(tc.body), &v, "name and n", tc.strict)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Decode = %v", err)
				}
				return
			}
			if !errors.Is(err, fault.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode = %v; want an Invalid fault saying %q", err, tc.want)
			}
		})
	}
}

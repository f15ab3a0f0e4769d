package sqlstore

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestColumns: deferred rows become one array per column, NULL text for
// nil, and a value of the wrong Go type is an error, not a silent zero
// (which would store an empty string or false where the write said
// otherwise).
func TestColumns(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	types := []columnType{text, boolean, integer, timestamp}
	var b rowBuffer
	b.add("INSERT INTO t (a, b, c, d) VALUES ", "", "x", true, 1, at)
	b.add("INSERT INTO t (a, b, c, d) VALUES ", "", nil, false, int64(2), at)
	cols, err := columns(b.tables[0], types)
	if err != nil {
		t.Fatal(err)
	}
	x := "x"
	want := []any{[]*string{&x, nil}, []bool{true, false}, []int64{1, 2}, []time.Time{at, at}}
	if !reflect.DeepEqual(cols, want) {
		t.Errorf("columns = %#v, want %#v", cols, want)
	}
	if cols, err := columns(nil, types); err != nil || len(cols[0].([]*string)) != 0 || cols[0].([]*string) == nil {
		t.Errorf("no rows: %#v, %v; want empty, non-nil arrays", cols, err)
	}
	for i, row := range [][]any{
		{1, true, 1, at},     // text given an int
		{"x", "true", 1, at}, // boolean given a string
		{"x", true, "1", at}, // integer given a string
		{"x", true, 1, "at"}, // timestamp given a string
		{"x", nil, 1, at},    // boolean given nil
	} {
		var b rowBuffer
		b.add("INSERT INTO t (a, b, c, d) VALUES ", "", row...)
		if _, err := columns(b.tables[0], types); err == nil || !strings.Contains(err.Error(), "wrong type") {
			t.Errorf("row %d %v: err = %v, want a wrong-type error", i, row, err)
		}
	}
}

// TestRowsStatement: the multi-row INSERT numbers its placeholders row by row.
func TestRowsStatement(t *testing.T) {
	got := rowsStatement("INSERT INTO t (a, b) VALUES ", " ON CONFLICT DO NOTHING", 2, 3)
	want := "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT DO NOTHING"
	if got != want {
		t.Errorf("rowsStatement = %q, want %q", got, want)
	}
}

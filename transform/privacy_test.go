package transform_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/transform"
)

func TestPrivacy(t *testing.T) {
	dec := cdc.MustParseDecimal
	mask, err := transform.Mask(4, "email", "price", "id", "nope")
	if err != nil {
		t.Fatal(err)
	}
	hash, err := transform.Hash("pepper", "email", "id", "price", "at")
	if err != nil {
		t.Fatal(err)
	}
	trunc, err := transform.Truncate(4, "name", "blob", "id")
	if err != nil {
		t.Fatal(err)
	}
	redact, err := transform.Redact("email", "id")
	if err != nil {
		t.Fatal(err)
	}
	const (
		h42   = "93ca73bec2907ec825519db1f7ee28cb033d71c83d14b76ef78b0c4e64566e6e" // sha256("pepper42")
		hAda  = "f3de2501fc91c4a9ae4d4ed50bef931c9901aabe5ea36979890a69204e7eb2b1" // sha256("pepperada@example.com")
		h15   = "2432abca105cc134b6ecf767b9cd5effbde5d7e049e96b1e7c85044992c8e91f" // sha256("pepper1.5")
		hTime = "c5ae3a0897b884017a773e83617ee706d25bb1ae977ccf2714e2c938bca6d12c" // sha256("pepper2024-03-01T12:00:00.5Z")
	)
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		name                 string
		tr                   cdc.Transform
		in                   cdc.Event
		key, before, after   cdc.Row
		sameAsInput, dropped bool
	}{
		{
			name:  "mask create: strings and non-strings, key untouched, missing column ignored",
			tr:    mask,
			in:    cdc.Event{Op: cdc.OpCreate, Key: cdc.RowOf("id", int64(42)), After: cdc.RowOf("id", int64(42), "email", "ada@example.com", "price", dec("19.99"), "name", "Ada")},
			key:   cdc.RowOf("id", int64(42)),
			after: cdc.RowOf("id", "****", "email", "****", "price", "****", "name", "Ada"),
		},
		{
			name:   "mask update: before and after; null and unchanged stay",
			tr:     mask,
			in:     cdc.Event{Op: cdc.OpUpdate, Before: cdc.RowOf("email", "a@x", "price", nil), After: cdc.RowOf("email", cdc.Unchanged{}, "price", dec("1"))},
			before: cdc.RowOf("email", "****", "price", nil),
			after:  cdc.RowOf("email", cdc.Unchanged{}, "price", "****"),
		},
		{
			name:   "mask delete and snapshot read",
			tr:     mask,
			in:     cdc.Event{Op: cdc.OpDelete, Before: cdc.RowOf("email", "a@x")},
			before: cdc.RowOf("email", "****"),
		},
		{
			name:  "mask read",
			tr:    mask,
			in:    cdc.Event{Op: cdc.OpRead, After: cdc.RowOf("email", "")},
			after: cdc.RowOf("email", "****"),
		},
		{
			name:        "mask leaves schema events alone",
			tr:          mask,
			in:          cdc.Event{Op: cdc.OpSchema, DDL: "ALTER TABLE t ADD email text", After: cdc.RowOf("email", "a@x")},
			after:       cdc.RowOf("email", "a@x"),
			sameAsInput: true,
		},
		{
			name:        "mask leaves truncates and messages alone",
			tr:          mask,
			in:          cdc.Event{Op: cdc.OpTruncate, Before: cdc.RowOf("email", "a@x")},
			before:      cdc.RowOf("email", "a@x"),
			sameAsInput: true,
		},
		{
			name:  "hash: canonical text of strings, ints, decimals (trailing zeros), times (UTC); key too",
			tr:    hash,
			in:    cdc.Event{Op: cdc.OpCreate, Key: cdc.RowOf("id", int64(42)), After: cdc.RowOf("id", int64(42), "email", "ada@example.com", "price", dec("1.50"), "at", time.Date(2024, 3, 1, 13, 0, 0, 500_000_000, berlin), "other", "x")},
			key:   cdc.RowOf("id", h42),
			after: cdc.RowOf("id", h42, "email", hAda, "price", h15, "at", hTime, "other", "x"),
		},
		{
			name:   "hash: the same value always gives the same hash; nil and unchanged stay",
			tr:     hash,
			in:     cdc.Event{Op: cdc.OpUpdate, Key: cdc.RowOf("id", int64(42)), Before: cdc.RowOf("id", int64(42), "price", dec("1.5"), "email", nil), After: cdc.RowOf("id", int64(42), "price", cdc.Unchanged{}, "email", "ada@example.com")},
			key:    cdc.RowOf("id", h42),
			before: cdc.RowOf("id", h42, "price", h15, "email", nil),
			after:  cdc.RowOf("id", h42, "price", cdc.Unchanged{}, "email", hAda),
		},
		{
			name:  "truncate: runes, not bytes; bytes by bytes; short strings and other types as they are",
			tr:    trunc,
			in:    cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("name", "héllo wörld", "blob", []byte("abcdef"), "id", int64(123456))},
			after: cdc.RowOf("name", "héll", "blob", []byte("abcd"), "id", int64(123456)),
		},
		{
			name:  "truncate: exactly n runes in more than n bytes is kept",
			tr:    trunc,
			in:    cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("name", "日本語だ", "blob", nil)},
			after: cdc.RowOf("name", "日本語だ", "blob", nil),
		},
		{
			name:   "redact: values become nil, key untouched",
			tr:     redact,
			in:     cdc.Event{Op: cdc.OpDelete, Key: cdc.RowOf("id", int64(7)), Before: cdc.RowOf("id", int64(7), "email", "a@x", "n", 1)},
			key:    cdc.RowOf("id", int64(7)),
			before: cdc.RowOf("id", nil, "email", nil, "n", 1),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.in
			if keep := pbApply(t, tc.tr, &ev); keep == tc.dropped {
				t.Fatalf("keep = %v", keep)
			}
			pbRowEqual(t, "Key", ev.Key, tc.key)
			pbRowEqual(t, "Before", ev.Before, tc.before)
			pbRowEqual(t, "After", ev.After, tc.after)
			if tc.sameAsInput && ev.Op != tc.in.Op {
				t.Errorf("Op changed to %v", ev.Op)
			}
		})
	}
}

func TestPrivacyDoesNotTouchSharedNames(t *testing.T) {
	names := []string{"id", "email"}
	a := cdc.Event{Op: cdc.OpCreate, After: cdc.NewRow(names, []any{int64(1), "a@x"})}
	b := cdc.Event{Op: cdc.OpCreate, After: cdc.NewRow(names, []any{int64(2), "b@x"})}
	tr, err := transform.Redact("email")
	if err != nil {
		t.Fatal(err)
	}
	pbApply(t, tr, &a)
	if names[0] != "id" || names[1] != "email" {
		t.Fatalf("shared names changed: %v", names)
	}
	if v, _ := b.After.Get("email"); v != "b@x" {
		t.Fatalf("other event changed: %v", v)
	}
}

func TestHashCanonicalText(t *testing.T) {
	// Values with the same canonical text hash the same; different ones differ.
	tr, err := transform.Hash("s", "v")
	if err != nil {
		t.Fatal(err)
	}
	h := func(v any) string {
		ev := cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("v", v)}
		pbApply(t, tr, &ev)
		s, _ := ev.After.Get("v")
		return s.(string)
	}
	same := [][2]any{
		{"42", int64(42)},
		{int64(42), uint64(42)},
		{int64(42), cdc.MustParseDecimal("42.000")},
		{[]byte("abc"), "abc"},
		{json.RawMessage(`{"a":1}`), `{"a":1}`},
		{1.5, "1.5"},
		{true, "true"},
		{[]string{"a", "b"}, "a,b"},
		{90 * time.Minute, "1h30m0s"},
		{cdc.PositiveInfinity, "infinity"},
		{cdc.DecimalNaN, "NaN"},
		{map[string]any{"b": 1, "a": 2}, `{"a":2,"b":1}`},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02T03:04:05Z"},
	}
	for _, p := range same {
		if h(p[0]) != h(p[1]) {
			t.Errorf("hash(%#v) != hash(%#v)", p[0], p[1])
		}
	}
	if h("a") == h("b") {
		t.Error("different values hash the same")
	}
	if got := h("x"); len(got) != 64 || strings.ToLower(got) != got {
		t.Errorf("hash %q: want 64 lowercase hex digits", got)
	}
}

func TestPrivacyConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"mask n=0", pbErr(transform.Mask(0, "a")), "n is 0"},
		{"mask no columns", pbErr(transform.Mask(3)), "no columns"},
		{"truncate n<1", pbErr(transform.Truncate(-1, "a")), "n is -1"},
		{"hash empty column", pbErr(transform.Hash("s", "a", "")), "column 1 is empty"},
		{"redact none", pbErr(transform.Redact()), "no columns"},
	} {
		if !errors.Is(tc.err, cdc.ErrInvalidConfig) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig mentioning %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestHashTwiceNamedOnce(t *testing.T) {
	once, _ := transform.Hash("s", "v")
	twice, _ := transform.Hash("s", "v", "v")
	a := cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("v", "x")}
	b := cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("v", "x")}
	pbApply(t, once, &a)
	pbApply(t, twice, &b)
	pbRowEqual(t, "After", b.After, a.After)
}

func pbErr(_ cdc.Transform, err error) error { return err }

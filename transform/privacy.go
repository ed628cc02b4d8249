package transform

// Privacy: Mask, Hash, Truncate and Redact change the values of named columns, like
// Debezium's column.mask.with.N.chars, column.mask.hash.SHA-256.with.salt.S,
// column.truncate.to.N.chars and dropping a column's value. Columns are plain column
// names, matched in every table the transform sees: limit a transform to some tables
// with When(Tables("public.customers"), t).
//
// They change Before and After of creates, snapshot reads, updates and deletes; other
// events pass through. NULL values and cdc.Unchanged markers are left as they are: a
// NULL reveals nothing, and an unchanged TOAST value was never sent.
//
// Key: Mask, Truncate and Redact leave Event.Key alone, like Debezium (which masks value
// columns only): they collapse distinct values into one, and a key that loses its
// identity breaks upserts, partitioning and log compaction downstream. A primary-key
// column named in them therefore still shows its value in Key. Hash changes Key too: a
// hash keeps distinct values distinct, so the key keeps working, and leaving the clear
// value in Key would defeat the pseudonymisation. Use Hash for columns that are part of
// the key.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tributary-cdc/cdc"
)

// Mask replaces the value of each named column with a string of n '*' characters
// (Debezium's column.mask.with.N.chars). Values of any type are masked: a number, a
// timestamp or a []byte becomes the same n-character string, so the column's values
// are strings after Mask, whatever the table schema says. n must be at least 1.
func Mask(n int, columns ...string) (cdc.Transform, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: Mask: n is %d: the mask length must be at least 1 (use Redact to set values to NULL)",
			cdc.ErrInvalidConfig, n)
	}
	cols, err := privacyColumns("Mask", columns)
	if err != nil {
		return nil, err
	}
	var mask any = strings.Repeat("*", n) // boxed once: no allocation per value
	return &privacyTransform{cols: cols, fn: func(any) any { return mask }}, nil
}

// Hash replaces the value of each named column with the lowercase hexadecimal SHA-256
// of salt followed by the value's canonical text (Debezium's
// column.mask.hash.SHA-256.with.salt). The same value and salt always give the same
// 64-character string, across restarts and engines, so hashed columns can still be
// joined and counted. Hash also changes the columns in Event.Key (see the section
// comment). Use a secret salt: without one, common values (e-mail addresses, phone
// numbers) are easy to find by hashing guesses.
//
// The canonical text of a value is:
//
//	string                       the string itself
//	[]byte, json.RawMessage      the bytes themselves (JSON is not normalised)
//	int64, other signed ints     decimal digits, "-" for negatives: "-42"
//	uint64, other unsigned ints  decimal digits
//	float64, float32             shortest round-trip form (strconv 'g', -1): "1.5", "1e+21", "NaN", "+Inf", "-Inf"
//	bool                         "true" or "false"
//	cdc.Decimal                  the exact value without trailing fractional zeros
//	                             ("1.50" and "1.5" both hash as "1.5", 2.00 as "2"), "NaN", "Infinity", "-Infinity"
//	time.Time                    UTC, RFC 3339 with nanoseconds, trailing zeros dropped: "2024-01-02T03:04:05.5Z"
//	time.Duration                time.Duration.String: "1h2m3.5s"
//	cdc.Infinity                 "infinity" or "-infinity"
//	cdc.Interval                 cdc.Interval.String: "1 mons 2 days 3 us"
//	[]string (MySQL SET)         the members joined by ",": "a,b"
//	anything else                its JSON encoding (map keys sorted), or fmt's %v when it has none
//
// Values of different types with the same text hash the same (int64 42 and "42"), so a
// hashed key column still joins with a hashed text column holding the same ids.
// Hashed values are strings, whatever the column's type.
func Hash(salt string, columns ...string) (cdc.Transform, error) {
	if salt == "" {
		return nil, fmt.Errorf("%w: Hash: the salt is empty: without a secret salt, hashes of guessable values (emails, phone numbers) are reversed by hashing candidates; pass a secret kept out of the data", cdc.ErrInvalidConfig)
	}
	cols, err := privacyColumns("Hash", columns)
	if err != nil {
		return nil, err
	}
	s := []byte(salt)
	return &privacyTransform{cols: cols, key: true, fn: func(v any) any { return privacyHash(s, v) }}, nil
}

// Truncate shortens string values of the named columns to at most n characters
// (runes, not bytes, so a multi-byte character is never cut; Debezium's
// column.truncate.to.N.chars). []byte values are cut to n bytes. Values of other types
// are left as they are. n must be at least 1.
func Truncate(n int, columns ...string) (cdc.Transform, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: Truncate: n is %d: the length must be at least 1 (use Redact to set values to NULL)",
			cdc.ErrInvalidConfig, n)
	}
	cols, err := privacyColumns("Truncate", columns)
	if err != nil {
		return nil, err
	}
	return &privacyTransform{cols: cols, fn: func(v any) any { return privacyTruncate(v, n) }}, nil
}

// Redact sets the named columns to NULL (nil).
func Redact(columns ...string) (cdc.Transform, error) {
	cols, err := privacyColumns("Redact", columns)
	if err != nil {
		return nil, err
	}
	return &privacyTransform{cols: cols, fn: func(any) any { return nil }}, nil
}

// privacyColumns validates the column list and drops duplicates (hashing a column
// twice would hash the hash).
func privacyColumns(fn string, columns []string) ([]string, error) {
	if len(columns) == 0 {
		return nil, fmt.Errorf("%w: %s: no columns: name at least one column", cdc.ErrInvalidConfig, fn)
	}
	out := make([]string, 0, len(columns))
	for i, c := range columns {
		if c == "" {
			return nil, fmt.Errorf("%w: %s: column %d is empty: name a column", cdc.ErrInvalidConfig, fn, i)
		}
		dup := false
		for _, o := range out {
			dup = dup || o == c
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out, nil
}

type privacyTransform struct {
	cols []string
	key  bool // also change Key
	fn   func(any) any
}

func (t *privacyTransform) Apply(_ context.Context, ev *cdc.Event) (bool, error) {
	switch ev.Op {
	case cdc.OpCreate, cdc.OpRead, cdc.OpUpdate, cdc.OpDelete:
	default:
		return true, nil
	}
	rows := [3]*cdc.Row{&ev.Before, &ev.After, &ev.Key}
	n := 2
	if t.key {
		n = 3
	}
	for _, c := range t.cols {
		// An update usually has the same value in Before and After (and Key): change
		// it once and reuse the result (the functions are deterministic).
		var lastIn, lastOut any
		for _, r := range rows[:n] {
			i := r.Index(c)
			if i < 0 {
				continue
			}
			v := r.At(i)
			if v == nil || cdc.IsUnchanged(v) {
				continue
			}
			if lastOut == nil || !changedEqual(v, lastIn) {
				lastIn, lastOut = v, t.fn(v)
				if lastOut == nil { // Redact
					lastIn = nil
				}
			}
			r.Set(c, lastOut)
		}
	}
	return true, nil
}

func privacyTruncate(v any, n int) any {
	switch x := v.(type) {
	case string:
		if len(x) <= n { // n bytes hold at most n runes
			return x
		}
		count := 0
		for i := range x {
			if count == n {
				return x[:i]
			}
			count++
		}
		return x
	case []byte:
		if len(x) > n {
			return x[:n:n]
		}
	}
	return v
}

func privacyHash(salt []byte, v any) string {
	var buf [128]byte
	b := append(buf[:0], salt...)
	b = appendText(b, v, true)
	sum := sha256.Sum256(b)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

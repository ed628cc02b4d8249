package schema

import (
	"strings"
	"unicode/utf8"
)

// SafeName turns s into a valid Avro name: every character other than A-Z, a-z, 0-9
// and '_' becomes '_' (one per character, also for non-ASCII letters), a name that
// starts with a digit gets a leading '_', and an empty name becomes "_". This is what
// Debezium's schema name adjuster does in its default "avro" mode.
func SafeName(s string) string {
	if s == "" {
		return "_"
	}
	ok := s[0] < '0' || s[0] > '9'
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if ok {
		return s
	}
	var b strings.Builder
	if s[0] >= '0' && s[0] <= '9' {
		b.WriteByte('_')
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		b.WriteByte('_')
		i += size
	}
	return b.String()
}

// SafeNamespace makes each dot-separated part of s a SafeName; empty parts are dropped.
func SafeNamespace(s string) string {
	parts := strings.Split(s, ".")
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, SafeName(p))
		}
	}
	return strings.Join(out, ".")
}

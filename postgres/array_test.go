package postgres

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseArray(t *testing.T) {
	str := func(b []byte) (any, error) { return string(b), nil }
	tests := []struct {
		in    string
		delim byte
		want  []any
	}{
		{`{}`, ',', []any{}},
		{` { } `, ',', []any{}},
		{`{a}`, ',', []any{"a"}},
		{`{a,b,c}`, ',', []any{"a", "b", "c"}},
		{`{ a , b c ,d }`, ',', []any{"a", "b c", "d"}},
		{`{NULL,null,NuLl,"NULL",NULLx}`, ',', []any{nil, nil, nil, "NULL", "NULLx"}},
		{`{"a,b","c\"d","e\\f","",""," x "}`, ',', []any{"a,b", `c"d`, `e\f`, "", "", " x "}},
		{`{"{}","}{",",;"}`, ',', []any{"{}", "}{", ",;"}},
		{`{a\,b,c\"d,\ e\ ,\N\U\L\L}`, ',', []any{"a,b", `c"d`, " e ", "NULL"}},
		{`{é☃,"日本"}`, ',', []any{"é☃", "日本"}},
		{`{{1,2},{3,4}}`, ',', []any{[]any{"1", "2"}, []any{"3", "4"}}},
		{`{{{1}},{{2}}}`, ',', []any{[]any{[]any{"1"}}, []any{[]any{"2"}}}},
		{`{{},{}}`, ',', []any{[]any{}, []any{}}},
		{`{{1,NULL},{NULL,"x"}}`, ',', []any{[]any{"1", nil}, []any{nil, "x"}}},
		{`[0:1]={1,2}`, ',', []any{"1", "2"}},
		{`[-2:-2][3:4]={{5,6}}`, ',', []any{[]any{"5", "6"}}},
		{` [ 1 : 2 ] = {1,2}`, ',', []any{"1", "2"}},
		{`[2]={1,2}`, ',', []any{"1", "2"}},
		{`{(1,1),(0,0);(3,3),(2,2)}`, ';', []any{"(1,1),(0,0)", "(3,3),(2,2)"}},
		{`{"a;b";c,d}`, ';', []any{"a;b", "c,d"}},
		{`{{{{{{1}}}}}}`, ',', []any{[]any{[]any{[]any{[]any{[]any{"1"}}}}}}},
	}
	for _, tt := range tests {
		got, err := parseArray([]byte(tt.in), tt.delim, "text", str)
		if err != nil || !valuesEqual(got, tt.want) {
			t.Errorf("parseArray(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{``, `{`, `}`, `{a`, `{a,`, `{a,}`, `{,a}`, `{a,,b}`, `{"a}`, `{"a"b}`, `{a"b"}`,
		`{a}x`, `{a}}`, `{{a},b}`, `{a,{b}}`, `{{a}`, `{a{b}}`, `a`, `[0:1]{1,2}`, `[0:1=`, `[x]={1}`,
		`[1:2`, `[3:1]={}`, `{{{{{{{1}}}}}}}`, `[1][1][1][1][1][1][1]={}`, `{a\`, `{"a\`, `{"a"`, `{"a" x}`,
		"{a}\x00", `{}{}`, `{a;b}}`} {
		if got, err := parseArray([]byte(in), ',', "text", str); err == nil {
			t.Errorf("parseArray(%q) = %#v, want an error", in, got)
		}
	}
}

// The element decoder gets bytes it must copy; the results must not change when the
// parser reuses its scratch buffer or the caller its input.
func TestParseArrayNoAliasing(t *testing.T) {
	in := []byte(`{"a\"1","b\"2",c3,"d4"}`)
	got, err := parseArray(in, ',', "text", decodeString)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 'x'
	}
	want := []any{`a"1`, `b"2`, "c3", "d4"}
	if !valuesEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

// FuzzParseArray: the parser never panics, and what it accepts has the shape it claims
// (only []any, string and nil inside), whatever the delimiter.
func FuzzParseArray(f *testing.F) {
	for _, s := range []string{`{}`, `{1,2,3}`, `{{1,2},{3,4}}`, `{"a,b","c\"d","e\\f",NULL,""}`,
		`[0:1]={1,2}`, `[-2:-2][3:4]={{5,6}}`, `{(1,1),(0,0);(2,2),(1,1)}`, `{a\,b}`, `{{{{{{1}}}}}}`,
		`{"{1,2}","{3}"}`, `{"\"a\"=>\"1\""}`, `{2024-01-01,infinity,NULL}`, `{é☃}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, box bool) {
		delim := byte(',')
		if box {
			delim = ';'
		}
		orig := bytes.Clone(in)
		got, err := parseArray(in, delim, "text", decodeString)
		if !bytes.Equal(in, orig) {
			t.Fatal("parseArray modified its input")
		}
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with a result", err)
			}
			if !utf8.ValidString(err.Error()) && !strings.Contains(err.Error(), "\\x") {
				t.Fatalf("error message: %q", err)
			}
			return
		}
		var walk func(v []any, depth int)
		walk = func(v []any, depth int) {
			if depth > maxArrayDims {
				t.Fatalf("%d dimensions", depth)
			}
			for _, e := range v {
				switch e := e.(type) {
				case []any:
					walk(e, depth+1)
				case string, nil:
				default:
					t.Fatalf("element %#v", e)
				}
			}
		}
		walk(got, 1)
		// Other element decoders must not panic either.
		for _, oid := range []uint32{1007, 1231, 1182, 1185, 1187, 1001, 3807, 2951, 1000, 1020} {
			_, _, decode := decoderFor(oid, -1, nil)
			_, _ = decode(in)
		}
	})
}

// FuzzDecoders: no decoder panics on any input (namedDecoder would turn a panic into
// an error; this calls the raw decoders to see them).
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{"", "0", "-9223372036854775808", "1.5e10", "NaN", "-Infinity", `\x00ff`, `a\000`,
		"t", "2024-02-29", "0044-03-15 BC", "2024-01-02 03:04:05.123456+05:53:28 BC", "24:00:00",
		"1 year -2 mons +3 days -04:05:06.789", "@ 1 sec ago", "P-1Y2M3DT-4H5M-6.5S", `"a"=>"b", c=>NULL`,
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", `{"a": 1}`, "{1,2}"} {
		f.Add([]byte(s))
	}
	raws := []func([]byte) (any, error){decodeInt, decodeUint32, decodeUint64, decodeFloat4, decodeFloat8,
		decodeNumeric, decodeString, decodeBytea, decodeBool, decodeDate, decodeTime, decodeTimestamp,
		decodeTimestampTZ, decodeInterval, decodeJSON, decodeUUID, decodeHstore}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, raw := range raws {
			_, _ = raw(in)
		}
	})
}

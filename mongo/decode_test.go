package mongo

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"go.mongodb.org/mongo-driver/v2/bson"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the decoder's output")

// TestGoldenChangeEvents decodes change-event documents written by hand after the shapes
// MongoDB documents for each operation type, and compares a textual description of each
// resulting event with testdata/<name>.golden.
func TestGoldenChangeEvents(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			for i, doc := range splitDocs(src) {
				var raw bson.Raw
				if err := bson.UnmarshalExtJSON(doc, true, &raw); err != nil {
					t.Fatalf("document %d: %v", i, err)
				}
				c, err := decodeChange(raw)
				if err != nil {
					fmt.Fprintf(&out, "error: %v\n", err)
					continue
				}
				describe(&out, c.ev)
			}
			golden := strings.TrimSuffix(f, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGoldenChangeEvents -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("decoded %s differs from %s:\n--- got\n%s--- want\n%s", f, golden, out.Bytes(), want)
			}
		})
	}
}

// splitDocs splits a file of Extended JSON documents separated by blank lines; lines
// starting with // are comments.
func splitDocs(src []byte) [][]byte {
	var docs [][]byte
	for _, part := range bytes.Split(src, []byte("\n\n")) {
		var doc []byte
		for _, line := range bytes.Split(part, []byte("\n")) {
			if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("//")) {
				doc = append(append(doc, line...), '\n')
			}
		}
		if p := bytes.TrimSpace(doc); len(p) > 0 {
			docs = append(docs, p)
		}
	}
	return docs
}

func describe(w *bytes.Buffer, ev cdc.Event) {
	fmt.Fprintf(w, "op=%s table=%s id=%s\n", ev.Op, ev.Table, ev.ID())
	fmt.Fprintf(w, "  position=%s\n", ev.Position)
	if !ev.Source.CommitTime.IsZero() {
		fmt.Fprintf(w, "  commit=%s\n", ev.Source.CommitTime.Format(time.RFC3339Nano))
	}
	if ev.Source.TxID != "" {
		fmt.Fprintf(w, "  tx=%s\n", ev.Source.TxID)
	}
	if ev.DDL != "" {
		fmt.Fprintf(w, "  ddl=%s\n", ev.DDL)
	}
	for _, r := range []struct {
		name string
		row  cdc.Row
	}{{"key", ev.Key}, {"before", ev.Before}, {"after", ev.After}} {
		if r.row.IsZero() {
			continue
		}
		fmt.Fprintf(w, "  %s:\n", r.name)
		for i, n := range r.row.Names() {
			fmt.Fprintf(w, "    %s = %s\n", n, show(r.row.At(i)))
		}
	}
	for _, k := range sortedKeys(ev.Source.Extra) {
		fmt.Fprintf(w, "  extra.%s = %s\n", k, show(ev.Source.Extra[k]))
	}
	w.WriteString("\n")
}

// show prints a value with its Go type, recursively, maps in key order.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, k+": "+show(x[k]))
		}
		return "map{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case time.Time:
		return "time(" + x.Format(time.RFC3339Nano) + ")"
	case []byte:
		return fmt.Sprintf("bytes(%x)", x)
	case cdc.Decimal:
		return "decimal(" + x.String() + ")"
	case float64:
		return fmt.Sprintf("float64(%v)", x)
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

// TestValues checks the BSON to Go mapping value by value, built with the driver's
// own encoder so every BSON type is exercised.
func TestValues(t *testing.T) {
	oid, _ := bson.ObjectIDFromHex("65a1b2c3d4e5f60718293a4b")
	dec := func(s string) bson.Decimal128 { d, _ := bson.ParseDecimal128(s); return d }
	when := time.Date(2024, 2, 29, 23, 59, 59, 123_000_000, time.UTC)
	uuid := []byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	for _, tc := range []struct {
		in   any
		want any
	}{
		{oid, "65a1b2c3d4e5f60718293a4b"},
		{dec("1.10"), cdc.MustParseDecimal("1.10")},
		{dec("-0.000001"), cdc.MustParseDecimal("-0.000001")},
		{dec("1E+3"), cdc.MustParseDecimal("1000")},
		{dec("9999999999999999999999999999999999"), cdc.MustParseDecimal("9999999999999999999999999999999999")},
		{dec("NaN"), cdc.DecimalNaN},
		{dec("-Infinity"), cdc.DecimalNegInf},
		{int32(-7), int64(-7)},
		{int64(math.MaxInt64), int64(math.MaxInt64)},
		{2.5, 2.5},
		{math.Inf(1), math.Inf(1)},
		{true, true},
		{"héllo", "héllo"},
		{bson.DateTime(when.UnixMilli()), when},
		{bson.DateTime(-62135596800000 - 86400000), time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)},
		{bson.Timestamp{T: 1700000000, I: 7}, uint64(1700000000)<<32 | 7},
		{bson.Binary{Subtype: 0, Data: []byte{0, 1, 255}}, []byte{0, 1, 255}},
		{bson.Binary{Subtype: 4, Data: uuid}, "123e4567-e89b-12d3-a456-426614174000"},
		{bson.Binary{Subtype: 3, Data: uuid}, uuid},
		{bson.Regex{Pattern: "^a.*b$", Options: "im"}, "/^a.*b$/im"},
		{bson.Null{}, nil},
		{bson.MinKey{}, "MinKey"},
		{bson.MaxKey{}, "MaxKey"},
		{bson.JavaScript("function(){}"), "function(){}"},
		{bson.D{{Key: "b", Value: int32(1)}, {Key: "a", Value: bson.A{"x", int64(2)}}}, map[string]any{"b": int64(1), "a": []any{"x", int64(2)}}},
		{bson.A{bson.D{{Key: "n", Value: 1.5}}, bson.Null{}}, []any{map[string]any{"n": 1.5}, nil}},
	} {
		b, err := bson.Marshal(bson.D{{Key: "v", Value: tc.in}})
		if err != nil {
			t.Fatalf("marshal %#v: %v", tc.in, err)
		}
		got := value(bson.Raw(b).Lookup("v"))
		if d, ok := tc.want.(cdc.Decimal); ok {
			if g, ok := got.(cdc.Decimal); !ok || g.String() != d.String() {
				t.Errorf("%v: got %s, want decimal %s", tc.in, show(got), d)
			}
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%#v: got %s, want %s", tc.in, show(got), show(tc.want))
		}
	}
}

// TestRowKeepsFieldOrder: the top level of a document becomes a Row in document order.
func TestRowKeepsFieldOrder(t *testing.T) {
	b, _ := bson.Marshal(bson.D{{Key: "_id", Value: 1}, {Key: "z", Value: 1}, {Key: "a", Value: 2}, {Key: "m", Value: 3}})
	got := row(b).Names()
	if want := []string{"_id", "z", "a", "m"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
}

// FuzzDecodeChange: no document, however malformed, makes the decoder panic.
func FuzzDecodeChange(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		src, _ := os.ReadFile(file)
		for _, doc := range splitDocs(src) {
			var raw bson.Raw
			if bson.UnmarshalExtJSON(doc, true, &raw) == nil {
				f.Add([]byte(raw))
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if bson.Raw(b).Validate() != nil {
			return
		}
		_, _ = decodeChange(bson.Raw(b))
	})
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

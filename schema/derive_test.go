package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func strp(s string) *string { return &s }

// AllKindsTable is a PostgreSQL-style table with a column of every mapped kind, with
// defaults of both kinds (literals and expressions) and names that need adjusting.
func AllKindsTable() *cdc.TableSchema {
	return cdc.NewTableSchema(cdc.TableID{Database: "shop", Schema: "public", Name: "orders"}, []cdc.Column{
		{Name: "id", Type: "bigint", Kind: cdc.KindInt, PrimaryKey: true, Default: strp("nextval('orders_id_seq'::regclass)")},
		{Name: "region", Type: "character varying(8)", Kind: cdc.KindString, PrimaryKey: true},
		{Name: "code", Type: "bigint unsigned", Kind: cdc.KindUint, Default: strp("'0'")},
		{Name: "active", Type: "boolean", Kind: cdc.KindBool, Default: strp("true")},
		{Name: "ratio", Type: "real", Kind: cdc.KindFloat, Nullable: true, Default: strp("0.5")},
		{Name: "score", Type: "double precision", Kind: cdc.KindFloat, Default: strp("'1.5'::double precision")},
		{Name: "qty", Type: "integer", Kind: cdc.KindInt, Default: strp("(-1)")},
		{Name: "price", Type: "numeric(10,2)", Kind: cdc.KindDecimal, Default: strp("'-1.5'::numeric")},
		{Name: "amount", Type: "numeric", Kind: cdc.KindDecimal, Nullable: true},
		{Name: "total", Type: "numeric", Kind: cdc.KindDecimal, Default: strp("12.345")},
		{Name: "name", Type: "character varying(255)", Kind: cdc.KindString, Default: strp("'it''s'::character varying")},
		{Name: "mood", Type: "mood", Kind: cdc.KindString, Values: []string{"happy", "sad"}, Default: strp("'happy'::mood")},
		{Name: "data", Type: "bytea", Kind: cdc.KindBytes, Nullable: true},
		{Name: "blob", Type: "bytea", Kind: cdc.KindBytes, Default: strp(`'\x00ff'::bytea`)},
		{Name: "birthday", Type: "date", Kind: cdc.KindDate, Default: strp("'2000-01-02'::date")},
		{Name: "alarm", Type: "time without time zone", Kind: cdc.KindTime, Nullable: true},
		{Name: "created_at", Type: "timestamp with time zone", Kind: cdc.KindTimestamp, Default: strp("now()")},
		{Name: "updated_at", Type: "timestamp without time zone", Kind: cdc.KindTimestamp, Default: strp("'2024-05-06 07:08:09.123456'::timestamp without time zone")},
		{Name: "doc", Type: "jsonb", Kind: cdc.KindJSON, Nullable: true},
		{Name: "uid", Type: "uuid", Kind: cdc.KindUUID, Default: strp("gen_random_uuid()")},
		{Name: "tags", Type: "text[]", Kind: cdc.KindArray, Nullable: true},
		{Name: "scores", Type: "integer[]", Kind: cdc.KindArray},
		{Name: "amounts", Type: "numeric[]", Kind: cdc.KindArray, Nullable: true},
		{Name: "points", Type: "point[]", Kind: cdc.KindArray, Nullable: true},
		{Name: "flags", Type: "set('a','b','c')", Kind: cdc.KindSet, Values: []string{"a", "b", "c"}, Nullable: true},
		{Name: "span", Type: "interval", Kind: cdc.KindInterval, Nullable: true},
		{Name: "attrs", Type: "hstore", Kind: cdc.KindDocument, Nullable: true},
		{Name: "geom", Type: "point", Kind: cdc.KindUnknown, Nullable: true},
		{Name: "order-no", Type: "text", Kind: cdc.KindString, Nullable: true},
		{Name: "2fa", Type: "boolean", Kind: cdc.KindBool, Default: strp("NULL::boolean")},
	}, nil)
}

func golden(t *testing.T, name, text string) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(text), "", "  "); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./schema -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, pretty.String())
	}
}

func TestAvroSchemasGolden(t *testing.T) {
	s, err := AvroSchemas(AllKindsTable(), WithPrefix("shop"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "orders.key.avsc", s.Key.JSON)
	golden(t, "orders.value.avsc", s.Value.JSON)
	golden(t, "orders.envelope.avsc", s.Envelope.JSON)

	if s.Value.Name != "shop.public.orders.Value" || s.Key.Name != "shop.public.orders.Key" ||
		s.Envelope.Name != "shop.public.orders.Envelope" {
		t.Errorf("names: %s %s %s", s.Key.Name, s.Value.Name, s.Envelope.Name)
	}
	if got := strings.Join(s.Fields[len(s.Fields)-2:], ","); got != "order_no,_2fa" {
		t.Errorf("adjusted field names = %s", got)
	}
	// The Avro library agrees: the parsed schemas carry the same full names.
	if n := s.Value.Schema.(interface{ FullName() string }).FullName(); n != "shop.public.orders.Value" {
		t.Errorf("library name %q", n)
	}
	// The derived text is in normal form: parsing and writing it again changes nothing.
	for _, a := range []*Avro{s.Key, s.Value, s.Envelope} {
		if again := MustParse(a.JSON).String(); again != a.JSON {
			t.Errorf("%s is not stable:\n%s\n%s", a.Name, a.JSON, again)
		}
	}
}

func TestAvroSchemasDefaults(t *testing.T) {
	s, err := AvroSchemas(AllKindsTable(), WithPrefix("shop"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"id":         "",                         // nextval(...) is not a literal
		"code":       `"\u0000"`,                 // decimal(20,0) bytes of 0
		"active":     "true",                     // boolean literal
		"ratio":      "null",                     // nullable: always null
		"score":      "1.5",                      // '1.5'::double precision
		"qty":        "-1",                       // (-1)
		"price":      `"ÿj"`,                     // -1.5 at scale 2 = -150 = 0xff6a
		"amount":     "null",                     // nullable
		"total":      `{"scale":3,"value":"09"}`, // 12.345 = 12345 = 0x3039 at scale 3
		"name":       `"it's"`,                   // quoted, with an escaped quote
		"mood":       `"happy"`,                  // enum literal
		"blob":       `"\u0000ÿ"`,                // '\x00ff'::bytea
		"birthday":   "10958",                    // days from 1970-01-01 to 2000-01-02
		"created_at": "",                         // now() is not a literal
		"updated_at": "1714979289123456",         // microseconds
		"uid":        "",                         // gen_random_uuid() is not a literal
		"_2fa":       "",                         // NULL is no default for a NOT NULL column
	}
	for name, w := range want {
		f := s.Value.Node.Field(name)
		if f == nil {
			t.Fatalf("no field %s", name)
		}
		got := ""
		if f.HasDefault {
			got = jsonText(f.Default)
		}
		if w != "" {
			var wv any
			if err := json.Unmarshal([]byte(w), &wv); err != nil {
				t.Fatal(err)
			}
			w = jsonText(wv)
			var gv any
			_ = json.Unmarshal([]byte(got), &gv)
			got = jsonText(gv)
		}
		if got != w {
			t.Errorf("default of %s = %s, want %s", name, got, w)
		}
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"orders": "orders", "order-no": "order_no", "2fa": "_2fa", "": "_", "prix€": "prix_",
		"a.b": "a_b", "_x9": "_x9", "Ünïcode": "_n_code",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SafeNamespace("my-app..prod"); got != "my_app.prod" {
		t.Errorf("SafeNamespace = %q", got)
	}
}

func TestAvroSchemasErrors(t *testing.T) {
	clash := cdc.NewTableSchema(cdc.TableID{Schema: "s", Name: "t"}, []cdc.Column{
		{Name: "a-b", Kind: cdc.KindInt}, {Name: "a_b", Kind: cdc.KindInt},
	}, nil)
	if _, err := AvroSchemas(clash); err == nil || !strings.Contains(err.Error(), `columns "a-b" and "a_b" both become Avro field "a_b"`) {
		t.Errorf("clash: %v", err)
	}
	badPK := cdc.NewTableSchema(cdc.TableID{Schema: "s", Name: "t"}, []cdc.Column{{Name: "a", Kind: cdc.KindInt}}, []string{"b"})
	if _, err := AvroSchemas(badPK); err == nil || !strings.Contains(err.Error(), `primary key column "b"`) {
		t.Errorf("bad pk: %v", err)
	}
	if _, err := AvroSchemas(nil); err == nil {
		t.Error("nil schema accepted")
	}
}

func TestAvroSchemasNoKeyMySQL(t *testing.T) {
	ts := cdc.NewTableSchema(cdc.TableID{Database: "inventory", Name: "items"}, []cdc.Column{
		{Name: "sku", Type: "varchar(20)", Kind: cdc.KindString},
		{Name: "weight", Type: "float", Kind: cdc.KindFloat, Nullable: true},
		{Name: "big", Type: "double", Kind: cdc.KindFloat},
		{Name: "cost", Type: "decimal(65,30)", Kind: cdc.KindDecimal, Precision: 65, Scale: 30},
	}, nil)
	s, err := AvroSchemas(ts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Key != nil {
		t.Errorf("key schema for a table without primary key: %s", s.Key.JSON)
	}
	if s.Value.Name != "tributary.inventory.items.Value" {
		t.Errorf("name %s", s.Value.Name)
	}
	golden(t, "items.value.avsc", s.Value.JSON)
}

// The inverse mapping gives back each column's kind, name, nullability and members.
func TestKindOfRoundTrip(t *testing.T) {
	ts := AllKindsTable()
	s, err := AvroSchemas(ts)
	if err != nil {
		t.Fatal(err)
	}
	back, err := TableSchemaFromAvro(ts.Table, s.Key.Node, s.Value.Node)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range ts.Columns {
		b := back.Columns[i]
		want := c.Kind
		if want == cdc.KindUnknown {
			want = cdc.KindString // unknown types travel as strings
		}
		if b.Kind != want || b.Name != c.Name || b.Nullable != c.Nullable || b.PrimaryKey != c.PrimaryKey ||
			strings.Join(b.Values, ",") != strings.Join(c.Values, ",") {
			t.Errorf("column %d: got %+v, want %+v", i, b, c)
		}
	}
	if p, sc := back.Columns[7].Precision, back.Columns[7].Scale; p != 10 || sc != 2 {
		t.Errorf("price precision %d scale %d", p, sc)
	}
	if strings.Join(back.PrimaryKey, ",") != "id,region" {
		t.Errorf("pk %v", back.PrimaryKey)
	}
}

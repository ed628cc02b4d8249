package schema

import (
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/tributary-cdc/cdc"
)

func TestParseNormalForm(t *testing.T) {
	a := `{"type":"record","name":"shop.Value","fields":[{"name":"id","type":"long"},
		{"name":"addr","type":{"type":"record","name":"Addr","fields":[{"name":"zip","type":"string"}]}},
		{"name":"home","type":["null","shop.Addr"],"default":null}]}`
	b := `{"fields":[{"type":"long","name":"id"},
		{"type":{"fields":[{"type":{"type":"string"},"name":"zip"}],"name":"Addr","type":"record"},"name":"addr"},
		{"default":null,"type":["null","Addr"],"name":"home"}],
		"namespace":"shop","name":"Value","type":"record"}`
	na, nb := MustParse(a), MustParse(b)
	if na.String() != nb.String() {
		t.Errorf("normal forms differ:\n%s\n%s", na, nb)
	}
	want := `{"type":"record","name":"Value","namespace":"shop","fields":[{"name":"id","type":"long"},` +
		`{"name":"addr","type":{"type":"record","name":"Addr","fields":[{"name":"zip","type":"string"}]}},` +
		`{"name":"home","type":["null","Addr"],"default":null}]}`
	if na.String() != want {
		t.Errorf("normal form:\n%s\nwant\n%s", na, want)
	}
	// References share the definition's node.
	home, _ := na.Field("home").Type.NonNull()
	if home != na.Field("addr").Type {
		t.Error("reference is not the defining node")
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{`{"type":"record","name":"a-b","fields":[]}`, "invalid name"},
		{`{"type":"record","name":"R","fields":[{"name":"x","type":"long"},{"name":"x","type":"int"}]}`, "two fields named"},
		{`{"type":"record","name":"R","fields":[{"name":"x","type":"Nope"}]}`, `unknown type name "Nope"`},
		{`{"type":"record","name":"R","fields":[{"name":"x","type":{"type":"record","name":"R","fields":[]}}]}`, "defined twice"},
		{`{"type":"record","name":"R","fields":[{"name":"x","type":"long","default":"1"}]}`, "is not an integer"},
		{`{"type":"record","name":"R","fields":[{"name":"x","type":["null","long"],"default":1}]}`, "first branch null"},
		{`{"type":"record","name":"R","fields":[{"name":"x","type":"int","default":3000000000}]}`, "not a valid int"},
		{`{"type":"enum","name":"E","symbols":["A","A"]}`, "duplicate symbol"},
		{`{"type":"enum","name":"E","symbols":["A"],"default":"B"}`, "not one of its symbols"},
		{`["null",["long"]]`, "another union"},
		{`["long","long"]`, "two branches"},
		{`{"type":"fixed","name":"F"}`, "size"},
		{`{"type":"array"}`, "items"},
		{`{"type":"long"} x`, "text after"},
	} {
		_, err := Parse(c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s): %v, want %q", c.text, err, c.want)
		}
	}
	// An invalid logical type falls back to the underlying type.
	n := MustParse(`{"type":"string","logicalType":"decimal","precision":4}`)
	if n.LogicalType != "" {
		t.Errorf("decimal on a string kept: %q", n.LogicalType)
	}
}

func TestCheckSchemas(t *testing.T) {
	v1, err := AvroSchemas(ordersSchema(1))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := AvroSchemas(ordersSchema(2, cdc.Column{Name: "vip", Type: "boolean", Kind: cdc.KindBool}))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := CheckSchemas([]avro.Schema{v1.Value.Schema}, v2.Value.Schema, Backward)
	if err != nil || rep.Compatible || rep.Issues[0].Path != "vip" {
		t.Errorf("%+v %v", rep, err)
	}
	n, err := FromLibrary(v1.Envelope.Schema)
	if err != nil || n.String() != v1.Envelope.JSON {
		t.Errorf("FromLibrary changed the schema: %v\n%s\n%s", err, n, v1.Envelope.JSON)
	}
}

package schema

import (
	"fmt"
	"strings"
	"testing"
)

// rec builds a record schema named shop.Value with an "id" field followed by fields
// (JSON field objects).
func rec(fields ...string) string {
	return recNamed("shop.Value", fields...)
}

func recNamed(name string, fields ...string) string {
	all := append([]string{`{"name":"id","type":"long"}`}, fields...)
	return fmt.Sprintf(`{"type":"record","name":%q,"fields":[%s]}`, name, strings.Join(all, ","))
}

const (
	ok = true
	no = false
)

// The expected verdicts follow the rules of:
//
//   - the Apache Avro 1.11 specification, section "Schema Resolution"
//     (https://avro.apache.org/docs/1.11.1/specification/#schema-resolution): the reader
//     reads data written with the writer's schema; records, enums and fixed match by
//     unqualified name or the reader's aliases; fields match by name or the reader
//     field's aliases; a reader field missing from the writer needs a default; writer
//     fields missing from the reader are ignored; the promotions int → long, float,
//     double; long → float, double; float → double; string ↔ bytes; a writer enum
//     symbol missing from the reader needs the reader enum's default; fixed sizes must
//     be equal; unions resolve branch by branch; and, from its "Decimal" section, "two
//     schemas that are decimal logical types match if their scales and precisions
//     match" (Java's SchemaCompatibility, hence Confluent's registry, does not enforce
//     this rule: AVRO-2078; we do, because a scale change reinterprets every value);
//   - Confluent's "Schema Evolution and Compatibility" page
//     (https://docs.confluent.io/platform/current/schema-registry/fundamentals/schema-evolution.html):
//     BACKWARD = the new schema reads data written with the latest registered one,
//     FORWARD = the latest registered schema reads data written with the new one,
//     FULL = both, *_TRANSITIVE = against every registered version, NONE = no check;
//     its summary table: BACKWARD allows deleting fields and adding optional fields,
//     FORWARD allows adding fields and deleting optional fields, FULL allows adding and
//     deleting optional fields.
var compatCases = []struct {
	name                     string
	old, new                 string
	backward, forward, full_ bool
}{
	{"add nullable column with default null", rec(), rec(`{"name":"phone","type":["null","string"],"default":null}`), ok, ok, ok},
	{"add NOT NULL column without default", rec(), rec(`{"name":"phone","type":"string"}`), no, ok, no},
	{"add NOT NULL column with default", rec(), rec(`{"name":"qty","type":"long","default":0}`), ok, ok, ok},
	{"drop column that has a default", rec(`{"name":"note","type":["null","string"],"default":null}`), rec(), ok, ok, ok},
	{"drop column without default", rec(`{"name":"note","type":"string"}`), rec(), ok, no, no},
	{"int to long widening", rec(`{"name":"n","type":"int"}`), rec(`{"name":"n","type":"long"}`), ok, no, no},
	{"long to int narrowing", rec(`{"name":"n","type":"long"}`), rec(`{"name":"n","type":"int"}`), no, ok, no},
	{"int to double", rec(`{"name":"n","type":"int"}`), rec(`{"name":"n","type":"double"}`), ok, no, no},
	{"long to float", rec(`{"name":"n","type":"long"}`), rec(`{"name":"n","type":"float"}`), ok, no, no},
	{"float to double", rec(`{"name":"n","type":"float"}`), rec(`{"name":"n","type":"double"}`), ok, no, no},
	{"double to float", rec(`{"name":"n","type":"double"}`), rec(`{"name":"n","type":"float"}`), no, ok, no},
	{"long to string", rec(`{"name":"n","type":"long"}`), rec(`{"name":"n","type":"string"}`), no, no, no},
	{"string to bytes", rec(`{"name":"s","type":"string"}`), rec(`{"name":"s","type":"bytes"}`), ok, ok, ok},
	{"bytes to string", rec(`{"name":"s","type":"bytes"}`), rec(`{"name":"s","type":"string"}`), ok, ok, ok},
	{"rename without alias", rec(`{"name":"email","type":"string"}`), rec(`{"name":"mail","type":"string"}`), no, no, no},
	{"rename with alias", rec(`{"name":"email","type":"string"}`), rec(`{"name":"mail","type":"string","aliases":["email"]}`), ok, no, no},
	{"rename with alias, both with defaults", rec(`{"name":"email","type":"string","default":""}`),
		rec(`{"name":"mail","type":"string","default":"","aliases":["email"]}`), ok, ok, ok},
	{"enum symbol added", rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B"]}}`),
		rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B","C"]}}`), ok, no, no},
	{"enum symbol removed", rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B","C"]}}`),
		rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B"]}}`), no, ok, no},
	{"enum symbol added, enums with default", rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B"],"default":"A"}}`),
		rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B","C"],"default":"A"}}`), ok, ok, ok},
	{"enum symbol removed, new enum with default", rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B","C"]}}`),
		rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B"],"default":"A"}}`), ok, ok, ok},
	{"decimal precision change", rec(`{"name":"p","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}`),
		rec(`{"name":"p","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}}`), no, no, no},
	{"decimal scale change", rec(`{"name":"p","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}`),
		rec(`{"name":"p","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":3}}`), no, no, no},
	{"fixed decimal scale change", rec(`{"name":"p","type":{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":10,"scale":2}}`),
		rec(`{"name":"p","type":{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":10,"scale":4}}`), no, no, no},
	{"decimal unchanged, doc added", rec(`{"name":"p","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}`),
		rec(`{"name":"p","doc":"price","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}`), ok, ok, ok},
	{"union branch added", rec(`{"name":"v","type":["null","string"],"default":null}`),
		rec(`{"name":"v","type":["null","string","long"],"default":null}`), ok, no, no},
	{"union branch removed", rec(`{"name":"v","type":["null","string","long"],"default":null}`),
		rec(`{"name":"v","type":["null","string"],"default":null}`), no, ok, no},
	{"nullable becomes NOT NULL", rec(`{"name":"v","type":["null","string"],"default":null}`), rec(`{"name":"v","type":"string"}`), no, ok, no},
	{"NOT NULL becomes nullable", rec(`{"name":"v","type":"string"}`), rec(`{"name":"v","type":["null","string"],"default":null}`), ok, no, no},
	{"nested record gains field without default",
		rec(`{"name":"addr","type":{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"}]}}`),
		rec(`{"name":"addr","type":{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string"}]}}`), no, ok, no},
	{"nested record gains field with default",
		rec(`{"name":"addr","type":{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"}]}}`),
		rec(`{"name":"addr","type":{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string","default":""}]}}`), ok, ok, ok},
	{"nullable nested record loses field without default",
		rec(`{"name":"addr","type":["null",{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"}]}],"default":null}`),
		rec(`{"name":"addr","type":["null",{"type":"record","name":"Addr","fields":[]}],"default":null}`), ok, no, no},
	{"array item promotion int to long", rec(`{"name":"a","type":{"type":"array","items":"int"}}`),
		rec(`{"name":"a","type":{"type":"array","items":"long"}}`), ok, no, no},
	{"array item narrowing long to int", rec(`{"name":"a","type":{"type":"array","items":"long"}}`),
		rec(`{"name":"a","type":{"type":"array","items":"int"}}`), no, ok, no},
	{"map value promotion int to double", rec(`{"name":"m","type":{"type":"map","values":"int"}}`),
		rec(`{"name":"m","type":{"type":"map","values":"double"}}`), ok, no, no},
	{"fixed size change", rec(`{"name":"h","type":{"type":"fixed","name":"Hash","size":16}}`),
		rec(`{"name":"h","type":{"type":"fixed","name":"Hash","size":32}}`), no, no, no},
	{"fixed renamed without alias", rec(`{"name":"h","type":{"type":"fixed","name":"Hash","size":16}}`),
		rec(`{"name":"h","type":{"type":"fixed","name":"Digest","size":16}}`), no, no, no},
	{"namespace change", recNamed("shop.public.orders.Value"), recNamed("archive.orders.Value"), ok, ok, ok},
	{"record renamed without alias", recNamed("shop.Value"), recNamed("shop.Row"), no, no, no},
	{"record renamed with alias", recNamed("shop.Value"),
		`{"type":"record","name":"Row","namespace":"shop","aliases":["Value"],"fields":[{"name":"id","type":"long"}]}`, ok, no, no},
	{"fields reordered", rec(`{"name":"a","type":"string"}`, `{"name":"b","type":"long"}`),
		rec(`{"name":"b","type":"long"}`, `{"name":"a","type":"string"}`), ok, ok, ok},
	{"default value changed", rec(`{"name":"q","type":"long","default":0}`), rec(`{"name":"q","type":"long","default":1}`), ok, ok, ok},
	{"string becomes record", rec(`{"name":"a","type":"string"}`),
		rec(`{"name":"a","type":{"type":"record","name":"A","fields":[]}}`), no, no, no},
	{"string becomes enum", rec(`{"name":"a","type":"string"}`),
		rec(`{"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}}`), no, no, no},
	{"logical type change only (timestamp-millis to -micros)", rec(`{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}}`),
		rec(`{"name":"t","type":{"type":"long","logicalType":"timestamp-micros"}}`), ok, ok, ok},
	{"nullable long to nullable string", rec(`{"name":"v","type":["null","long"],"default":null}`),
		rec(`{"name":"v","type":["null","string"],"default":null}`), no, no, no},
	{"recursive record unchanged",
		`{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null}]}`,
		`{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null}]}`, ok, ok, ok},
	{"recursive record gains field without default",
		`{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null}]}`,
		`{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null},{"name":"v","type":"int"}]}`, no, ok, no},
}

func TestCheckPairs(t *testing.T) {
	if len(compatCases) < 30 {
		t.Fatalf("only %d cases", len(compatCases))
	}
	for _, c := range compatCases {
		t.Run(c.name, func(t *testing.T) {
			for _, lc := range []struct {
				level Level
				want  bool
			}{{Backward, c.backward}, {Forward, c.forward}, {Full, c.full_},
				{BackwardTransitive, c.backward}, {ForwardTransitive, c.forward}, {FullTransitive, c.full_}, {None, true}} {
				rep, err := Check([]string{c.old}, c.new, lc.level)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Compatible != lc.want {
					t.Errorf("%s: compatible = %v, want %v\n%s", lc.level, rep.Compatible, lc.want, rep)
				}
				if rep.Compatible != (len(rep.Issues) == 0) {
					t.Errorf("%s: Compatible %v with %d issues", lc.level, rep.Compatible, len(rep.Issues))
				}
				for _, is := range rep.Issues {
					if is.Message == "" || is.Fix == "" || !strings.Contains(is.Message, "cannot read") {
						t.Errorf("%s: issue without message or fix: %+v", lc.level, is)
					}
				}
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	rep, err := Check([]string{rec()}, rec(`{"name":"phone","type":"string"}`), Backward)
	if err != nil {
		t.Fatal(err)
	}
	want := "new field `phone` has no default: BACKWARD readers cannot read old data; give it a default or make it nullable"
	if len(rep.Issues) != 1 || rep.Issues[0].Message != want || rep.Issues[0].Path != "phone" ||
		rep.Issues[0].Direction != DirBackward || fmt.Sprint(rep.Issues[0].Versions) != "[1]" {
		t.Fatalf("issues = %+v", rep.Issues)
	}

	// A rename without alias suggests the alias.
	rep, _ = Check([]string{rec(`{"name":"email","type":"string"}`)}, rec(`{"name":"mail","type":"string"}`), Backward)
	if len(rep.Issues) != 1 || !strings.Contains(rep.Issues[0].Fix, `if it renames `+"`email`"+`, add "aliases": ["email"]`) {
		t.Errorf("rename fix: %+v", rep.Issues)
	}

	rep, _ = Check([]string{rec(`{"name":"n","type":"long"}`)}, rec(`{"name":"n","type":"int"}`), Backward)
	if len(rep.Issues) != 1 || rep.Issues[0].Message != "`n` changed type from long to int: reading long data as int narrows, which Avro does not allow "+
		"(it promotes only int → long → float → double and string ↔ bytes); BACKWARD readers cannot read old data" {
		t.Errorf("narrowing: %+v", rep.Issues)
	}

	rep, _ = Check([]string{rec(`{"name":"p","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}`)},
		rec(`{"name":"p","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":3}}`), Forward)
	if len(rep.Issues) != 1 || !strings.Contains(rep.Issues[0].Message, "decimal changed scale from decimal(10,2) to decimal(10,3)") ||
		rep.Issues[0].Direction != DirForward {
		t.Errorf("decimal: %+v", rep.Issues)
	}

	rep, _ = Check([]string{rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B"]}}`)},
		rec(`{"name":"st","type":{"type":"enum","name":"St","symbols":["A","B","C"]}}`), Full)
	if len(rep.Issues) != 1 || !strings.Contains(rep.Issues[0].Message, "enum St gained symbols C and the old enum has no default symbol") {
		t.Errorf("enum: %+v", rep.Issues)
	}

	rep, _ = Check([]string{rec(`{"name":"addr","type":{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"}]}}`)},
		rec(`{"name":"addr","type":{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string"}]}}`), Backward)
	if len(rep.Issues) != 1 || rep.Issues[0].Path != "addr.zip" {
		t.Errorf("nested path: %+v", rep.Issues)
	}

	rep, _ = Check([]string{rec(`{"name":"addr","type":["null",{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"}]}],"default":null}`)},
		rec(`{"name":"addr","type":["null",{"type":"record","name":"Addr","fields":[]}],"default":null}`), Forward)
	if len(rep.Issues) != 1 || rep.Issues[0].Path != "addr.city" || !strings.HasPrefix(rep.Issues[0].Message, "field `addr.city` was removed") {
		t.Errorf("nested nullable path: %+v", rep.Issues)
	}

	// Logical type changes that resolve are reported as recommendations.
	rep, _ = Check([]string{rec(`{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}}`)},
		rec(`{"name":"t","type":{"type":"long","logicalType":"timestamp-micros"}}`), Full)
	if !rep.Compatible || len(rep.Recommendations) == 0 ||
		!strings.Contains(rep.Recommendations[0], "logical type changed from timestamp-millis to timestamp-micros") {
		t.Errorf("logical warning: %v", rep.Recommendations)
	}

	s := rep.String()
	if !strings.HasPrefix(s, "compatible (FULL)") {
		t.Errorf("String: %s", s)
	}
}

// Transitive levels compare with every version; the plain ones with the latest only.
func TestCheckTransitive(t *testing.T) {
	v1 := rec()
	v2 := rec(`{"name":"phone","type":"string","default":""}`)
	v3 := rec(`{"name":"phone","type":"string"}`) // the default is dropped
	for _, c := range []struct {
		level Level
		want  bool
	}{{Backward, true}, {BackwardTransitive, false}, {Full, true}, {FullTransitive, false},
		{Forward, true}, {ForwardTransitive, true}} {
		rep, err := Check([]string{v1, v2}, v3, c.level)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Compatible != c.want {
			t.Errorf("backward history, %s: compatible = %v, want %v\n%s", c.level, rep.Compatible, c.want, rep)
		}
		if !rep.Compatible && fmt.Sprint(rep.Issues[0].Versions) != "[1]" {
			t.Errorf("%s: issue versions %v, want [1]", c.level, rep.Issues[0].Versions)
		}
	}

	f1 := rec(`{"name":"email","type":"string"}`)
	f2 := rec(`{"name":"email","type":"string","default":""}`)
	f3 := rec()
	for _, c := range []struct {
		level Level
		want  bool
	}{{Forward, true}, {ForwardTransitive, false}, {Full, true}, {FullTransitive, false},
		{Backward, true}, {BackwardTransitive, true}} {
		rep, _ := Check([]string{f1, f2}, f3, c.level)
		if rep.Compatible != c.want {
			t.Errorf("forward history, %s: compatible = %v, want %v\n%s", c.level, rep.Compatible, c.want, rep)
		}
	}

	// The same issue against several versions is reported once, with each version.
	g1 := rec()
	g2 := rec(`{"name":"x","type":["null","long"],"default":null}`)
	g3 := rec(`{"name":"x","type":["null","long"],"default":null}`, `{"name":"y","type":"string"}`)
	rep, _ := Check([]string{g1, g2}, g3, BackwardTransitive)
	if len(rep.Issues) != 1 || fmt.Sprint(rep.Issues[0].Versions) != "[1 2]" {
		t.Errorf("dedup: %+v", rep.Issues)
	}

	rep, _ = Check(nil, v3, FullTransitive)
	if !rep.Compatible {
		t.Error("empty history must be compatible")
	}
	rep, _ = Check([]string{v1}, rec(`{"name":"q","type":"string"}`), None)
	if !rep.Compatible {
		t.Error("NONE must be compatible")
	}
}

func TestCheckErrors(t *testing.T) {
	if _, err := Check([]string{`{"type":"record"}`}, rec(), Backward); err == nil || !strings.Contains(err.Error(), "history version 1") {
		t.Errorf("bad history: %v", err)
	}
	if _, err := Check([]string{rec()}, `not json`, Backward); err == nil || !strings.Contains(err.Error(), "new schema") {
		t.Errorf("bad new: %v", err)
	}
	if _, err := Check([]string{rec()}, rec(), Level("SIDEWAYS")); err == nil {
		t.Error("unknown level accepted")
	}
	if l, err := ParseLevel("full_transitive"); err != nil || l != FullTransitive {
		t.Errorf("ParseLevel: %v %v", l, err)
	}
}

func TestPlan(t *testing.T) {
	old := rec(`{"name":"email","type":"string"}`, `{"name":"age","type":"int"}`, `{"name":"legacy","type":"string"}`)
	next := rec(`{"name":"mail","type":"string","aliases":["email"]}`, `{"name":"age","type":"long"}`,
		`{"name":"phone","type":["null","string"],"default":null}`, `{"name":"zip","type":"string"}`)
	p, err := Plan(old, next)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.Steps {
		got = append(got, fmt.Sprintf("%v %s %v", s.Safe(), s.Change, s.Breaks))
	}
	want := []string{
		"true add field `phone` (nullable string, default null) []",
		"false rename field `email` to `mail` (alias \"email\") [forward]",
		"false change `age` from int to long [forward]",
		"false add field `zip` (string, no default) [backward]",
		"false remove field `legacy` (string, no default) [forward]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Level != None || p.Report.Compatible {
		t.Errorf("level %s", p.Level)
	}
	for _, s := range p.Steps[1:] {
		if len(s.Issues) == 0 || s.Issues[0].Fix == "" {
			t.Errorf("breaking step without issue/fix: %+v", s)
		}
	}
	if !strings.Contains(p.String(), "BREAKING: add field `zip` (string, no default) (breaks BACKWARD)") {
		t.Errorf("String:\n%s", p)
	}

	p, _ = Plan(rec(), rec(`{"name":"n","type":"long","default":0}`))
	if p.Level != Full || len(p.Steps) != 1 || !p.Steps[0].Safe() {
		t.Errorf("safe plan: %s", p)
	}
	p, _ = Plan(rec(`{"name":"n","type":"int"}`), rec(`{"name":"n","type":"long"}`))
	if p.Level != Backward {
		t.Errorf("widening plan level %s", p.Level)
	}
}

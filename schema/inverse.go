package schema

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-cdc/cdc"
)

// KindOf returns the cdc.Kind whose values a (non-null) Avro type carries: the inverse
// of the mapping AvroSchemas applies. Semantic names (connect.name) decide first, then
// logical types, then the Avro type. Types the mapping never produces are mapped to the
// nearest kind: int and long to KindInt, other records and maps to KindDocument,
// enums to KindString, fixed to KindBytes, other unions to KindUnknown.
func KindOf(n *Node) cdc.Kind {
	if nn, ok := n.NonNull(); ok {
		n = nn
	}
	switch n.ConnectName() {
	case DebeziumVariableScale:
		return cdc.KindDecimal
	case ConnectDecimal:
		if n.ConnectParameter(ParamKind) == "uint" {
			return cdc.KindUint
		}
		return cdc.KindDecimal
	case DebeziumJSON:
		if n.ConnectParameter(ParamKind) == "document" {
			return cdc.KindDocument
		}
		return cdc.KindJSON
	case DebeziumUUID:
		return cdc.KindUUID
	case DebeziumEnumSet:
		return cdc.KindSet
	case DebeziumInterval:
		return cdc.KindInterval
	case DebeziumDate:
		return cdc.KindDate
	case DebeziumMicroTime:
		return cdc.KindTime
	case DebeziumMicroTimestamp:
		return cdc.KindTimestamp
	case DebeziumEnum:
		return cdc.KindString
	}
	switch n.LogicalType {
	case "decimal":
		if n.ConnectParameter(ParamKind) == "uint" {
			return cdc.KindUint
		}
		return cdc.KindDecimal
	case "date":
		return cdc.KindDate
	case "time-millis", "time-micros":
		return cdc.KindTime
	case "timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros":
		return cdc.KindTimestamp
	case "uuid":
		if n.Type == "string" {
			return cdc.KindUUID
		}
	}
	switch n.Type {
	case "boolean":
		return cdc.KindBool
	case "int", "long":
		return cdc.KindInt
	case "float", "double":
		return cdc.KindFloat
	case "bytes", "fixed":
		return cdc.KindBytes
	case "string", "enum":
		return cdc.KindString
	case "array":
		return cdc.KindArray
	case "record", "map":
		return cdc.KindDocument
	}
	return cdc.KindUnknown
}

// ColumnOf rebuilds the column a value-record field describes: its name (the original
// column name when the field records one), kind, nullability, decimal precision and
// scale, and enum or set members. Type is left empty, except "real" for Avro floats.
func ColumnOf(f *Field) cdc.Column {
	c := cdc.Column{Name: f.Name, Kind: KindOf(f.Type)}
	if orig, ok := f.Props[PropColumn].(string); ok && orig != "" {
		c.Name = orig
	}
	t, isNullable := f.Type.NonNull()
	c.Nullable = isNullable || f.Type.Type == "null"
	switch {
	case t.LogicalType == "decimal":
		c.Precision, c.Scale = t.Precision, t.Scale
	case t.ConnectName() == ConnectDecimal:
		c.Scale, _ = strconv.Atoi(t.ConnectParameter("scale"))
		c.Precision, _ = strconv.Atoi(t.ConnectParameter("connect.decimal.precision"))
	}
	if c.Kind == cdc.KindUint {
		c.Precision, c.Scale = 0, 0
	}
	if t.Type == "float" {
		c.Type = "real"
	}
	if allowed := t.ConnectParameter("allowed"); allowed != "" && (c.Kind == cdc.KindString || c.Kind == cdc.KindSet) {
		c.Values = strings.Split(allowed, ",")
	}
	if t.Type == "enum" {
		c.Values = append([]string(nil), t.Symbols...)
	}
	return c
}

// TableSchemaFromAvro rebuilds a table schema from a value record and, when the table
// has one, a key record (whose fields are the primary key), so that a decoder given
// only the writer's schemas can type the values.
func TableSchemaFromAvro(table cdc.TableID, key, value *Node) (*cdc.TableSchema, error) {
	if value == nil || value.Type != "record" {
		return nil, fmt.Errorf("schema: the value schema must be a record")
	}
	cols := make([]cdc.Column, len(value.Fields))
	for i, f := range value.Fields {
		cols[i] = ColumnOf(f)
	}
	var pk []string
	if key != nil {
		if key.Type != "record" {
			return nil, fmt.Errorf("schema: the key schema must be a record")
		}
		for _, f := range key.Fields {
			c := ColumnOf(f)
			pk = append(pk, c.Name)
			for i := range cols {
				if cols[i].Name == c.Name {
					cols[i].PrimaryKey = true
				}
			}
		}
	}
	return cdc.NewTableSchema(table, cols, pk), nil
}

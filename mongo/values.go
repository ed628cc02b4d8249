package mongo

import (
	"encoding/hex"
	"time"

	"github.com/tributary-cdc/cdc"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Binary subtypes that get their own Go value; every other subtype is []byte.
const (
	binaryUUID = 0x04
)

// value maps one BSON value to its Go value (see the value mapping in doc.go). It never
// fails: a BSON type this version does not know becomes its Extended JSON text.
func value(rv bson.RawValue) any {
	switch rv.Type {
	case bson.TypeNull, bson.TypeUndefined:
		return nil
	case bson.TypeDouble:
		return rv.Double()
	case bson.TypeString:
		return rv.StringValue()
	case bson.TypeEmbeddedDocument:
		return document(rv.Document())
	case bson.TypeArray:
		vals, err := rv.Array().Values()
		if err != nil {
			return rv.String()
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = value(v)
		}
		return out
	case bson.TypeBinary:
		sub, data := rv.Binary()
		if sub == binaryUUID && len(data) == 16 {
			return uuidString(data)
		}
		return append([]byte(nil), data...)
	case bson.TypeObjectID:
		return rv.ObjectID().Hex()
	case bson.TypeBoolean:
		return rv.Boolean()
	case bson.TypeDateTime:
		// BSON dates are milliseconds since the epoch, UTC; time.UnixMilli keeps dates
		// outside year 0-9999 too.
		return time.UnixMilli(rv.DateTime()).UTC()
	case bson.TypeRegex:
		p, o := rv.Regex()
		return "/" + p + "/" + o
	case bson.TypeDBPointer:
		ns, id := rv.DBPointer()
		return ns + "." + id.Hex()
	case bson.TypeJavaScript:
		return rv.JavaScript()
	case bson.TypeSymbol:
		return rv.Symbol()
	case bson.TypeCodeWithScope:
		code, _ := rv.CodeWithScope()
		return code
	case bson.TypeInt32:
		return int64(rv.Int32())
	case bson.TypeTimestamp:
		t, i := rv.Timestamp()
		return uint64(t)<<32 | uint64(i)
	case bson.TypeInt64:
		return rv.Int64()
	case bson.TypeDecimal128:
		return decimal(rv.Decimal128())
	case bson.TypeMinKey:
		return "MinKey"
	case bson.TypeMaxKey:
		return "MaxKey"
	}
	return rv.String()
}

// decimal converts exactly: the coefficient and exponent become the decimal's digits
// and scale, so 1.10 stays 1.10 and 1E+3 becomes 1000.
func decimal(d bson.Decimal128) cdc.Decimal {
	s := d.String()
	switch s {
	case "NaN", "-NaN":
		return cdc.DecimalNaN
	case "Infinity":
		return cdc.DecimalPosInf
	case "-Infinity":
		return cdc.DecimalNegInf
	}
	unscaled, exp, err := d.BigInt()
	if err != nil {
		return cdc.DecimalNaN
	}
	return cdc.NewDecimal(unscaled, int32(-exp))
}

// document maps an embedded document to map[string]any. Field order is lost in the map;
// the top level of every row keeps it (Row is ordered).
func document(raw bson.Raw) map[string]any {
	elems, err := raw.Elements()
	if err != nil {
		return nil
	}
	out := make(map[string]any, len(elems))
	for _, e := range elems {
		out[e.Key()] = value(e.Value())
	}
	return out
}

func uuidString(b []byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], b[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], b[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], b[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], b[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], b[10:16])
	return string(buf[:])
}

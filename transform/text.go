package transform

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-cdc/cdc"
)

// Hash, PartitionKey, Enrich's cache keys and the outbox event ids all rest on this one
// text form of a value: changing it changes hashes that users store.

// appendText appends the text form of a column value: strings and []byte as they
// are, numbers in decimal (floats in their shortest round-trip form), cdc.Decimal as
// written by the database ("1.50"; trimmed to "1.5" when trim is set), time.Time in UTC
// as RFC 3339 with nanoseconds (trailing zeros dropped), time.Duration, cdc.Infinity and
// cdc.Interval by their String methods, []string joined with ",", anything else as JSON.
func appendText(b []byte, v any, trim bool) []byte {
	switch x := v.(type) {
	case string:
		return append(b, x...)
	case []byte:
		return append(b, x...)
	case json.RawMessage:
		return append(b, x...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case uint:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case float32:
		return strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	case bool:
		return strconv.AppendBool(b, x)
	case cdc.Decimal:
		s := x.String()
		if trim && x.IsFinite() && strings.IndexByte(s, '.') >= 0 {
			s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
		}
		return append(b, s...)
	case time.Time:
		return x.UTC().AppendFormat(b, time.RFC3339Nano)
	case time.Duration:
		return append(b, x.String()...)
	case cdc.Infinity:
		return append(b, x.String()...)
	case cdc.Interval:
		return append(b, x.String()...)
	case []string:
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, s...)
		}
		return b
	}
	if j, err := json.Marshal(v); err == nil {
		return append(b, j...)
	}
	return fmt.Append(b, v)
}

// toInt64 converts a value of an integer type that fits to int64.
func toInt64(v any) (int64, bool) { return cdc.AsInt64(v) }

// tmplPart is literal text, or the name of a ${name} placeholder when isVar.
type tmplPart struct {
	text  string
	isVar bool
}

// splitTemplate splits "outbox.${type}.v1" into literal and placeholder parts. It fails
// on an unclosed "${" and on an empty "${}".
func splitTemplate(tmpl string) ([]tmplPart, error) {
	var parts []tmplPart
	for rest := tmpl; rest != ""; {
		i := strings.Index(rest, "${")
		if i < 0 {
			parts = append(parts, tmplPart{text: rest})
			break
		}
		if i > 0 {
			parts = append(parts, tmplPart{text: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("has an unclosed \"${\": close it with \"}\"")
		}
		if j == 2 {
			return nil, fmt.Errorf("has an empty \"${}\"")
		}
		parts = append(parts, tmplPart{text: rest[i+2 : i+j], isVar: true})
		rest = rest[i+j+1:]
	}
	return parts, nil
}

package mysql

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/textnum"
)

// colInfo describes a column: from information_schema.COLUMNS, or, for a column the
// catalog no longer has, from the binlog's table map event.
type colInfo struct {
	name       string
	dataType   string // lower-case DATA_TYPE: "int", "varchar", "enum", ...
	columnType string // COLUMN_TYPE: "int(11) unsigned", "enum('a','b')", ...
	unsigned   bool
	nullable   bool
	def        *string
	charset    string // "" for non-text columns; "binary" for binary strings
	length     int    // CHARACTER_MAXIMUM_LENGTH (bytes for binary types)
	precision  int    // NUMERIC_PRECISION, or DATETIME_PRECISION for time types
	scale      int
	values     []string // ENUM and SET members
	pk         bool
	json       bool // MariaDB's JSON: a LONGTEXT with a json_valid check
}

// class groups types whose binlog encodings are alike; it tells whether a column the
// catalog describes can decode a column of a table map event.
func (c *colInfo) class() string {
	switch c.dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		return "int"
	case "decimal", "numeric":
		return "decimal"
	case "float", "double", "real", "double precision":
		return "float"
	case "bit":
		return "bit"
	case "date":
		return "date"
	case "datetime", "timestamp":
		return "datetime"
	case "time":
		return "time"
	case "year":
		return "year"
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext",
		"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return "str"
	case "json":
		return "json"
	case "enum":
		return "enum"
	case "set":
		return "set"
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		return "geo"
	}
	return ""
}

// binlogClass is class for a table map column type (its real type: ENUM and SET are
// written as STRING with the real type in the metadata).
func binlogClass(tp byte) string {
	switch tp {
	case gmysql.MYSQL_TYPE_TINY, gmysql.MYSQL_TYPE_SHORT, gmysql.MYSQL_TYPE_INT24, gmysql.MYSQL_TYPE_LONG, gmysql.MYSQL_TYPE_LONGLONG:
		return "int"
	case gmysql.MYSQL_TYPE_NEWDECIMAL, gmysql.MYSQL_TYPE_DECIMAL:
		return "decimal"
	case gmysql.MYSQL_TYPE_FLOAT, gmysql.MYSQL_TYPE_DOUBLE:
		return "float"
	case gmysql.MYSQL_TYPE_BIT:
		return "bit"
	case gmysql.MYSQL_TYPE_DATE, gmysql.MYSQL_TYPE_NEWDATE:
		return "date"
	case gmysql.MYSQL_TYPE_DATETIME, gmysql.MYSQL_TYPE_DATETIME2, gmysql.MYSQL_TYPE_TIMESTAMP, gmysql.MYSQL_TYPE_TIMESTAMP2:
		return "datetime"
	case gmysql.MYSQL_TYPE_TIME, gmysql.MYSQL_TYPE_TIME2:
		return "time"
	case gmysql.MYSQL_TYPE_YEAR:
		return "year"
	case gmysql.MYSQL_TYPE_VARCHAR, gmysql.MYSQL_TYPE_VAR_STRING, gmysql.MYSQL_TYPE_STRING, gmysql.MYSQL_TYPE_BLOB,
		gmysql.MYSQL_TYPE_TINY_BLOB, gmysql.MYSQL_TYPE_MEDIUM_BLOB, gmysql.MYSQL_TYPE_LONG_BLOB:
		return "str"
	case gmysql.MYSQL_TYPE_JSON:
		return "json"
	case gmysql.MYSQL_TYPE_ENUM:
		return "enum"
	case gmysql.MYSQL_TYPE_SET:
		return "set"
	case gmysql.MYSQL_TYPE_GEOMETRY:
		return "geo"
	}
	return ""
}

// compatible reports whether the catalog's column can decode a binlog column of
// class bc (MariaDB's JSON is a text column in the binlog).
func (c *colInfo) compatible(bc string) bool {
	cc := c.class()
	return cc == "" || bc == "" || cc == bc || c.json && bc == "str"
}

func (c *colInfo) isBinary() bool { return c.charset == "binary" }

// kind is the Go representation of the column's values (see doc.go).
func (c *colInfo) kind() cdc.Kind {
	if c.json {
		return cdc.KindJSON
	}
	switch c.class() {
	case "int":
		if c.dataType == "bigint" && c.unsigned {
			return cdc.KindUint
		}
		return cdc.KindInt
	case "year":
		return cdc.KindInt
	case "decimal":
		return cdc.KindDecimal
	case "float":
		return cdc.KindFloat
	case "bit":
		return cdc.KindUint
	case "date":
		return cdc.KindDate
	case "datetime":
		return cdc.KindTimestamp
	case "time":
		return cdc.KindTime
	case "str":
		if c.isBinary() || strings.Contains(c.dataType, "binary") || strings.HasSuffix(c.dataType, "blob") {
			return cdc.KindBytes
		}
		return cdc.KindString
	case "json":
		return cdc.KindJSON
	case "enum":
		return cdc.KindString
	case "set":
		return cdc.KindSet
	case "geo":
		return cdc.KindBytes
	}
	return cdc.KindUnknown
}

// column is the cdc.Column of the schema.
func (c *colInfo) column() cdc.Column {
	col := cdc.Column{Name: c.name, Type: c.columnType, Kind: c.kind(), Nullable: c.nullable, Default: c.def,
		Length: c.length, Precision: c.precision, Scale: c.scale, Values: c.values, PrimaryKey: c.pk}
	if col.Kind == cdc.KindString || col.Kind == cdc.KindJSON || col.Kind == cdc.KindSet {
		col.Charset = c.charset
	}
	if col.Type == "" {
		col.Type = c.dataType
	}
	return col
}

// binlogDecoder returns the function that maps a value decoded by go-mysql (with
// ParseTime, TimestampStringLocation UTC, decimals as strings) to the value mapping.
// NULL never reaches it.
func binlogDecoder(c *colInfo) func(any) (any, error) {
	bad := func(v any) error { return fmt.Errorf("unexpected %T value %v for a %s column", v, v, c.dataType) }
	switch c.dataType {
	case "uuid", "inet4", "inet6":
		// MariaDB's types: fixed-length binary in the binlog, text in a SELECT (and so
		// in the snapshot): the text, both ways.
		return func(v any) (any, error) {
			var b []byte
			switch x := v.(type) {
			case string:
				b = []byte(x)
			case []byte:
				b = x
			default:
				return nil, bad(v)
			}
			if s, ok := mariadbTypeText(c.dataType, b); ok {
				return s, nil
			}
			return nil, fmt.Errorf("a %s value of %d bytes (%x)", c.dataType, len(b), b)
		}
	}
	switch c.kind() {
	case cdc.KindInt, cdc.KindUint:
		if c.class() == "bit" {
			return func(v any) (any, error) {
				if x, ok := v.(int64); ok {
					return uint64(x), nil
				}
				return nil, bad(v)
			}
		}
		unsigned, wide := c.unsigned, c.kind() == cdc.KindUint
		medium := c.dataType == "mediumint"
		return func(v any) (any, error) {
			// go-mysql returns signed values unless the table map flags the column
			// unsigned (binlog_row_metadata MINIMAL or FULL); the catalog knows.
			switch x := v.(type) {
			case int8:
				if unsigned {
					return int64(uint8(x)), nil
				}
				return int64(x), nil
			case int16:
				if unsigned {
					return int64(uint16(x)), nil
				}
				return int64(x), nil
			case int32:
				if unsigned && medium {
					return int64(uint32(x) & 0xffffff), nil
				}
				if unsigned {
					return int64(uint32(x)), nil
				}
				return int64(x), nil
			case int64:
				if wide {
					return uint64(x), nil
				}
				return x, nil
			case uint8:
				return int64(x), nil
			case uint16:
				return int64(x), nil
			case uint32:
				return int64(x), nil
			case uint64:
				if wide {
					return x, nil
				}
				if x <= math.MaxInt64 {
					return int64(x), nil
				}
			case int: // YEAR
				return int64(x), nil
			}
			return nil, bad(v)
		}
	case cdc.KindDecimal:
		return func(v any) (any, error) {
			s, ok := v.(string)
			if !ok {
				if st, isStringer := v.(fmt.Stringer); isStringer {
					s = st.String()
				} else {
					return nil, bad(v)
				}
			}
			return cdc.ParseDecimal(s)
		}
	case cdc.KindFloat:
		return func(v any) (any, error) {
			switch x := v.(type) {
			case float32:
				return float32To64(x), nil
			case float64:
				return x, nil
			}
			return nil, bad(v)
		}
	case cdc.KindDate:
		return func(v any) (any, error) {
			switch x := v.(type) {
			case string:
				return parseDate(x)
			case time.Time:
				return x.UTC(), nil
			}
			return nil, bad(v)
		}
	case cdc.KindTimestamp:
		return func(v any) (any, error) {
			switch x := v.(type) {
			case time.Time:
				return x.UTC(), nil
			case string: // before 1970, or a zero date
				return parseDateTime(x)
			}
			return nil, bad(v)
		}
	case cdc.KindTime:
		return func(v any) (any, error) {
			if s, ok := v.(string); ok {
				return parseDuration(s)
			}
			return nil, bad(v)
		}
	case cdc.KindString:
		if c.class() == "enum" {
			values := c.values
			return func(v any) (any, error) {
				i, ok := v.(int64)
				if !ok {
					return nil, bad(v)
				}
				if i == 0 { // the error value '' of an invalid insert in non-strict mode
					return "", nil
				}
				if i < 0 || int(i) > len(values) {
					return nil, fmt.Errorf("ENUM index %d beyond the %d known members %q (the column changed since the event was written)", i, len(values), values)
				}
				return values[i-1], nil
			}
		}
		conv := textDecoder(c.charset)
		return func(v any) (any, error) {
			switch x := v.(type) {
			case string:
				if conv == nil {
					return x, nil
				}
				return conv([]byte(x)), nil
			case []byte:
				if conv == nil {
					return string(x), nil
				}
				return conv(x), nil
			}
			return nil, bad(v)
		}
	case cdc.KindSet:
		values := c.values
		return func(v any) (any, error) {
			m, ok := v.(int64)
			if !ok {
				return nil, bad(v)
			}
			return setMembers(uint64(m), values), nil
		}
	case cdc.KindBytes:
		pad := 0
		if c.dataType == "binary" {
			pad = c.length // the binlog drops BINARY's trailing zero bytes; a SELECT keeps them
		}
		return func(v any) (any, error) {
			var b []byte
			switch x := v.(type) {
			case []byte:
				b = x
			case string:
				b = []byte(x)
			default:
				return nil, bad(v)
			}
			if len(b) < pad {
				p := make([]byte, pad)
				copy(p, b)
				b = p
			}
			return b, nil
		}
	case cdc.KindJSON:
		return func(v any) (any, error) {
			switch x := v.(type) {
			case string:
				return json.RawMessage(x), nil
			case []byte:
				if len(x) == 0 { // MySQL: an empty document stands for JSON null
					return json.RawMessage("null"), nil
				}
				return json.RawMessage(x), nil
			}
			return nil, bad(v)
		}
	}
	// Not mapped yet: the text form.
	conv := textDecoder(c.charset)
	if conv == nil {
		conv = func(b []byte) string { return string(b) }
	}
	return func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			return conv([]byte(x)), nil
		case []byte:
			return conv(x), nil
		case time.Time:
			return x.UTC().Format("2006-01-02 15:04:05.999999"), nil
		}
		return fmt.Sprint(v), nil
	}
}

// snapshotDecoder maps the text-protocol value of a snapshot SELECT (connection
// charset utf8mb4, time_zone +00:00) to the value mapping. NULL never reaches it. b
// points into the read buffer: what is kept is copied, strings and boxed values cut
// from m (see internal/arena), which belongs to one reader.
func snapshotDecoder(c *colInfo, m *snapMem) func(b []byte) (any, error) {
	switch c.kind() {
	case cdc.KindInt, cdc.KindUint:
		if c.class() == "bit" { // the bits, big-endian
			return func(b []byte) (any, error) {
				if len(b) > 8 {
					return nil, fmt.Errorf("a BIT value of %d bytes", len(b))
				}
				var x [8]byte
				copy(x[8-len(b):], b)
				return binary.BigEndian.Uint64(x[:]), nil
			}
		}
		if c.kind() == cdc.KindUint {
			return func(b []byte) (any, error) {
				n, err := textnum.ParseUint(b)
				if err != nil {
					return nil, badNumber(b, err)
				}
				return m.uints.Box(n), nil
			}
		}
		return func(b []byte) (any, error) {
			n, err := textnum.ParseInt(b)
			if err != nil {
				return nil, badNumber(b, err)
			}
			return m.ints.Box(n), nil
		}
	case cdc.KindFloat:
		return func(b []byte) (any, error) {
			f, err := strconv.ParseFloat(string(b), 64)
			if err != nil {
				return nil, err
			}
			return m.floats.Box(f), nil
		}
	case cdc.KindDate, cdc.KindTimestamp:
		parse := parseDateTime[[]byte]
		if c.kind() == cdc.KindDate {
			parse = parseDate[[]byte]
		}
		return func(b []byte) (any, error) {
			t, err := parse(b)
			if err != nil {
				return nil, err
			}
			return m.times.Box(t), nil
		}
	case cdc.KindDecimal:
		return func(b []byte) (any, error) {
			d, err := cdc.ParseDecimal(m.text.String(b))
			if err != nil {
				return nil, err
			}
			return m.nums.Box(d), nil
		}
	case cdc.KindTime:
		return func(b []byte) (any, error) { return parseDuration(string(b)) }
	case cdc.KindSet:
		return func(b []byte) (any, error) {
			if len(b) == 0 {
				return []string{}, nil
			}
			return strings.Split(string(b), ","), nil
		}
	case cdc.KindBytes:
		return func(b []byte) (any, error) { return bytes.Clone(b), nil }
	case cdc.KindJSON:
		return func(b []byte) (any, error) { return json.RawMessage(bytes.Clone(b)), nil }
	}
	// Strings, enums and the types not mapped yet: text.
	return func(b []byte) (any, error) { return m.strs.Box(m.text.String(b)), nil }
}

// badNumber describes an integer column's text that is not an integer in range.
func badNumber(b []byte, err error) error {
	return fmt.Errorf("integer value %q: %w", b, err)
}

// mariadbTypeText renders the binlog form of MariaDB's UUID, INET4 and INET6 values
// as the server shows them.
func mariadbTypeText(dataType string, b []byte) (string, bool) {
	n := 16
	if dataType == "inet4" {
		n = 4
	}
	if len(b) < n { // the binlog drops the trailing zero bytes of fixed-length strings
		b = append(bytes.Clone(b), make([]byte, n-len(b))...)
	}
	switch {
	case dataType == "uuid" && len(b) == 16:
		return uuidString(b), true
	case dataType == "inet4" && len(b) == 4:
		return netip.AddrFrom4([4]byte(b)).String(), true
	case dataType == "inet6" && len(b) == 16:
		return netip.AddrFrom16([16]byte(b)).String(), true // IPv4-mapped as ::ffff:1.2.3.4, as MariaDB shows it
	}
	return "", false
}

// float32To64 converts a FLOAT value through its shortest decimal form, so 3.14
// becomes 3.14 (what a SELECT shows) rather than 3.140000104904175.
func float32To64(f float32) float64 {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return float64(f)
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}

// setMembers lists the members of a SET bit mask, in the order of the definition.
func setMembers(mask uint64, values []string) []string {
	out := []string{}
	for i, v := range values {
		if i < 64 && mask&(1<<i) != 0 {
			out = append(out, v)
		}
	}
	return out
}

// zeroTime is the value of the zero dates ('0000-00-00', '0000-00-00 00:00:00') and of
// dates with a zero month or day, which time.Time cannot represent.
var zeroTime = time.Time{}

// text is the text of a value: a string, or bytes of a result row.
type text interface{ ~string | ~[]byte }

// digits parses a non-empty run of ASCII digits.
func digits[T text](s T) (int, bool) {
	if len(s) == 0 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, true
}

// parseDate parses "YYYY-MM-DD"; the zero dates and dates with a zero month or day
// are zeroTime.
func parseDate[T text](s T) (time.Time, error) {
	days, zero, ok := dateDays(s)
	if !ok {
		return time.Time{}, fmt.Errorf("bad DATE %q", string(s))
	}
	if zero {
		return zeroTime, nil
	}
	return time.Unix(days*86400, 0).UTC(), nil
}

// dateDays reads "YYYY-MM-DD" as days since 1970-01-01, or says it is a zero date.
func dateDays[T text](s T) (days int64, zero, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false, false
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:])
	if !ok1 || !ok2 || !ok3 {
		return 0, false, false
	}
	if m == 0 || d == 0 {
		return 0, true, true
	}
	return textnum.DaysFromCivil(y, m, d), false, true
}

// parseDateTime parses "YYYY-MM-DD HH:MM:SS[.ffffff]" as UTC.
func parseDateTime[T text](s T) (time.Time, error) {
	if len(s) < 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, fmt.Errorf("bad DATETIME %q", string(s))
	}
	days, zero, ok := dateDays(s[:10])
	h, ok1 := digits(s[11:13])
	mi, ok2 := digits(s[14:16])
	sec, ok3 := digits(s[17:19])
	ns, err := parseFraction(s[19:])
	if !ok || !ok1 || !ok2 || !ok3 || err != nil {
		return time.Time{}, fmt.Errorf("bad DATETIME %q", string(s))
	}
	if zero {
		return zeroTime, nil
	}
	return time.Unix(days*86400+int64(h*3600+mi*60+sec), int64(ns)).UTC(), nil
}

// parseFraction parses "" or ".ffffff" to nanoseconds.
func parseFraction[T text](s T) (int, error) {
	if len(s) == 0 {
		return 0, nil
	}
	if s[0] != '.' || len(s) > 10 || len(s) < 2 {
		return 0, fmt.Errorf("bad fraction %q", string(s))
	}
	n, ok := digits(s[1:])
	if !ok {
		return 0, fmt.Errorf("bad fraction %q", string(s))
	}
	for i := len(s) - 1; i < 9; i++ {
		n *= 10
	}
	return n, nil
}

// parseDuration parses a TIME, "[-]HHH:MM:SS[.ffffff]", negative and beyond 24h included.
func parseDuration(s string) (time.Duration, error) {
	neg := strings.HasPrefix(s, "-")
	t := strings.TrimPrefix(s, "-")
	frac := ""
	if i := strings.IndexByte(t, '.'); i >= 0 {
		t, frac = t[:i], t[i:]
	}
	parts := strings.Split(t, ":")
	if len(parts) != 3 || len(parts[1]) != 2 || len(parts[2]) != 2 {
		return 0, fmt.Errorf("bad TIME %q", s)
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.Atoi(parts[2])
	ns, err4 := parseFraction(frac)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || h < 0 {
		return 0, fmt.Errorf("bad TIME %q", s)
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + time.Duration(ns)
	if neg {
		d = -d
	}
	return d, nil
}

// textDecoder returns the conversion of a column's bytes from its character set to a
// UTF-8 string, nil when the bytes are taken as they are: UTF-8, ASCII and character
// sets not known. latin1 (MySQL's latin1 is Windows-1252) has a table here; other
// character sets go through the encodings the TiDB parser knows.
func textDecoder(cs string) func([]byte) string {
	switch strings.ToLower(cs) {
	case "", "utf8", "utf8mb3", "utf8mb4", "ascii", "binary":
		return nil
	case "latin1":
		return latin1ToUTF8
	}
	label := strings.ToLower(cs)
	if l, ok := charsetLabels[label]; ok {
		label = l
	}
	enc, _ := charset.Lookup(label)
	if enc == nil {
		return nil
	}
	dec := enc.NewDecoder()
	return func(b []byte) string {
		out, err := dec.Bytes(b)
		if err != nil {
			return string(b)
		}
		return string(out)
	}
}

// charsetLabels maps MySQL character set names to the WHATWG labels of
// charset.Lookup where they differ.
var charsetLabels = map[string]string{
	"koi8r": "koi8-r", "koi8u": "koi8-u", "ujis": "euc-jp", "euckr": "euc-kr", "cp932": "shift_jis",
	"eucjpms": "euc-jp", "gb18030": "gb18030", "utf16": "utf-16be", "utf16le": "utf-16le",
	"hebrew": "iso-8859-8", "greek": "iso-8859-7", "latin2": "iso-8859-2", "latin5": "iso-8859-9",
	"latin7": "iso-8859-13", "swe7": "", "dec8": "", "hp8": "", "armscii8": "", "keybcs2": "", "geostd8": "",
}

// cp1252High maps the bytes 0x80..0x9F of MySQL's latin1 (Windows-1252; the five
// undefined bytes map to the C1 controls of the same value, as MySQL does).
var cp1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

func latin1ToUTF8(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for _, c := range b {
		switch {
		case c < 0x80:
			out = append(out, c)
		case c < 0xA0:
			out = utf8.AppendRune(out, cp1252High[c-0x80])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return string(out)
}

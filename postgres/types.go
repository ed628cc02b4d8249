package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/textnum"
)

// This file turns the text form of column values, as pgoutput sends them (each type's
// output function, under sessionParams), into the Go values of the value mapping in
// package cdc. Every decoder copies what it keeps: the caller reuses its buffer.
//
// Decisions beyond the mapping table:
//
//	oid, xid, cid                 int64 (KindInt); xid8 uint64 (KindUint)
//	float4                        float64 holding the exact float32 value ("1.1" gives
//	                              float64(float32(1.1))), as a binary decoder would
//	numeric                       cdc.Decimal with the scale as sent ("1.50"); NaN, ±Infinity
//	bpchar                        string with the blank padding as sent
//	"char", name, xml, jsonpath,  string (KindString)
//	citext (by name), enums
//	date, timestamp[tz]           ±infinity: cdc.PositiveInfinity / cdc.NegativeInfinity;
//	                              BC years are astronomical (1 BC is year 0)
//	time                          time.Duration; "24:00:00" is 24h
//	timetz                        string, text form (KindUnknown): a time.Duration would
//	                              drop the offset, and applying it is not a time of day
//	interval                      cdc.Interval; PostgreSQL 17's ±infinity is the
//	                              largest / smallest Interval, as PostgreSQL stores it
//	json, jsonb                   json.RawMessage (copied, not validated again)
//	hstore (by name)              map[string]any, values string or nil (KindDocument)
//	arrays                        []any, nested per dimension, nil for NULL; explicit
//	                              lower bounds are dropped ('[0:1]={1,2}' is {1, 2})
//	domains                       the base type's decoder and kind
//	int2vector, oidvector         string, text form ("1 2 3") (KindUnknown)
//	composite, range, multirange, string, text form (KindUnknown)
//	geometric, network, money,
//	bit strings, text search,
//	pg_lsn, reg*, unknown types

// typeInfo is a pg_type row.
type typeInfo struct {
	OID      uint32
	Name     string // typname: "int4", "_int4", "mood", "citext"
	Type     byte   // typtype: 'b' base, 'd' domain, 'e' enum, 'r' range, 'm' multirange, 'c' composite, 'p' pseudo
	Category byte   // typcategory ('A' array, ...)
	Elem     uint32 // element type of arrays (typelem when Category=='A'), else 0
	BaseType uint32 // domain base type (typbasetype), else 0
}

// sessionParams are the settings the replication connection must use so that the text
// decoders here can parse what pgoutput sends; the source passes them as connection
// RuntimeParams. pgoutput formats values with the walsender's settings, and converts
// them to client_encoding.
//
// The decoders also accept the other IntervalStyles except sql_standard, any TimeZone
// (timestamptz values carry their offset) and bytea_output=escape, but they need
// DateStyle ISO.
var sessionParams = map[string]string{
	"client_encoding":    "UTF8",
	"DateStyle":          "ISO, MDY",
	"TimeZone":           "UTC",
	"IntervalStyle":      "postgres",
	"extra_float_digits": "3",
	"bytea_output":       "hex",
}

// OIDs of the built-in types decoded here (fixed by PostgreSQL's catalog).
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt2Vector  = 22
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidXID         = 28
	oidCID         = 29
	oidOIDVector   = 30
	oidJSON        = 114
	oidXML         = 142
	oidBox         = 603
	oidFloat4      = 700
	oidFloat8      = 701
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestampTZ = 1184
	oidInterval    = 1186
	oidTimeTZ      = 1266
	oidBit         = 1560
	oidVarbit      = 1562
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
	oidJSONPath    = 4072
	oidXID8        = 5069
)

// builtinTypes are the built-in base, range and multirange types and their arrays, so
// that decoderFor knows them without a catalog look-up: name and array element.
var builtinTypes = map[uint32]struct {
	name string
	elem uint32
}{
	16: {"bool", 0}, 17: {"bytea", 0}, 18: {"char", 0}, 19: {"name", 0}, 20: {"int8", 0},
	21: {"int2", 0}, 22: {"int2vector", 21}, 23: {"int4", 0}, 24: {"regproc", 0}, 25: {"text", 0},
	26: {"oid", 0}, 27: {"tid", 0}, 28: {"xid", 0}, 29: {"cid", 0}, 30: {"oidvector", 26},
	114: {"json", 0}, 142: {"xml", 0}, 143: {"_xml", 142}, 199: {"_json", 114}, 271: {"_xid8", 5069},
	600: {"point", 0}, 601: {"lseg", 0}, 602: {"path", 0}, 603: {"box", 0}, 604: {"polygon", 0},
	628: {"line", 0}, 629: {"_line", 628}, 650: {"cidr", 0}, 651: {"_cidr", 650}, 700: {"float4", 0},
	701: {"float8", 0}, 718: {"circle", 0}, 719: {"_circle", 718}, 774: {"macaddr8", 0},
	775: {"_macaddr8", 774}, 790: {"money", 0}, 791: {"_money", 790}, 829: {"macaddr", 0},
	869: {"inet", 0}, 1000: {"_bool", 16}, 1001: {"_bytea", 17}, 1002: {"_char", 18},
	1003: {"_name", 19}, 1005: {"_int2", 21}, 1006: {"_int2vector", 22}, 1007: {"_int4", 23},
	1008: {"_regproc", 24}, 1009: {"_text", 25}, 1010: {"_tid", 27}, 1011: {"_xid", 28},
	1012: {"_cid", 29}, 1013: {"_oidvector", 30}, 1014: {"_bpchar", 1042}, 1015: {"_varchar", 1043},
	1016: {"_int8", 20}, 1017: {"_point", 600}, 1018: {"_lseg", 601}, 1019: {"_path", 602},
	1020: {"_box", 603}, 1021: {"_float4", 700}, 1022: {"_float8", 701}, 1027: {"_polygon", 604},
	1028: {"_oid", 26}, 1033: {"aclitem", 0}, 1034: {"_aclitem", 1033}, 1040: {"_macaddr", 829},
	1041: {"_inet", 869}, 1042: {"bpchar", 0}, 1043: {"varchar", 0}, 1082: {"date", 0},
	1083: {"time", 0}, 1114: {"timestamp", 0}, 1115: {"_timestamp", 1114}, 1182: {"_date", 1082},
	1183: {"_time", 1083}, 1184: {"timestamptz", 0}, 1185: {"_timestamptz", 1184},
	1186: {"interval", 0}, 1187: {"_interval", 1186}, 1231: {"_numeric", 1700}, 1266: {"timetz", 0},
	1270: {"_timetz", 1266}, 1560: {"bit", 0}, 1561: {"_bit", 1560}, 1562: {"varbit", 0},
	1563: {"_varbit", 1562}, 1700: {"numeric", 0}, 1790: {"refcursor", 0}, 2201: {"_refcursor", 1790},
	2202: {"regprocedure", 0}, 2203: {"regoper", 0}, 2204: {"regoperator", 0}, 2205: {"regclass", 0},
	2206: {"regtype", 0}, 2207: {"_regprocedure", 2202}, 2208: {"_regoper", 2203},
	2209: {"_regoperator", 2204}, 2210: {"_regclass", 2205}, 2211: {"_regtype", 2206},
	2949: {"_txid_snapshot", 2970}, 2950: {"uuid", 0}, 2951: {"_uuid", 2950},
	2970: {"txid_snapshot", 0}, 3220: {"pg_lsn", 0}, 3221: {"_pg_lsn", 3220}, 3614: {"tsvector", 0},
	3615: {"tsquery", 0}, 3642: {"gtsvector", 0}, 3643: {"_tsvector", 3614}, 3644: {"_gtsvector", 3642},
	3645: {"_tsquery", 3615}, 3734: {"regconfig", 0}, 3735: {"_regconfig", 3734},
	3769: {"regdictionary", 0}, 3770: {"_regdictionary", 3769}, 3802: {"jsonb", 0},
	3807: {"_jsonb", 3802}, 3904: {"int4range", 0}, 3905: {"_int4range", 3904}, 3906: {"numrange", 0},
	3907: {"_numrange", 3906}, 3908: {"tsrange", 0}, 3909: {"_tsrange", 3908}, 3910: {"tstzrange", 0},
	3911: {"_tstzrange", 3910}, 3912: {"daterange", 0}, 3913: {"_daterange", 3912},
	3926: {"int8range", 0}, 3927: {"_int8range", 3926}, 4072: {"jsonpath", 0}, 4073: {"_jsonpath", 4072},
	4089: {"regnamespace", 0}, 4090: {"_regnamespace", 4089}, 4096: {"regrole", 0},
	4097: {"_regrole", 4096}, 4191: {"regcollation", 0}, 4192: {"_regcollation", 4191},
	4451: {"int4multirange", 0}, 4532: {"nummultirange", 0}, 4533: {"tsmultirange", 0},
	4534: {"tstzmultirange", 0}, 4535: {"datemultirange", 0}, 4536: {"int8multirange", 0},
	5038: {"pg_snapshot", 0}, 5039: {"_pg_snapshot", 5038}, 5069: {"xid8", 0},
	6150: {"_int4multirange", 4451}, 6151: {"_nummultirange", 4532}, 6152: {"_tsmultirange", 4533},
	6153: {"_tstzmultirange", 4534}, 6155: {"_datemultirange", 4535}, 6157: {"_int8multirange", 4536},
}

// lookupType finds a type in types, then among the built-in types.
func lookupType(oid uint32, types map[uint32]typeInfo) (typeInfo, bool) {
	if ti, ok := types[oid]; ok {
		return ti, true
	}
	if b, ok := builtinTypes[oid]; ok {
		ti := typeInfo{OID: oid, Name: b.name, Type: 'b', Elem: b.elem}
		if b.elem != 0 {
			ti.Category = 'A'
		}
		return ti, true
	}
	return typeInfo{}, false
}

// isArray reports whether ti is a true array type, whose text form is '{...}'.
// int2vector and oidvector have an element type too but print as "1 2 3".
func (ti typeInfo) isArray() bool {
	return ti.Category == 'A' && ti.Elem != 0 && ti.OID != oidInt2Vector && ti.OID != oidOIDVector
}

// maxTypeDepth bounds the domain and array chains followed (a corrupt cache could
// hold a cycle; PostgreSQL itself allows 6 array dimensions).
const maxTypeDepth = 16

// loadTypes reads the pg_type rows of oids, and recursively of the element types of
// arrays and the base types of domains they need, into cache. OIDs already in cache are
// not queried, nor is anything when all are there. It uses one simple-protocol query, so
// it works on a replication=database connection. OIDs that pg_type does not hold (a type
// dropped since) are left out of cache: decoderFor then falls back to the text form.
func loadTypes(ctx context.Context, conn *pgconn.PgConn, cache map[uint32]typeInfo, oids []uint32) error {
	var list []byte
	seen := make(map[uint32]bool, len(oids))
	for _, oid := range oids {
		if oid == 0 || seen[oid] {
			continue
		}
		seen[oid] = true
		if _, ok := cache[oid]; ok {
			continue
		}
		if len(list) > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendUint(list, uint64(oid), 10)
	}
	if len(list) == 0 {
		return nil
	}
	sql := `WITH RECURSIVE r(oid) AS (
	SELECT t.oid FROM pg_catalog.pg_type t WHERE t.oid IN (` + string(list) + `)
	UNION
	SELECT x.oid FROM r JOIN pg_catalog.pg_type t ON t.oid = r.oid
	CROSS JOIN LATERAL (VALUES
		(CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE '0'::pg_catalog.oid END),
		(t.typbasetype)) AS x(oid)
	WHERE x.oid <> '0'::pg_catalog.oid
)
SELECT t.oid, t.typname, t.typtype, t.typcategory,
	CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE '0'::pg_catalog.oid END,
	t.typbasetype
FROM pg_catalog.pg_type t JOIN r ON r.oid = t.oid`
	results, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return fmt.Errorf("postgres: loading types: %w", err)
	}
	for _, res := range results {
		if res.Err != nil {
			return fmt.Errorf("postgres: loading types: %w", res.Err)
		}
		for _, row := range res.Rows {
			ti, err := parseTypeRow(row)
			if err != nil {
				return fmt.Errorf("postgres: loading types: %w", err)
			}
			if _, ok := cache[ti.OID]; !ok {
				cache[ti.OID] = ti
			}
		}
	}
	return nil
}

// parseTypeRow parses a text-format row (oid, typname, typtype, typcategory, elem, basetype).
func parseTypeRow(row [][]byte) (typeInfo, error) {
	if len(row) != 6 {
		return typeInfo{}, fmt.Errorf("pg_type row has %d columns, want 6", len(row))
	}
	var nums [3]uint32
	for i, col := range [3]int{0, 4, 5} {
		n, err := strconv.ParseUint(string(row[col]), 10, 32)
		if err != nil {
			return typeInfo{}, fmt.Errorf("pg_type row: bad oid %q", clipInput(row[col]))
		}
		nums[i] = uint32(n)
	}
	first := func(b []byte) byte {
		if len(b) == 0 {
			return 0
		}
		return b[0]
	}
	return typeInfo{OID: nums[0], Name: string(row[1]), Type: first(row[2]), Category: first(row[3]),
		Elem: nums[1], BaseType: nums[2]}, nil
}

// decoderFor returns the display name of a column type with its modifiers, as
// format_type() shows it ("numeric(10,2)", "character varying(20)", "integer[]"), the
// cdc.Kind of its values and the function that decodes its text form. typmod is the
// column's atttypmod, -1 for none. types holds pg_type rows (loadTypes); built-in types
// are known without them. Types that are neither decode to their text form as a string
// (KindUnknown). The decoder copies what it keeps: the input buffer may be reused.
func decoderFor(oid uint32, typmod int32, types map[uint32]typeInfo) (name string, kind cdc.Kind, dec func([]byte) (any, error)) {
	name = formatType(oid, typmod, types, 0)
	kind, raw := rawDecoder(oid, types, 0)
	return name, kind, namedDecoder(name, raw)
}

// decodeError is a value that its type's decoder rejected.
type decodeError struct {
	Type  string // display name of the type
	Input string // the text, clipped
	Err   error
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("postgres: cannot decode %s value %s: %v", e.Type, e.Input, e.Err)
}

func (e *decodeError) Unwrap() error { return e.Err }

// clipInputLen is how much of a bad value an error message quotes.
const clipInputLen = 64

// clipInput quotes b for an error message, cut to clipInputLen bytes.
func clipInput(b []byte) string {
	if len(b) <= clipInputLen {
		return strconv.Quote(string(b))
	}
	cut := clipInputLen
	for cut > clipInputLen-utf8.UTFMax && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strconv.Quote(string(b[:cut])) + fmt.Sprintf("... (%d bytes)", len(b))
}

// namedDecoder wraps a decoder so that its errors name the type and the input, and so
// that a decoder bug shows up as an error instead of a panic in the stream.
func namedDecoder(name string, raw func([]byte) (any, error)) func([]byte) (any, error) {
	return func(b []byte) (v any, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, &decodeError{Type: name, Input: clipInput(b), Err: fmt.Errorf("decoder panic: %v", r)}
			}
		}()
		v, err = raw(b)
		if err != nil {
			return nil, &decodeError{Type: name, Input: clipInput(b), Err: err}
		}
		return v, nil
	}
}

// rawDecoder picks the decoder of a type by OID for built-in types and by pg_type row
// for the others.
func rawDecoder(oid uint32, types map[uint32]typeInfo, depth int) (cdc.Kind, func([]byte) (any, error)) {
	switch oid {
	case oidInt2, oidInt4, oidInt8:
		return cdc.KindInt, decodeInt
	case oidOID, oidXID, oidCID:
		return cdc.KindInt, decodeUint32
	case oidXID8:
		return cdc.KindUint, decodeUint64
	case oidFloat4:
		return cdc.KindFloat, decodeFloat4
	case oidFloat8:
		return cdc.KindFloat, decodeFloat8
	case oidNumeric:
		return cdc.KindDecimal, decodeNumeric
	case oidText, oidVarchar, oidBPChar, oidName, oidChar, oidXML, oidJSONPath:
		return cdc.KindString, decodeString
	case oidBytea:
		return cdc.KindBytes, decodeBytea
	case oidBool:
		return cdc.KindBool, decodeBool
	case oidDate:
		return cdc.KindDate, decodeDate
	case oidTime:
		return cdc.KindTime, decodeTime
	case oidTimestamp:
		return cdc.KindTimestamp, decodeTimestamp
	case oidTimestampTZ:
		return cdc.KindTimestamp, decodeTimestampTZ
	case oidInterval:
		return cdc.KindInterval, decodeInterval
	case oidJSON, oidJSONB:
		return cdc.KindJSON, decodeJSON
	case oidUUID:
		return cdc.KindUUID, decodeUUID
	}
	ti, ok := lookupType(oid, types)
	if !ok || depth >= maxTypeDepth {
		return cdc.KindUnknown, decodeString
	}
	switch {
	case ti.Type == 'd':
		if ti.BaseType == 0 {
			return cdc.KindUnknown, decodeString
		}
		return rawDecoder(ti.BaseType, types, depth+1)
	case ti.Type == 'e':
		return cdc.KindString, decodeString
	case ti.isArray():
		_, elemRaw := rawDecoder(ti.Elem, types, depth+1)
		elemName := formatType(ti.Elem, -1, types, depth+1)
		delim := byte(',')
		if baseOID(ti.Elem, types) == oidBox {
			delim = ';' // box's typdelim, copied by domains over box
		}
		return cdc.KindArray, func(b []byte) (any, error) {
			return parseArray(b, delim, elemName, elemRaw)
		}
	case ti.Type == 'b' && ti.Name == "citext":
		return cdc.KindString, decodeString
	case ti.Type == 'b' && ti.Name == "hstore":
		return cdc.KindDocument, decodeHstore
	}
	return cdc.KindUnknown, decodeString
}

// baseOID follows a chain of domains to the underlying type.
func baseOID(oid uint32, types map[uint32]typeInfo) uint32 {
	for range maxTypeDepth {
		ti, ok := lookupType(oid, types)
		if !ok || ti.Type != 'd' || ti.BaseType == 0 {
			return oid
		}
		oid = ti.BaseType
	}
	return oid
}

// formatType renders a type and its modifier like PostgreSQL's format_type(). Unlike
// format_type it never qualifies a name with its schema (typeInfo does not hold it),
// and it shows the modifier only of built-in types.
func formatType(oid uint32, typmod int32, types map[uint32]typeInfo, depth int) string {
	ti, ok := lookupType(oid, types)
	if !ok || depth >= maxTypeDepth {
		return "???"
	}
	if ti.isArray() {
		return formatType(ti.Elem, typmod, types, depth+1) + "[]"
	}
	with := typmod >= 0
	switch oid {
	case oidBool:
		return "boolean"
	case oidInt2:
		return "smallint"
	case oidInt4:
		return "integer"
	case oidInt8:
		return "bigint"
	case oidFloat4:
		return "real"
	case oidFloat8:
		return "double precision"
	case oidNumeric:
		if with {
			// PostgreSQL 15 allows a negative scale: 11 bits, sign-extended.
			prec := ((typmod - 4) >> 16) & 0xffff
			scale := (((typmod - 4) & 0x7ff) ^ 1024) - 1024
			return fmt.Sprintf("numeric(%d,%d)", prec, scale)
		}
		return "numeric"
	case oidBPChar:
		if with {
			return "character" + charTypmod(typmod)
		}
		return "bpchar" // bpchar without length is not character(1)
	case oidVarchar:
		return "character varying" + charTypmod(typmod)
	case oidBit:
		if with {
			return fmt.Sprintf("bit(%d)", typmod)
		}
		return `"bit"` // plain bit would mean bit(1)
	case oidVarbit:
		if with {
			return fmt.Sprintf("bit varying(%d)", typmod)
		}
		return "bit varying"
	case oidTime:
		return "time" + precTypmod(typmod) + " without time zone"
	case oidTimeTZ:
		return "time" + precTypmod(typmod) + " with time zone"
	case oidTimestamp:
		return "timestamp" + precTypmod(typmod) + " without time zone"
	case oidTimestampTZ:
		return "timestamp" + precTypmod(typmod) + " with time zone"
	case oidInterval:
		return "interval" + intervalTypmod(typmod)
	case oidChar:
		return `"char"`
	}
	if _, builtin := builtinTypes[oid]; builtin {
		return ti.Name // unquoted even where later versions made the name a keyword (json)
	}
	return formatTypeIdent(ti.Name)
}

func charTypmod(typmod int32) string {
	if typmod > 4 {
		return fmt.Sprintf("(%d)", typmod-4)
	}
	return ""
}

func precTypmod(typmod int32) string {
	if typmod >= 0 {
		return fmt.Sprintf("(%d)", typmod)
	}
	return ""
}

// intervalTypmod is intervaltypmodout: the fields restriction and the precision.
func intervalTypmod(typmod int32) string {
	if typmod < 0 {
		return ""
	}
	const (
		month  = 1 << 1
		year   = 1 << 2
		day    = 1 << 3
		hour   = 1 << 10
		minute = 1 << 11
		second = 1 << 12
	)
	var fields string
	switch (typmod >> 16) & 0x7fff {
	case year:
		fields = " year"
	case month:
		fields = " month"
	case day:
		fields = " day"
	case hour:
		fields = " hour"
	case minute:
		fields = " minute"
	case second:
		fields = " second"
	case year | month:
		fields = " year to month"
	case day | hour:
		fields = " day to hour"
	case day | hour | minute:
		fields = " day to minute"
	case day | hour | minute | second:
		fields = " day to second"
	case hour | minute:
		fields = " hour to minute"
	case hour | minute | second:
		fields = " hour to second"
	case minute | second:
		fields = " minute to second"
	}
	if prec := typmod & 0xffff; prec != 0xffff {
		return fmt.Sprintf("%s(%d)", fields, prec)
	}
	return fields
}

// formatTypeIdent is quote_identifier: names that are not all lower-case letters, digits and
// underscores, or that are SQL keywords, are double-quoted.
func formatTypeIdent(s string) string {
	safe := s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '_')
	for i := 0; safe && i < len(s); i++ {
		c := s[i]
		safe = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if safe && !reservedKeywords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedKeywords are the keywords that quote_identifier quotes (all but the unreserved
// ones), as of PostgreSQL 15: SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'.
var reservedKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric
		authorization between bigint binary bit boolean both case cast char character check
		coalesce collate collation column concurrently constraint create cross current_catalog
		current_date current_role current_schema current_time current_timestamp current_user dec
		decimal default deferrable desc distinct do else end except exists extract false fetch
		float for foreign freeze from full grant greatest group grouping having ilike in
		initially inner inout int integer intersect interval into is isnull join lateral
		leading least left like limit localtime localtimestamp national natural nchar none
		normalize not notnull null
		nullif numeric offset on only or order out outer overlaps overlay placing position
		precision primary real references returning right row select session_user setof
		similar smallint some substring symmetric table tablesample then time
		timestamp to trailing treat trim true union unique user using values varchar variadic
		verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest
		xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`) {
		m[w] = true
	}
	return m
}()

// --- scalar decoders ---

var (
	errBadSyntax  = textnum.ErrSyntax
	errOutOfRange = textnum.ErrRange
)

func decodeString(b []byte) (any, error) { return string(b), nil }

func decodeInt(b []byte) (any, error) {
	n, err := textnum.ParseInt(b)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func decodeUint32(b []byte) (any, error) {
	n, err := textnum.ParseUint(b)
	if err != nil {
		return nil, err
	}
	if n > math.MaxUint32 {
		return nil, errOutOfRange
	}
	return int64(n), nil
}

func decodeUint64(b []byte) (any, error) {
	n, err := textnum.ParseUint(b)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func parseFloatText(b []byte, bits int) (float64, error) {
	f, err := strconv.ParseFloat(string(b), bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			return 0, ne.Err // without the (possibly huge) input
		}
		return 0, err
	}
	return f, nil
}

// decodeFloat4 returns the float32 value as a float64: PostgreSQL prints the shortest
// text that reads back as the same float32, so "1.1" is float32(1.1), i.e.
// 1.100000023841858 as a float64 — what a binary decoder gives too.
func decodeFloat4(b []byte) (any, error) {
	f, err := parseFloatText(b, 32)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func decodeFloat8(b []byte) (any, error) {
	f, err := parseFloatText(b, 64)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func decodeNumeric(b []byte) (any, error) {
	d, err := cdc.ParseDecimal(string(b))
	if err != nil {
		return nil, errBadSyntax
	}
	return d, nil
}

func decodeBool(b []byte) (any, error) {
	switch string(b) {
	case "t", "true":
		return true, nil
	case "f", "false":
		return false, nil
	}
	return nil, errBadSyntax
}

// decodeBytea reads the hex format ("\x00ff") and, for robustness, the escape format
// ("a\000\\").
func decodeBytea(b []byte) (any, error) {
	if len(b) >= 2 && b[0] == '\\' && b[1] == 'x' {
		h := b[2:]
		if len(h)%2 != 0 {
			return nil, errors.New("odd number of hex digits")
		}
		out := make([]byte, len(h)/2)
		if _, err := hex.Decode(out, h); err != nil {
			return nil, errors.New("invalid hex digit")
		}
		return out, nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(b) && b[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(b) && isOctal(b[i+1]) && isOctal(b[i+2]) && isOctal(b[i+3]) && b[i+1] <= '3':
			out = append(out, (b[i+1]-'0')<<6|(b[i+2]-'0')<<3|(b[i+3]-'0'))
			i += 3
		default:
			return nil, errors.New("invalid escape")
		}
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// decodeJSON copies the text: json keeps its input text, jsonb is normalised by the
// server. Both are valid JSON, so it is not parsed again.
func decodeJSON(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, errors.New("empty JSON")
	}
	return json.RawMessage(bytes.Clone(b)), nil
}

// decodeUUID returns the canonical lower-case form.
func decodeUUID(b []byte) (any, error) {
	if len(b) != 36 {
		return nil, errBadSyntax
	}
	out := make([]byte, 36)
	for i, c := range b {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return nil, errBadSyntax
			}
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			return nil, errBadSyntax
		}
		out[i] = c
	}
	return string(out), nil
}

// --- dates and times (DateStyle ISO) ---

// textScanner reads a value left to right.
type textScanner struct {
	b []byte
	i int
}

func (s *textScanner) done() bool { return s.i >= len(s.b) }

func (s *textScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *textScanner) accept(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *textScanner) acceptString(t string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(t)) {
		s.i += len(t)
		return true
	}
	return false
}

// digits reads between min and max decimal digits.
func (s *textScanner) digits(min, max int) (int64, bool) {
	var n int64
	k := 0
	for s.i < len(s.b) && k < max && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		n = n*10 + int64(s.b[s.i]-'0')
		s.i++
		k++
	}
	return n, k >= min
}

// fraction reads ".ddd" (if present) as nanoseconds; up to 9 digits.
func (s *textScanner) fraction() (int64, bool) {
	if !s.accept('.') {
		return 0, true
	}
	start := s.i
	n, ok := s.digits(1, 9)
	if !ok || (s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9') {
		return 0, false
	}
	for k := s.i - start; k < 9; k++ {
		n *= 10
	}
	return n, true
}

var errDate = errors.New("invalid date")

// date reads "YYYY-MM-DD" (the year may have more digits) and checks it.
func (s *textScanner) date() (year, month, day int, ok bool) {
	y, ok1 := s.digits(1, 9)
	ok2 := s.accept('-')
	m, ok3 := s.digits(1, 2)
	ok4 := s.accept('-')
	d, ok5 := s.digits(1, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || m < 1 || m > 12 || d < 1 || d > int64(daysIn(int(m))) {
		return 0, 0, 0, false
	}
	return int(y), int(m), int(d), true
}

// bc reads a trailing " BC" and turns the year into an astronomical one (1 BC is year 0).
func (s *textScanner) bc(year int) int {
	if s.acceptString(" BC") {
		return 1 - year
	}
	return year
}

// daysIn is the most days a month can have (Feb 29 is checked by checkDay once the
// era is known).
func daysIn(month int) int {
	switch month {
	case 2:
		return 29
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// checkDay checks Feb 29 against the astronomical year (1 BC is year 0, a leap year).
func checkDay(year, month, day int) bool {
	if month != 2 || day < 29 {
		return true
	}
	return year%4 == 0 && (year%100 != 0 || year%400 == 0)
}

// infinity recognises PostgreSQL's infinite dates and timestamps.
func parseInfinity(b []byte) (cdc.Infinity, bool) {
	switch string(b) {
	case "infinity":
		return cdc.PositiveInfinity, true
	case "-infinity":
		return cdc.NegativeInfinity, true
	}
	return 0, false
}

// decodeDate returns the date at UTC midnight, or a cdc.Infinity.
func decodeDate(b []byte) (any, error) {
	if inf, ok := parseInfinity(b); ok {
		return inf, nil
	}
	s := textScanner{b: b}
	y, m, d, ok := s.date()
	if !ok {
		return nil, errDate
	}
	y = s.bc(y)
	if !s.done() || !checkDay(y, m, d) {
		return nil, errDate
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// clock reads "HH:MM:SS[.ffffff]" as a duration; hours up to maxHour.
func (s *textScanner) clock(maxHour int64) (time.Duration, bool) {
	h, ok1 := s.digits(1, 2)
	ok2 := s.accept(':')
	m, ok3 := s.digits(2, 2)
	ok4 := s.accept(':')
	sec, ok5 := s.digits(2, 2)
	ns, ok6 := s.fraction()
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || h > maxHour || m > 59 || sec > 59 {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + time.Duration(ns)
	if d > 24*time.Hour {
		return 0, false
	}
	return d, true
}

var errTime = errors.New("invalid time")

// decodeTime returns the time of day as a duration since midnight; "24:00:00" is 24h.
func decodeTime(b []byte) (any, error) {
	s := textScanner{b: b}
	d, ok := s.clock(24)
	if !ok || !s.done() {
		return nil, errTime
	}
	return d, nil
}

var errTimestamp = errors.New("invalid timestamp")

func decodeTimestamp(b []byte) (any, error) { return parseTimestamp(b, false) }

func decodeTimestampTZ(b []byte) (any, error) { return parseTimestamp(b, true) }

// parseTimestamp reads "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]" and returns
// the instant in UTC (a timestamp without time zone is taken as UTC), or a cdc.Infinity.
func parseTimestamp(b []byte, withTZ bool) (any, error) {
	if inf, ok := parseInfinity(b); ok {
		return inf, nil
	}
	s := textScanner{b: b}
	y, m, d, ok := s.date()
	if !ok || !(s.accept(' ') || s.accept('T')) {
		return nil, errTimestamp
	}
	clock, ok := s.clock(23)
	if !ok {
		return nil, errTimestamp
	}
	var offset int64 // seconds east of UTC
	if withTZ {
		switch c := s.peek(); c {
		case '+', '-':
			s.i++
			h, ok := s.digits(1, 2)
			if !ok {
				return nil, errTimestamp
			}
			var mins, secs int64
			if s.accept(':') {
				if mins, ok = s.digits(2, 2); !ok || mins > 59 {
					return nil, errTimestamp
				}
				if s.accept(':') {
					if secs, ok = s.digits(2, 2); !ok || secs > 59 {
						return nil, errTimestamp
					}
				}
			}
			offset = h*3600 + mins*60 + secs
			if c == '-' {
				offset = -offset
			}
		case 'Z':
			s.i++
		}
	}
	y = s.bc(y)
	if !s.done() || !checkDay(y, m, d) {
		return nil, errTimestamp
	}
	// time.Unix over the day count, not time.Date: a third of the cost, same result.
	secs := textnum.DaysFromCivil(y, m, d)*86400 + int64(clock/time.Second) - offset
	return time.Unix(secs, int64(clock%time.Second)).UTC(), nil
}

// --- intervals ---

var errInterval = errors.New("invalid interval")

// decodeInterval reads the output of IntervalStyle postgres ("1 year 2 mons -3 days
// +04:05:06.5"), postgres_verbose ("@ 1 year 2 mons -3 days 4 hours 5 mins 6.5 secs ago")
// and iso_8601 ("P1Y2M-3DT4H5M6.5S"). sql_standard ("+1-2 -3 +4:05:06") is ambiguous
// and mostly rejected. PostgreSQL 17's infinite intervals decode as the largest and
// smallest Interval, which is how PostgreSQL stores them.
func decodeInterval(b []byte) (any, error) {
	iv, err := parseInterval(b)
	if err != nil {
		return nil, err
	}
	return iv, nil
}

// intervalAcc sums interval parts with overflow checks.
type intervalAcc struct {
	months, days, micros int64
	ok                   bool
}

func (a *intervalAcc) add(p *int64, v, limitLo, limitHi int64) {
	s := *p + v
	if (v > 0 && s < *p) || (v < 0 && s > *p) || s < limitLo || s > limitHi {
		a.ok = false
		return
	}
	*p = s
}

func (a *intervalAcc) addMonths(v int64) { a.add(&a.months, v, math.MinInt32, math.MaxInt32) }
func (a *intervalAcc) addDays(v int64)   { a.add(&a.days, v, math.MinInt32, math.MaxInt32) }
func (a *intervalAcc) addMicros(v int64) { a.add(&a.micros, v, math.MinInt64, math.MaxInt64) }

// mul returns n*unit with sign, or false on overflow of int64 (n is a magnitude).
func mulSigned(n uint64, unit uint64, neg bool) (int64, bool) {
	if unit != 0 && n > (1<<63)/unit {
		return 0, false
	}
	p := n * unit
	if neg {
		if p > 1<<63 {
			return 0, false
		}
		return -int64(p), true
	}
	if p > math.MaxInt64 {
		return 0, false
	}
	return int64(p), true
}

func (a *intervalAcc) result() (cdc.Interval, error) {
	if !a.ok {
		return cdc.Interval{}, errInterval
	}
	return cdc.Interval{Months: int32(a.months), Days: int32(a.days), Microseconds: a.micros}, nil
}

func parseInterval(b []byte) (cdc.Interval, error) {
	switch string(b) {
	case "infinity": // PostgreSQL 17: stored, and sent in binary, as the largest interval
		return cdc.Interval{Months: math.MaxInt32, Days: math.MaxInt32, Microseconds: math.MaxInt64}, nil
	case "-infinity":
		return cdc.Interval{Months: math.MinInt32, Days: math.MinInt32, Microseconds: math.MinInt64}, nil
	}
	if len(b) > 0 && b[0] == 'P' {
		return parseISOInterval(b[1:])
	}
	acc := intervalAcc{ok: true}
	f := bytes.Fields(b)
	if len(f) > 0 && string(f[0]) == "@" {
		f = f[1:]
	}
	negAll := false
	if len(f) > 0 && string(f[len(f)-1]) == "ago" {
		negAll = true
		f = f[:len(f)-1]
	}
	if len(f) == 0 {
		return cdc.Interval{}, errInterval
	}
	for i := 0; i < len(f); i++ {
		tok := f[i]
		neg := false
		if tok[0] == '+' || tok[0] == '-' {
			neg = tok[0] == '-'
			tok = tok[1:]
		}
		neg = neg != negAll
		if bytes.IndexByte(tok, ':') >= 0 { // [-]H:MM:SS[.ffffff], hours unbounded
			us, ok := parseIntervalClock(tok, neg)
			if !ok {
				return cdc.Interval{}, errInterval
			}
			acc.addMicros(us)
			continue
		}
		intPart, frac := tok, []byte(nil)
		if j := bytes.IndexByte(tok, '.'); j >= 0 {
			intPart, frac = tok[:j], tok[j+1:]
		}
		n, err := textnum.ParseUint(intPart)
		if err != nil {
			return cdc.Interval{}, errInterval
		}
		if i+1 >= len(f) { // a bare number: only "@ 0"
			if n != 0 || frac != nil {
				return cdc.Interval{}, errInterval
			}
			continue
		}
		i++
		unit := string(f[i])
		if frac != nil && unit != "sec" && unit != "secs" {
			return cdc.Interval{}, errInterval
		}
		switch unit {
		case "year", "years":
			v, ok := mulSigned(n, 12, neg)
			acc.ok = acc.ok && ok
			acc.addMonths(v)
		case "mon", "mons":
			v, ok := mulSigned(n, 1, neg)
			acc.ok = acc.ok && ok
			acc.addMonths(v)
		case "day", "days":
			v, ok := mulSigned(n, 1, neg)
			acc.ok = acc.ok && ok
			acc.addDays(v)
		case "hour", "hours":
			v, ok := mulSigned(n, 3600e6, neg)
			acc.ok = acc.ok && ok
			acc.addMicros(v)
		case "min", "mins":
			v, ok := mulSigned(n, 60e6, neg)
			acc.ok = acc.ok && ok
			acc.addMicros(v)
		case "sec", "secs":
			us, ok := secondsMicros(n, frac, neg)
			acc.ok = acc.ok && ok
			acc.addMicros(us)
		default:
			return cdc.Interval{}, errInterval
		}
		if !acc.ok {
			return cdc.Interval{}, errInterval
		}
	}
	return acc.result()
}

// secondsMicros converts seconds and a fraction of up to 6 digits to microseconds.
func secondsMicros(sec uint64, frac []byte, neg bool) (int64, bool) {
	if len(frac) > 6 {
		return 0, false
	}
	var f uint64
	if frac != nil {
		var err error
		if f, err = textnum.ParseUint(frac); err != nil {
			return 0, false
		}
		for k := len(frac); k < 6; k++ {
			f *= 10
		}
	}
	if sec > (1<<63)/1_000_000 {
		return 0, false
	}
	mag := sec*1e6 + f
	if neg {
		if mag > 1<<63 {
			return 0, false
		}
		return -int64(mag), true
	}
	if mag > math.MaxInt64 {
		return 0, false
	}
	return int64(mag), true
}

// parseIntervalClock reads "H:MM:SS[.ffffff]" (any number of hour digits) as
// microseconds with the given sign.
func parseIntervalClock(tok []byte, neg bool) (int64, bool) {
	parts := bytes.Split(tok, []byte{':'})
	if len(parts) != 3 || len(parts[1]) != 2 || len(parts[2]) < 2 {
		return 0, false
	}
	h, err1 := textnum.ParseUint(parts[0])
	m, err2 := textnum.ParseUint(parts[1])
	secText, frac := parts[2], []byte(nil)
	if j := bytes.IndexByte(secText, '.'); j >= 0 {
		secText, frac = secText[:j], secText[j+1:]
	}
	s, err3 := textnum.ParseUint(secText)
	if err1 != nil || err2 != nil || err3 != nil || m > 59 || s > 59 || len(secText) != 2 || (frac != nil && len(frac) == 0) {
		return 0, false
	}
	if h > (1<<63)/3_600_000_000 {
		return 0, false
	}
	sub, ok := secondsMicros(m*60+s, frac, false)
	if !ok {
		return 0, false
	}
	mag := h*3600e6 + uint64(sub)
	if neg {
		if mag > 1<<63 {
			return 0, false
		}
		return -int64(mag), true
	}
	if mag > math.MaxInt64 {
		return 0, false
	}
	return int64(mag), true
}

// parseISOInterval reads the part after 'P' of "P1Y2M3W4DT5H6M7.5S"; every number may
// carry a sign, only seconds a fraction.
func parseISOInterval(b []byte) (cdc.Interval, error) {
	acc := intervalAcc{ok: true}
	inTime, seen := false, false
	for i := 0; i < len(b); {
		if b[i] == 'T' && !inTime {
			inTime = true
			i++
			continue
		}
		neg := false
		if b[i] == '-' || b[i] == '+' {
			neg = b[i] == '-'
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		n, err := textnum.ParseUint(b[start:i])
		if err != nil {
			return cdc.Interval{}, errInterval
		}
		var frac []byte
		if i < len(b) && b[i] == '.' {
			i++
			fs := i
			for i < len(b) && b[i] >= '0' && b[i] <= '9' {
				i++
			}
			frac = b[fs:i]
			if len(frac) == 0 {
				return cdc.Interval{}, errInterval
			}
		}
		if i >= len(b) {
			return cdc.Interval{}, errInterval
		}
		unit := b[i]
		i++
		if frac != nil && !(inTime && unit == 'S') {
			return cdc.Interval{}, errInterval
		}
		var v int64
		ok := true
		switch {
		case !inTime && unit == 'Y':
			v, ok = mulSigned(n, 12, neg)
			acc.addMonths(v)
		case !inTime && unit == 'M':
			v, ok = mulSigned(n, 1, neg)
			acc.addMonths(v)
		case !inTime && unit == 'W':
			v, ok = mulSigned(n, 7, neg)
			acc.addDays(v)
		case !inTime && unit == 'D':
			v, ok = mulSigned(n, 1, neg)
			acc.addDays(v)
		case inTime && unit == 'H':
			v, ok = mulSigned(n, 3600e6, neg)
			acc.addMicros(v)
		case inTime && unit == 'M':
			v, ok = mulSigned(n, 60e6, neg)
			acc.addMicros(v)
		case inTime && unit == 'S':
			v, ok = secondsMicros(n, frac, neg)
			acc.addMicros(v)
		default:
			return cdc.Interval{}, errInterval
		}
		if !ok || !acc.ok {
			return cdc.Interval{}, errInterval
		}
		seen = true
	}
	if !seen {
		return cdc.Interval{}, errInterval
	}
	return acc.result()
}

// --- hstore ---

var errHstore = errors.New("invalid hstore")

func decodeHstore(b []byte) (any, error) {
	m, err := parseHstore(b)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// parseHstore reads `"key"=>"value", "k2"=>NULL`: keys and values quoted (with \" and \\
// escapes) or bare words; a bare NULL value is nil. The first of duplicate keys wins, as
// in hstore_in.
func parseHstore(b []byte) (map[string]any, error) {
	m := map[string]any{}
	s := textScanner{b: b}
	var scratch []byte
	for {
		s.skipSpace()
		if s.done() {
			return m, nil
		}
		key, _, ok := s.hstoreWord(&scratch, true)
		if !ok {
			return nil, errHstore
		}
		k := string(key)
		s.skipSpace()
		if !s.acceptString("=>") {
			return nil, errHstore
		}
		s.skipSpace()
		val, quoted, ok := s.hstoreWord(&scratch, false)
		if !ok {
			return nil, errHstore
		}
		var v any
		if quoted || !bytes.EqualFold(val, []byte("NULL")) {
			v = string(val)
		}
		if _, dup := m[k]; !dup {
			m[k] = v
		}
		s.skipSpace()
		if s.done() {
			return m, nil
		}
		if !s.accept(',') {
			return nil, errHstore
		}
	}
}

func (s *textScanner) skipSpace() {
	for s.i < len(s.b) && isPGSpace(s.b[s.i]) {
		s.i++
	}
}

func isPGSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// hstoreWord reads a quoted string or a bare word (ended by space, '=' for keys, ','
// for values). The result may alias *scratch or the input: copy it.
func (s *textScanner) hstoreWord(scratch *[]byte, key bool) (word []byte, quoted bool, ok bool) {
	if s.accept('"') {
		out := (*scratch)[:0]
		for {
			if s.done() {
				return nil, false, false
			}
			c := s.b[s.i]
			s.i++
			switch c {
			case '"':
				*scratch = out
				return out, true, true
			case '\\':
				if s.done() {
					return nil, false, false
				}
				c = s.b[s.i]
				s.i++
			}
			out = append(out, c)
		}
	}
	out := (*scratch)[:0]
	for !s.done() {
		c := s.b[s.i]
		if isPGSpace(c) || c == '"' || (key && c == '=') || (!key && c == ',') {
			break
		}
		s.i++
		if c == '\\' {
			if s.done() {
				return nil, false, false
			}
			c = s.b[s.i]
			s.i++
		}
		out = append(out, c)
	}
	*scratch = out
	if len(out) == 0 {
		return nil, false, false
	}
	return out, false, true
}

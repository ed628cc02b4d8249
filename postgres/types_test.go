package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/internal/testdb"
)

// typeCase is one column of the test table and the values inserted into it.
type typeCase struct {
	col  string   // column name
	typ  string   // SQL type
	kind cdc.Kind // expected kind
	ext  string   // extension the type needs, if any
	vals []typeVal
}

type typeVal struct {
	lit  string // SQL expression inserted
	want any    // decoded value
}

func typesUTC(y int, m time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, m, d, h, mi, s, ns, time.UTC)
}

func typesDec(s string) cdc.Decimal { return cdc.MustParseDecimal(s) }

// typeCases covers every mapping of decoderFor, with the edge cases of each type.
var typeCases = []typeCase{
	{col: "c_int2", typ: "smallint", kind: cdc.KindInt, vals: []typeVal{
		{"-32768", int64(-32768)}, {"32767", int64(32767)}}},
	{col: "c_int4", typ: "integer", kind: cdc.KindInt, vals: []typeVal{
		{"-2147483648", int64(math.MinInt32)}, {"0", int64(0)}, {"2147483647", int64(math.MaxInt32)}}},
	{col: "c_int8", typ: "bigint", kind: cdc.KindInt, vals: []typeVal{
		{"-9223372036854775808", int64(math.MinInt64)}, {"9223372036854775807", int64(math.MaxInt64)}}},
	{col: "c_oid", typ: "oid", kind: cdc.KindInt, vals: []typeVal{
		{"4294967295", int64(math.MaxUint32)}, {"0", int64(0)}}},
	{col: "c_xid", typ: "xid", kind: cdc.KindInt, vals: []typeVal{{"'123'", int64(123)}}},
	{col: "c_xid8", typ: "xid8", kind: cdc.KindUint, vals: []typeVal{
		{"'18446744073709551615'", uint64(math.MaxUint64)}}},
	{col: "c_float4", typ: "real", kind: cdc.KindFloat, vals: []typeVal{
		{"1.1", float64(float32(1.1))}, {"'NaN'", math.NaN()}, {"'Infinity'", math.Inf(1)},
		{"'-Infinity'", math.Inf(-1)}, {"'-0'", math.Copysign(0, -1)},
		{"'3.4028235e+38'", float64(float32(math.MaxFloat32))},
		{"'1e-45'", float64(float32(math.SmallestNonzeroFloat32))}}},
	{col: "c_float8", typ: "double precision", kind: cdc.KindFloat, vals: []typeVal{
		{"0.1", 0.1}, {"'1.7976931348623157e308'", math.MaxFloat64}, {"'5e-324'", math.SmallestNonzeroFloat64},
		{"'NaN'", math.NaN()}, {"'Infinity'", math.Inf(1)}, {"'-Infinity'", math.Inf(-1)},
		{"'-0'", math.Copysign(0, -1)}, {"-123.456e-7", -123.456e-7}}},
	{col: "c_numeric", typ: "numeric", kind: cdc.KindDecimal, vals: []typeVal{
		{"'NaN'", cdc.DecimalNaN}, {"'Infinity'", cdc.DecimalPosInf}, {"'-Infinity'", cdc.DecimalNegInf},
		{"1e-30", typesDec("0.000000000000000000000000000001")},
		{"123456789012345678901234567890.123456789", typesDec("123456789012345678901234567890.123456789")},
		{"-0.000", typesDec("0.000")}, {"-42", typesDec("-42")}}},
	{col: "c_num102", typ: "numeric(10,2)", kind: cdc.KindDecimal, vals: []typeVal{
		{"1.5", typesDec("1.50")}, {"-12345678.99", typesDec("-12345678.99")}}},
	{col: "c_numneg", typ: "numeric(5,-2)", kind: cdc.KindDecimal, vals: []typeVal{{"12345", typesDec("12300")}}},
	{col: "c_text", typ: "text", kind: cdc.KindString, vals: []typeVal{
		{"'héllo wörld ☃'", "héllo wörld ☃"}, {`E'line1\nline2\ttab \\ back \'q\''`, "line1\nline2\ttab \\ back 'q'"},
		{"''", ""}}},
	{col: "c_varchar", typ: "varchar(20)", kind: cdc.KindString, vals: []typeVal{{"'abc '", "abc "}}},
	{col: "c_varcharu", typ: "varchar", kind: cdc.KindString, vals: []typeVal{{"'x'", "x"}}},
	{col: "c_bpchar", typ: "char(5)", kind: cdc.KindString, vals: []typeVal{{"'ab'", "ab   "}}},
	{col: "c_bpcharu", typ: "bpchar", kind: cdc.KindString, vals: []typeVal{{"'x  '", "x  "}}},
	{col: "c_name", typ: "name", kind: cdc.KindString, vals: []typeVal{{"'pg_class'", "pg_class"}}},
	{col: "c_char", typ: `"char"`, kind: cdc.KindString, vals: []typeVal{{"'x'", "x"}}},
	{col: "c_xml", typ: "xml", kind: cdc.KindString, vals: []typeVal{{`'<a b="1">t</a>'`, `<a b="1">t</a>`}}},
	{col: "c_enum", typ: "mood", kind: cdc.KindString, vals: []typeVal{{"'happy'", "happy"}, {"'so-so'", "so-so"}}},
	{col: "c_citext", typ: "citext", kind: cdc.KindString, ext: "citext", vals: []typeVal{{"'MiXeD'", "MiXeD"}}},
	{col: "c_bytea", typ: "bytea", kind: cdc.KindBytes, vals: []typeVal{
		{`'\x00ff0001'`, []byte{0, 0xff, 0, 1}}, {"''", []byte{}}, {`'a\\b'`, []byte(`a\b`)}}},
	{col: "c_bool", typ: "boolean", kind: cdc.KindBool, vals: []typeVal{{"true", true}, {"false", false}}},
	{col: "c_date", typ: "date", kind: cdc.KindDate, vals: []typeVal{
		{"'2024-02-29'", typesUTC(2024, 2, 29, 0, 0, 0, 0)}, {"'infinity'", cdc.PositiveInfinity},
		{"'-infinity'", cdc.NegativeInfinity}, {"'0044-03-15 BC'", typesUTC(-43, 3, 15, 0, 0, 0, 0)},
		{"'0001-02-29 BC'", typesUTC(0, 2, 29, 0, 0, 0, 0)}, {"'4714-11-24 BC'", typesUTC(-4713, 11, 24, 0, 0, 0, 0)},
		{"'5874897-12-31'", typesUTC(5874897, 12, 31, 0, 0, 0, 0)}}},
	{col: "c_time", typ: "time", kind: cdc.KindTime, vals: []typeVal{
		{"'24:00:00'", 24 * time.Hour}, {"'13:45:06.123456'", 13*time.Hour + 45*time.Minute + 6*time.Second + 123456*time.Microsecond},
		{"'00:00:00'", time.Duration(0)}}},
	{col: "c_time3", typ: "time(3)", kind: cdc.KindTime, vals: []typeVal{
		{"'01:02:03.4567'", time.Hour + 2*time.Minute + 3*time.Second + 457*time.Millisecond}}},
	{col: "c_timetz", typ: "timetz", kind: cdc.KindUnknown, vals: []typeVal{
		{"'13:45:06.5+05:30'", "13:45:06.5+05:30"}, {"'00:00:00-03:30:52'", "00:00:00-03:30:52"}}},
	{col: "c_ts", typ: "timestamp", kind: cdc.KindTimestamp, vals: []typeVal{
		{"'2024-01-02 03:04:05.123456'", typesUTC(2024, 1, 2, 3, 4, 5, 123456000)},
		{"'infinity'", cdc.PositiveInfinity}, {"'-infinity'", cdc.NegativeInfinity},
		{"'0044-03-15 12:00:00 BC'", typesUTC(-43, 3, 15, 12, 0, 0, 0)},
		{"'294276-12-31 23:59:59.999999'", typesUTC(294276, 12, 31, 23, 59, 59, 999999000)},
		{"'1999-12-31 23:59:59.000001'", typesUTC(1999, 12, 31, 23, 59, 59, 1000)}}},
	{col: "c_tstz", typ: "timestamptz", kind: cdc.KindTimestamp, vals: []typeVal{
		{"'2024-01-02 03:04:05.123456+05:30'", typesUTC(2024, 1, 1, 21, 34, 5, 123456000)},
		{"'infinity'", cdc.PositiveInfinity}, {"'-infinity'", cdc.NegativeInfinity},
		{"'1850-06-01 12:00:00+00'", typesUTC(1850, 6, 1, 12, 0, 0, 0)},
		{"'0044-03-15 12:00:00+00 BC'", typesUTC(-43, 3, 15, 12, 0, 0, 0)},
		{"'2000-01-01 00:00:00.5-03:30'", typesUTC(2000, 1, 1, 3, 30, 0, 500000000)}}},
	{col: "c_tstz3", typ: "timestamptz(3)", kind: cdc.KindTimestamp, vals: []typeVal{
		{"'2024-06-01 10:00:00.1239+02'", typesUTC(2024, 6, 1, 8, 0, 0, 124000000)}}},
	{col: "c_interval", typ: "interval", kind: cdc.KindInterval, vals: []typeVal{
		{"'1 year 2 months 3 days 04:05:06.789'", cdc.Interval{Months: 14, Days: 3, Microseconds: 14706789000}},
		{"'-1 years -2 months +3 days -04:05:06'", cdc.Interval{Months: -14, Days: 3, Microseconds: -14706000000}},
		{"'1 day -00:00:01'", cdc.Interval{Days: 1, Microseconds: -1000000}},
		{"'-00:00:00.000001'", cdc.Interval{Microseconds: -1}},
		{"'0'", cdc.Interval{}},
		{"'1 mon 1 day 01:00:00'", cdc.Interval{Months: 1, Days: 1, Microseconds: 3600e6}},
		{"'-5 days'", cdc.Interval{Days: -5}},
		{"'178956970 years 7 months 2147483647 days 2562047788:00:54.775807'",
			cdc.Interval{Months: math.MaxInt32, Days: math.MaxInt32, Microseconds: math.MaxInt64}},
		{"'-178956970 years -8 months -2147483648 days'::interval + '-2562047788:00:54.775807' - '0.000001 sec'",
			cdc.Interval{Months: math.MinInt32, Days: math.MinInt32, Microseconds: math.MinInt64}}}},
	{col: "c_ivym", typ: "interval year to month", kind: cdc.KindInterval, vals: []typeVal{
		{"'1 year 2 months'", cdc.Interval{Months: 14}}}},
	{col: "c_ivds", typ: "interval day to second(3)", kind: cdc.KindInterval, vals: []typeVal{
		{"'1 day 00:00:01.23456'", cdc.Interval{Days: 1, Microseconds: 1235000}}}},
	{col: "c_json", typ: "json", kind: cdc.KindJSON, vals: []typeVal{
		{`'{"k": "é ☃ \u00e9",  "n": [1, 2.5]}'`, json.RawMessage(`{"k": "é ☃ \u00e9",  "n": [1, 2.5]}`)}}},
	{col: "c_jsonb", typ: "jsonb", kind: cdc.KindJSON, vals: []typeVal{
		{`'{"b": 1, "a": "é"}'`, json.RawMessage(`{"a": "é", "b": 1}`)},
		{`'"\u00e9\u2603"'`, json.RawMessage(`"é☃"`)}, {"'null'", json.RawMessage(`null`)}}},
	{col: "c_jsonpath", typ: "jsonpath", kind: cdc.KindString, vals: []typeVal{
		{"'$.a[*] ? (@ > 1)'", `$."a"[*]?(@ > 1)`}}},
	{col: "c_uuid", typ: "uuid", kind: cdc.KindUUID, vals: []typeVal{
		{"'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}}},
	{col: "c_inet", typ: "inet", kind: cdc.KindUnknown, vals: []typeVal{{"'192.168.0.1/24'", "192.168.0.1/24"}, {"'::1'", "::1"}}},
	{col: "c_cidr", typ: "cidr", kind: cdc.KindUnknown, vals: []typeVal{{"'10.0.0.0/8'", "10.0.0.0/8"}}},
	{col: "c_macaddr", typ: "macaddr", kind: cdc.KindUnknown, vals: []typeVal{{"'08:00:2B:01:02:03'", "08:00:2b:01:02:03"}}},
	{col: "c_macaddr8", typ: "macaddr8", kind: cdc.KindUnknown, vals: []typeVal{{"'08:00:2b:01:02:03:04:05'", "08:00:2b:01:02:03:04:05"}}},
	{col: "c_money", typ: "money", kind: cdc.KindUnknown, vals: []typeVal{{"1.5", "$1.50"}}},
	{col: "c_bit", typ: "bit(3)", kind: cdc.KindUnknown, vals: []typeVal{{"B'101'", "101"}}},
	{col: "c_varbit", typ: "varbit(8)", kind: cdc.KindUnknown, vals: []typeVal{{"B'1101'", "1101"}}},
	{col: "c_tsvector", typ: "tsvector", kind: cdc.KindUnknown, vals: []typeVal{{"'a fat cat'", "'a' 'cat' 'fat'"}}},
	{col: "c_tsquery", typ: "tsquery", kind: cdc.KindUnknown, vals: []typeVal{{"'fat & rat'", "'fat' & 'rat'"}}},
	{col: "c_point", typ: "point", kind: cdc.KindUnknown, vals: []typeVal{{"'(1,2.5)'", "(1,2.5)"}}},
	{col: "c_line", typ: "line", kind: cdc.KindUnknown, vals: []typeVal{{"'{1,2,3}'", "{1,2,3}"}}},
	{col: "c_lseg", typ: "lseg", kind: cdc.KindUnknown, vals: []typeVal{{"'[(0,0),(1,1)]'", "[(0,0),(1,1)]"}}},
	{col: "c_box", typ: "box", kind: cdc.KindUnknown, vals: []typeVal{{"'(0,0),(1,1)'", "(1,1),(0,0)"}}},
	{col: "c_path", typ: "path", kind: cdc.KindUnknown, vals: []typeVal{{"'[(0,0),(1,1)]'", "[(0,0),(1,1)]"}}},
	{col: "c_polygon", typ: "polygon", kind: cdc.KindUnknown, vals: []typeVal{{"'((0,0),(1,1),(1,0))'", "((0,0),(1,1),(1,0))"}}},
	{col: "c_circle", typ: "circle", kind: cdc.KindUnknown, vals: []typeVal{{"'<(0,0),1>'", "<(0,0),1>"}}},
	{col: "c_range", typ: "int4range", kind: cdc.KindUnknown, vals: []typeVal{{"'[1,5]'", "[1,6)"}, {"'empty'", "empty"}}},
	{col: "c_tsrange", typ: "tsrange", kind: cdc.KindUnknown, vals: []typeVal{
		{"'[2024-01-01 00:00,)'", `["2024-01-01 00:00:00",)`}}},
	{col: "c_multirange", typ: "int4multirange", kind: cdc.KindUnknown, vals: []typeVal{{"'{[1,3),[5,7)}'", "{[1,3),[5,7)}"}}},
	{col: "c_lsn", typ: "pg_lsn", kind: cdc.KindUnknown, vals: []typeVal{{"'0/16B3748'", "0/16B3748"}}},
	{col: "c_pair", typ: "pair", kind: cdc.KindUnknown, vals: []typeVal{{`ROW(1, 'x y')`, `(1,"x y")`}}},
	{col: "c_int2vec", typ: "int2vector", kind: cdc.KindUnknown, vals: []typeVal{{"'1 2 3'", "1 2 3"}}},
	{col: "c_hstore", typ: "hstore", kind: cdc.KindDocument, ext: "hstore", vals: []typeVal{
		{`'a=>1, b=>NULL, "c \"q\""=>"x\\y", ""=>"", "NULL"=>"NULL", "é"=>"☃ ,=>"'`,
			map[string]any{"a": "1", "b": nil, `c "q"`: `x\y`, "": "", "NULL": "NULL", "é": "☃ ,=>"}},
		{"''", map[string]any{}}}},
	{col: "c_domain", typ: "posnum", kind: cdc.KindDecimal, vals: []typeVal{{"5", typesDec("5.00")}}},
	{col: "c_domain2", typ: "posnum2", kind: cdc.KindDecimal, vals: []typeVal{{"7.5", typesDec("7.50")}}},
	{col: "c_intdom", typ: "posint", kind: cdc.KindInt, vals: []typeVal{{"9223372036854775807", int64(math.MaxInt64)}}},
	{col: "c_tsdom", typ: "tsdom", kind: cdc.KindTimestamp, vals: []typeVal{
		{"'-infinity'", cdc.NegativeInfinity}, {"'1969-12-31 23:59:59.999999+00'", typesUTC(1969, 12, 31, 23, 59, 59, 999999000)}}},
	{col: "c_intarr", typ: "intarr", kind: cdc.KindArray, vals: []typeVal{{"'{1,2}'", []any{int64(1), int64(2)}}}},
	{col: "c_int4arr", typ: "integer[]", kind: cdc.KindArray, vals: []typeVal{
		{"'{{1,2},{3,4}}'", []any{[]any{int64(1), int64(2)}, []any{int64(3), int64(4)}}},
		{"'{1,NULL,3}'", []any{int64(1), nil, int64(3)}},
		{"'{}'", []any{}},
		{"'[0:1]={1,2}'", []any{int64(1), int64(2)}},
		{"'[-2:-2][3:4]={{5,6}}'", []any{[]any{int64(5), int64(6)}}},
		{"'{{{1}},{{2}}}'", []any{[]any{[]any{int64(1)}}, []any{[]any{int64(2)}}}}}},
	{col: "c_textarr", typ: "text[]", kind: cdc.KindArray, vals: []typeVal{
		{`'{"a,b","c\"d","e\\f","NULL",NULL,""," sp ","{x}",é☃,"x;y",null}'`,
			[]any{"a,b", `c"d`, `e\f`, "NULL", nil, "", " sp ", "{x}", "é☃", "x;y", nil}},
		{"ARRAY[E'tab\\there', E'nl\\n', 'a''b']", []any{"tab\there", "nl\n", "a'b"}}}},
	{col: "c_vcarr", typ: "varchar(20)[]", kind: cdc.KindArray, vals: []typeVal{{"'{a,b}'", []any{"a", "b"}}}},
	{col: "c_bpchararr", typ: "char(3)[]", kind: cdc.KindArray, vals: []typeVal{{"'{a,bc}'", []any{"a  ", "bc "}}}},
	{col: "c_numarr", typ: "numeric(10,2)[]", kind: cdc.KindArray, vals: []typeVal{
		{"'{1.5,NaN,-3}'", []any{typesDec("1.50"), cdc.DecimalNaN, typesDec("-3.00")}}}},
	{col: "c_float8arr", typ: "float8[]", kind: cdc.KindArray, vals: []typeVal{
		{"'{NaN,Infinity,-0,1.5}'", []any{math.NaN(), math.Inf(1), math.Copysign(0, -1), 1.5}}}},
	{col: "c_boxarr", typ: "box[]", kind: cdc.KindArray, vals: []typeVal{
		{"'{(1,1),(0,0);(3,3),(2,2)}'", []any{"(1,1),(0,0)", "(3,3),(2,2)"}}}},
	{col: "c_datearr", typ: "date[]", kind: cdc.KindArray, vals: []typeVal{
		{"'{2024-01-01,infinity,NULL,0001-01-01 BC}'", []any{typesUTC(2024, 1, 1, 0, 0, 0, 0), cdc.PositiveInfinity, nil, typesUTC(0, 1, 1, 0, 0, 0, 0)}}}},
	{col: "c_tstzarr", typ: "timestamptz[]", kind: cdc.KindArray, vals: []typeVal{
		{`'{"2024-01-02 03:04:05+05:30",-infinity}'`, []any{typesUTC(2024, 1, 1, 21, 34, 5, 0), cdc.NegativeInfinity}}}},
	{col: "c_jsonbarr", typ: "jsonb[]", kind: cdc.KindArray, vals: []typeVal{
		{`'{"{\"a\": 1}","[1, 2]",NULL}'`, []any{json.RawMessage(`{"a": 1}`), json.RawMessage(`[1, 2]`), nil}}}},
	{col: "c_moodarr", typ: "mood[]", kind: cdc.KindArray, vals: []typeVal{{"'{happy,so-so}'", []any{"happy", "so-so"}}}},
	{col: "c_uuidarr", typ: "uuid[]", kind: cdc.KindArray, vals: []typeVal{
		{"'{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}'", []any{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}}}},
	{col: "c_byteaarr", typ: "bytea[]", kind: cdc.KindArray, vals: []typeVal{
		{"ARRAY['\\x00ff'::bytea, NULL, ''::bytea]", []any{[]byte{0, 0xff}, nil, []byte{}}}}},
	{col: "c_ivarr", typ: "interval[]", kind: cdc.KindArray, vals: []typeVal{
		{`'{"1 day","-00:00:01"}'`, []any{cdc.Interval{Days: 1}, cdc.Interval{Microseconds: -1000000}}}}},
	{col: "c_boolarr", typ: "boolean[]", kind: cdc.KindArray, vals: []typeVal{{"'{t,f}'", []any{true, false}}}},
	{col: "c_chararr", typ: `"char"[]`, kind: cdc.KindArray, vals: []typeVal{{`'{a,"\\\\",","}'`, []any{"a", `\`, ","}}}},
	{col: "c_bitarr", typ: "bit(2)[]", kind: cdc.KindArray, vals: []typeVal{{"'{01,10}'", []any{"01", "10"}}}},
	{col: "c_rangearr", typ: "int4range[]", kind: cdc.KindArray, vals: []typeVal{{`'{"[1,5)",empty}'`, []any{"[1,5)", "empty"}}}},
	{col: "c_pairarr", typ: "pair[]", kind: cdc.KindArray, vals: []typeVal{{`ARRAY[ROW(1,'x'), ROW(2,'a,b')]::pair[]`, []any{"(1,x)", `(2,"a,b")`}}}},
	{col: "c_intarrarr", typ: "intarr[]", kind: cdc.KindArray, vals: []typeVal{
		{`ARRAY['{1,2}'::intarr, '{3}'::intarr]`, []any{[]any{int64(1), int64(2)}, []any{int64(3)}}}}},
	{col: "c_posboxarr", typ: "posbox[]", kind: cdc.KindArray, vals: []typeVal{
		{"ARRAY['(1,1),(0,0)'::posbox, '(3,3),(2,2)'::posbox]", []any{"(1,1),(0,0)", "(3,3),(2,2)"}}}},
	{col: "c_hstorearr", typ: "hstore[]", kind: cdc.KindArray, ext: "hstore", vals: []typeVal{
		{`ARRAY['a=>1'::hstore, 'b=>"x,y"'::hstore]`, []any{map[string]any{"a": "1"}, map[string]any{"b": "x,y"}}}}},
	{col: "c_citextarr", typ: "citext[]", kind: cdc.KindArray, ext: "citext", vals: []typeVal{
		{`'{Ab,"c d"}'`, []any{"Ab", "c d"}}}},
}

const typeSetupSQL = `
CREATE TYPE mood AS ENUM ('happy', 'so-so');
CREATE DOMAIN posnum AS numeric(10,2) CHECK (VALUE > 0);
CREATE DOMAIN posnum2 AS posnum;
CREATE DOMAIN posint AS int8 CHECK (VALUE > 0);
CREATE DOMAIN tsdom AS timestamptz;
CREATE DOMAIN intarr AS int4[];
CREATE DOMAIN posbox AS box;
CREATE TYPE pair AS (a int, b text);
`

// typesConnect opens a connection with sessionParams, overridden by params.
func typesConnect(t *testing.T, dsn string, params map[string]string) (*pgconn.PgConn, error) {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sessionParams {
		cfg.RuntimeParams[k] = v
	}
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn, nil
}

// typesQuery runs sql with the simple protocol (text results, as pgoutput sends them)
// and returns the last result.
func typesQuery(t *testing.T, conn *pgconn.PgConn, sql string) *pgconn.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		t.Fatalf("%.200s: %v", sql, err)
	}
	if len(results) == 0 {
		t.Fatalf("%.200s: no result", sql)
	}
	return results[len(results)-1]
}

// TestDecodeTypesFromPostgres stores every mapped type in a real table, reads the rows
// back with the simple protocol (the text forms pgoutput sends) under several session
// settings, and checks decoderFor's names (against format_type), kinds and values.
func TestDecodeTypesFromPostgres(t *testing.T) {
	pg := testdb.NewPostgres(t)
	dsn := pg.CreateDatabase(t, "typesdecode")
	conn, err := typesConnect(t, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Optional extensions (contrib).
	haveExt := map[string]bool{}
	for _, row := range typesQuery(t, conn, `SELECT name FROM pg_available_extensions WHERE name IN ('hstore', 'citext')`).Rows {
		haveExt[string(row[0])] = true
	}
	for _, ext := range []string{"hstore", "citext"} {
		if haveExt[ext] {
			typesQuery(t, conn, "CREATE EXTENSION IF NOT EXISTS "+ext)
		}
	}
	typesQuery(t, conn, typeSetupSQL)

	// One column per case; one row per value, holding only that column.
	var ddl, ins strings.Builder
	ddl.WriteString("CREATE TABLE types_t (id int PRIMARY KEY")
	type cell struct {
		col  *typeCase
		want any
	}
	cells := map[int]cell{}
	id := 0
	for i := range typeCases {
		c := &typeCases[i]
		if c.ext != "" && !haveExt[c.ext] {
			continue
		}
		fmt.Fprintf(&ddl, ", %s %s", c.col, c.typ)
		for _, v := range c.vals {
			id++
			cells[id] = cell{c, v.want}
			fmt.Fprintf(&ins, "INSERT INTO types_t (id, %s) VALUES (%d, %s);\n", c.col, id, v.lit)
		}
	}
	ddl.WriteString(")")
	typesQuery(t, conn, ddl.String())
	typesQuery(t, conn, ins.String())

	// What pgoutput's Relation message holds: atttypid (the domain itself, unlike
	// RowDescription, which reports a domain's base type) and atttypmod.
	type attr struct {
		oid    uint32
		typmod int32
		format string
	}
	attrs := map[string]attr{}
	var oids []uint32
	var attnames []string // in column order
	for _, row := range typesQuery(t, conn, `SELECT attname, atttypid, atttypmod, format_type(atttypid, atttypmod)
		FROM pg_attribute WHERE attrelid = 'types_t'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`).Rows {
		oid, err1 := strconv.ParseUint(string(row[1]), 10, 32)
		mod, err2 := strconv.ParseInt(string(row[2]), 10, 32)
		if err1 != nil || err2 != nil {
			t.Fatalf("pg_attribute row %q", row)
		}
		attrs[string(row[0])] = attr{uint32(oid), int32(mod), string(row[3])}
		oids = append(oids, uint32(oid))
		attnames = append(attnames, string(row[0]))
	}

	// loadTypes through a replication connection, as the source uses it.
	repl, err := typesConnect(t, dsn, map[string]string{"replication": "database"})
	if err != nil {
		t.Fatal(err)
	}
	types := map[uint32]typeInfo{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := loadTypes(ctx, repl, types, oids); err != nil {
		t.Fatalf("loadTypes: %v", err)
	}

	t.Run("loadTypes", func(t *testing.T) {
		oidOf := func(typ string) uint32 {
			res := typesQuery(t, conn, "SELECT '"+typ+"'::regtype::oid")
			n, _ := strconv.ParseUint(string(res.Rows[0][0]), 10, 32)
			return uint32(n)
		}
		mood, intarr, posnum2, posnum, pair := oidOf("mood"), oidOf("intarr"), oidOf("posnum2"), oidOf("posnum"), oidOf("pair")
		check := func(oid uint32, want typeInfo) {
			t.Helper()
			want.OID = oid
			if got, ok := types[oid]; !ok || got != want {
				t.Errorf("types[%d] = %+v, %v; want %+v", oid, got, ok, want)
			}
		}
		check(mood, typeInfo{Name: "mood", Type: 'e', Category: 'E'})
		check(intarr, typeInfo{Name: "intarr", Type: 'd', Category: 'A', BaseType: 1007})
		check(1007, typeInfo{Name: "_int4", Type: 'b', Category: 'A', Elem: 23}) // via the domain
		check(23, typeInfo{Name: "int4", Type: 'b', Category: 'N'})              // via _int4
		check(posnum2, typeInfo{Name: "posnum2", Type: 'd', Category: 'N', BaseType: posnum})
		check(posnum, typeInfo{Name: "posnum", Type: 'd', Category: 'N', BaseType: oidNumeric})
		check(pair, typeInfo{Name: "pair", Type: 'c', Category: 'C'})
		if haveExt["hstore"] {
			check(oidOf("hstore"), typeInfo{Name: "hstore", Type: 'b', Category: 'U'})
		}

		// The same rows through an ordinary connection; cached OIDs are kept as they are.
		plain := map[uint32]typeInfo{mood: {OID: mood, Name: "cached"}}
		if err := loadTypes(ctx, conn, plain, oids); err != nil {
			t.Fatal(err)
		}
		if plain[mood].Name != "cached" {
			t.Errorf("loadTypes replaced a cached entry: %+v", plain[mood])
		}
		plain[mood] = types[mood]
		if !reflect.DeepEqual(plain, types) {
			t.Errorf("ordinary connection loaded %v, replication connection %v", plain, types)
		}

		// Nothing to query: the connection is not used at all.
		closed, err := typesConnect(t, dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		closed.Close(ctx)
		if err := loadTypes(ctx, closed, types, oids); err != nil {
			t.Errorf("loadTypes with everything cached: %v", err)
		}
		if err := loadTypes(ctx, closed, map[uint32]typeInfo{}, []uint32{23}); err == nil {
			t.Error("loadTypes on a closed connection succeeded")
		}
		// An OID that is no type is left out, without an error.
		none := map[uint32]typeInfo{}
		if err := loadTypes(ctx, conn, none, []uint32{4000000000, 0}); err != nil || len(none) != 0 {
			t.Errorf("loadTypes of a missing OID: %v, %v", none, err)
		}
	})

	variants := []struct {
		name   string
		params map[string]string
	}{
		{"sessionParams", nil},
		// timestamptz printed with +05:30 and, before 1854, the LMT offset +05:53:28.
		{"TimeZone=Asia/Kolkata", map[string]string{"TimeZone": "Asia/Kolkata"}},
		{"iso_8601+escape+St_Johns", map[string]string{"IntervalStyle": "iso_8601", "bytea_output": "escape",
			"TimeZone": "America/St_Johns"}},
		{"postgres_verbose", map[string]string{"IntervalStyle": "postgres_verbose", "extra_float_digits": "1"}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			conn, err := typesConnect(t, dsn, v.params)
			if err != nil {
				if v.params["TimeZone"] != "" && os.Getenv("CI") == "" {
					t.Skipf("time zone not available to the server (install tzdata): %v", err)
				}
				t.Fatal(err)
			}
			res := typesQuery(t, conn, "SELECT * FROM types_t ORDER BY id")
			colIndex := map[string]int{}
			for i, fd := range res.FieldDescriptions {
				colIndex[fd.Name] = i
			}
			checked := map[string]bool{}
			for _, row := range res.Rows {
				rowID, err := strconv.Atoi(string(row[0]))
				if err != nil {
					t.Fatal(err)
				}
				c := cells[rowID]
				a := attrs[c.col.col]
				name, kind, decode := decoderFor(a.oid, a.typmod, types)
				if !checked[c.col.col] {
					checked[c.col.col] = true
					if name != a.format {
						t.Errorf("%s: name %q, format_type says %q", c.col.col, name, a.format)
					}
					if kind != c.col.kind {
						t.Errorf("%s (%s): kind %v, want %v", c.col.col, name, kind, c.col.kind)
					}
				}
				text := row[colIndex[c.col.col]]
				if text == nil {
					t.Errorf("%s row %d: NULL", c.col.col, rowID)
					continue
				}
				// The caller reuses its buffer: decode from a copy, then overwrite it.
				buf := bytes.Clone(text)
				got, err := decode(buf)
				if err != nil {
					t.Errorf("%s: decoding %q: %v", c.col.col, text, err)
					continue
				}
				for i := range buf {
					buf[i] = '#'
				}
				if !valuesEqual(got, c.want) {
					t.Errorf("%s: %q decoded to %#v, want %#v", c.col.col, text, got, c.want)
				}
			}
			for _, c := range typeCases {
				if c.ext != "" && !haveExt[c.ext] {
					t.Logf("%s: skipped, extension %s is not installed (Debian: postgresql-contrib)", c.col, c.ext)
					continue
				}
				if !checked[c.col] {
					t.Errorf("%s: no row checked", c.col)
				}
			}
		})
	}
	// The snapshot's decoders (binary format for fixed-width types, strings cut from
	// shared buffers) must give the values the text decoders give.
	t.Run("snapshot", func(t *testing.T) {
		var m snapMem
		cols := make([]snapColumn, len(attnames))
		formats := make([]int16, len(attnames))
		index := map[string]int{}
		for i, n := range attnames {
			a := attrs[n]
			name, kind, dec := decoderFor(a.oid, a.typmod, types)
			cols[i] = snapColumnFor(catalogColumn{name: n, oid: a.oid, typmod: a.typmod, pk: n == "id"}, name, kind, dec, types, &m)
			formats[i] = cols[i].format
			index[n] = i
		}
		for _, n := range []string{"id", "c_int2", "c_float4", "c_bool", "c_date", "c_time", "c_ts", "c_tstz", "c_interval", "c_uuid", "c_intdom", "c_tsdom"} {
			if cols[index[n]].format != binaryFormat {
				t.Errorf("%s is read as text", n)
			}
		}
		rr := conn.ExecParams(ctx, "SELECT * FROM types_t ORDER BY id", nil, nil, nil, formats)
		checked := map[string]bool{}
		for rr.NextRow() {
			vals := rr.Values()
			key := string(cols[0].appendKey(nil, vals[0]))
			rowID, err := strconv.Atoi(key)
			c, ok := cells[rowID]
			if err != nil || !ok {
				t.Fatalf("key text %q", key)
			}
			i := index[c.col.col]
			if vals[i] == nil {
				t.Errorf("%s row %d: NULL", c.col.col, rowID)
				continue
			}
			buf := bytes.Clone(vals[i])
			got, err := cols[i].dec(buf)
			if err != nil {
				t.Errorf("%s: decoding %x: %v", c.col.col, vals[i], err)
				continue
			}
			for i := range buf {
				buf[i] = '#'
			}
			if !valuesEqual(got, c.want) {
				t.Errorf("%s: %x decoded to %#v, want %#v", c.col.col, vals[i], got, c.want)
			}
			checked[c.col.col] = true
		}
		if _, err := rr.Close(); err != nil {
			t.Fatal(err)
		}
		for _, c := range typeCases {
			if !checked[c.col] && (c.ext == "" || haveExt[c.ext]) {
				t.Errorf("%s: no row checked", c.col)
			}
		}
	})
}

// valuesEqual compares decoded values exactly: same Go types, NaN equal to NaN, -0 not
// equal to 0, times equal and in UTC.
func valuesEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (math.IsNaN(x) && math.IsNaN(y) || x == y && math.Signbit(x) == math.Signbit(y))
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y) && x.Location() == time.UTC && y.Location() == time.UTC
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !valuesEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !valuesEqual(xv, yv) {
				return false
			}
		}
		return true
	case json.RawMessage:
		y, ok := b.(json.RawMessage)
		return ok && bytes.Equal(x, y)
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y) && (x == nil) == (y == nil)
	}
	return reflect.TypeOf(a) == reflect.TypeOf(b) && reflect.DeepEqual(a, b)
}

func TestDecodeTimestamps(t *testing.T) {
	tests := []struct {
		in   string
		tz   bool
		want any
	}{
		{"2024-01-02 03:04:05", false, typesUTC(2024, 1, 2, 3, 4, 5, 0)},
		{"2024-01-02 03:04:05.1", false, typesUTC(2024, 1, 2, 3, 4, 5, 100000000)},
		{"2024-01-02 03:04:05.000001", false, typesUTC(2024, 1, 2, 3, 4, 5, 1000)},
		{"2024-01-02T03:04:05", false, typesUTC(2024, 1, 2, 3, 4, 5, 0)},
		{"0001-01-01 00:00:00 BC", false, typesUTC(0, 1, 1, 0, 0, 0, 0)},
		{"infinity", false, cdc.PositiveInfinity},
		{"-infinity", true, cdc.NegativeInfinity},
		{"2024-01-02 03:04:05+00", true, typesUTC(2024, 1, 2, 3, 4, 5, 0)},
		{"2024-01-02 03:04:05+05:30", true, typesUTC(2024, 1, 1, 21, 34, 5, 0)},
		{"2024-01-02 03:04:05.25-03:30", true, typesUTC(2024, 1, 2, 6, 34, 5, 250000000)},
		{"1850-01-01 05:53:28+05:53:28", true, typesUTC(1850, 1, 1, 0, 0, 0, 0)},
		{"1850-01-01 00:00:00-04:56:02", true, typesUTC(1850, 1, 1, 4, 56, 2, 0)},
		{"0044-03-15 17:53:28+05:53:28 BC", true, typesUTC(-43, 3, 15, 12, 0, 0, 0)},
		{"2024-02-29 00:00:00+14", true, typesUTC(2024, 2, 28, 10, 0, 0, 0)},
		{"2024-01-02 03:04:05Z", true, typesUTC(2024, 1, 2, 3, 4, 5, 0)},
		{"2024-01-02 03:04:05", true, typesUTC(2024, 1, 2, 3, 4, 5, 0)}, // no offset: UTC
	}
	for _, tt := range tests {
		got, err := parseTimestamp([]byte(tt.in), tt.tz)
		if err != nil || !valuesEqual(got, tt.want) {
			t.Errorf("parseTimestamp(%q, %v) = %v, %v; want %v", tt.in, tt.tz, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "2024-01-02", "2024-01-02 03:04", "2023-02-29 00:00:00",
		"2024-13-01 00:00:00", "2024-00-01 00:00:00", "2024-04-31 00:00:00", "2024-01-02 24:00:00",
		"2024-01-02 03:60:00", "2024-01-02 03:04:05.", "2024-01-02 03:04:05.1234567890",
		"2024-01-02 03:04:05+", "2024-01-02 03:04:05+05:3", "2024-01-02 03:04:05 AD", "2024-01-02 03:04:05 BC x",
		"Infinity", "2024-01-02 03:04:05+05:30x", "x2024-01-02 03:04:05"} {
		if got, err := parseTimestamp([]byte(in), true); err == nil {
			t.Errorf("parseTimestamp(%q) = %v, want an error", in, got)
		}
	}
	// Dates and times.
	for in, want := range map[string]any{
		"2024-02-29": typesUTC(2024, 2, 29, 0, 0, 0, 0), "0005-02-29 BC": typesUTC(-4, 2, 29, 0, 0, 0, 0),
		"10000-01-01": typesUTC(10000, 1, 1, 0, 0, 0, 0), "infinity": cdc.PositiveInfinity,
	} {
		if got, err := decodeDate([]byte(in)); err != nil || !valuesEqual(got, want) {
			t.Errorf("decodeDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2023-02-29", "0004-02-29 BC", "2024-1-", "2024-01-01 ", "2024-01-01 bc", "-2024-01-01"} {
		if got, err := decodeDate([]byte(in)); err == nil {
			t.Errorf("decodeDate(%q) = %v, want an error", in, got)
		}
	}
	for in, want := range map[string]time.Duration{
		"00:00:00": 0, "24:00:00": 24 * time.Hour, "23:59:59.999999": 24*time.Hour - time.Microsecond,
		"1:02:03": time.Hour + 2*time.Minute + 3*time.Second,
	} {
		if got, err := decodeTime([]byte(in)); err != nil || got != want {
			t.Errorf("decodeTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24:00:00.000001", "25:00:00", "12:60:00", "12:00", "12:00:00+01", "-01:00:00"} {
		if got, err := decodeTime([]byte(in)); err == nil {
			t.Errorf("decodeTime(%q) = %v, want an error", in, got)
		}
	}
}

func TestDecodeIntervals(t *testing.T) {
	iv := func(m, d int32, us int64) cdc.Interval { return cdc.Interval{Months: m, Days: d, Microseconds: us} }
	tests := map[string]cdc.Interval{
		// postgres
		"00:00:00":                           iv(0, 0, 0),
		"1 year 2 mons 3 days 04:05:06.789":  iv(14, 3, 14706789000),
		"-1 years -2 mons +3 days -04:05:06": iv(-14, 3, -14706000000),
		"1 day -00:00:01":                    iv(0, 1, -1000000),
		"-00:00:00.000001":                   iv(0, 0, -1),
		"100:00:00":                          iv(0, 0, 360000e6),
		"-5 days":                            iv(0, -5, 0),
		"178956970 years 7 mons 2147483647 days 2562047788:00:54.775807":     iv(math.MaxInt32, math.MaxInt32, math.MaxInt64),
		"-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808": iv(math.MinInt32, math.MinInt32, math.MinInt64),
		// postgres_verbose
		"@ 0": iv(0, 0, 0),
		"@ 1 year 2 mons 3 days 4 hours 5 mins 6.789 secs":  iv(14, 3, 14706789000),
		"@ 1 year 2 mons -3 days 4 hours 5 mins 6 secs ago": iv(-14, 3, -14706000000),
		"@ 1 sec":                               iv(0, 0, 1e6),
		"@ 0.000001 secs ago":                   iv(0, 0, -1),
		"@ 2562047788 hours 54.775807 secs":     iv(0, 0, math.MaxInt64),
		"@ 2562047788 hours 54.775808 secs ago": iv(0, 0, math.MinInt64),
		// PostgreSQL 17
		"infinity":  iv(math.MaxInt32, math.MaxInt32, math.MaxInt64),
		"-infinity": iv(math.MinInt32, math.MinInt32, math.MinInt64),
		// iso_8601
		"PT0S":                iv(0, 0, 0),
		"P1Y2M3DT4H5M6.789S":  iv(14, 3, 14706789000),
		"P-1Y-2M3DT-4H-5M-6S": iv(-14, 3, -14706000000),
		"P1D":                 iv(0, 1, 0),
		"PT-0.000001S":        iv(0, 0, -1),
		"P2W":                 iv(0, 14, 0),
		"P178956970Y7M2147483647DT2562047788H54.775807S":      iv(math.MaxInt32, math.MaxInt32, math.MaxInt64),
		"P-178956970Y-8M-2147483648DT-2562047788H-54.775808S": iv(math.MinInt32, math.MinInt32, math.MinInt64),
	}
	for in, want := range tests {
		got, err := parseInterval([]byte(in))
		if err != nil || got != want {
			t.Errorf("parseInterval(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "@", "P", "PT", "1", "1 fortnight", "1 year 2", "1-2", "1-2 3 4:05:06",
		"+1-2 +3 +4:05:06", "1 day 2:3", "1:60:00", "1:00:60", "1:00:00.1234567", "1.5 days", "1:00:00.",
		"178956971 years", "2147483648 days", "2562047789:00:00", "2562047788:00:54.775808",
		"P1", "P1X", "PT1Y", "P1.5D", "P1D2", "PT1H2H3.S", "@ 1 ago ago", "- days", "ago",
		"P99999999999999999999Y"} {
		if got, err := parseInterval([]byte(in)); err == nil {
			t.Errorf("parseInterval(%q) = %v, want an error", in, got)
		}
	}
}

func TestDecodeHstore(t *testing.T) {
	tests := map[string]map[string]any{
		``:                         {},
		`   `:                      {},
		`"a"=>"1"`:                 {"a": "1"},
		`"a"=>"1", "b"=>NULL`:      {"a": "1", "b": nil},
		`a=>1,b=>null , c=>"NULL"`: {"a": "1", "b": nil, "c": "NULL"},
		`"k\"q\\"=>"v\\\"w"`:       {`k"q\`: `v\"w`},
		`"a"=>"1", "a"=>"2"`:       {"a": "1"},
		`"x y"=>"=>,"`:             {"x y": "=>,"},
		`a\ b=>c\,d`:               {"a b": "c,d"},
		`""=>""`:                   {"": ""},
	}
	for in, want := range tests {
		got, err := parseHstore([]byte(in))
		if err != nil || !valuesEqual(got, want) {
			t.Errorf("parseHstore(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{`a`, `a=>`, `"a`, `"a"=>"b`, `a=>b c=>d`, `a=b`, `=>b`, `"a"=>"b",,`, `a=>b\`} {
		if got, err := parseHstore([]byte(in)); err == nil {
			t.Errorf("parseHstore(%q) = %v, want an error", in, got)
		}
	}
}

func TestDecodeScalars(t *testing.T) {
	tests := []struct {
		oid  uint32
		in   string
		want any
	}{
		{oidInt8, "-0", int64(0)},
		{oidInt8, "+7", int64(7)},
		{oidOID, "4294967295", int64(4294967295)},
		{oidXID8, "18446744073709551615", uint64(math.MaxUint64)},
		{oidFloat8, "1e308", 1e308},
		{oidFloat8, "-Infinity", math.Inf(-1)},
		{oidNumeric, "1.50", typesDec("1.50")},
		{oidBytea, `\x`, []byte{}},
		{oidBytea, `\xDEADbeef`, []byte{0xde, 0xad, 0xbe, 0xef}},
		{oidBytea, `a\000\\\377`, []byte{'a', 0, '\\', 0xff}},
		{oidBool, "t", true},
		{oidUUID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{oidJSONB, `{"a": [1]}`, json.RawMessage(`{"a": [1]}`)},
		{oidTimeTZ, "12:00:00+01", "12:00:00+01"},
		{123456, "anything", "anything"}, // unknown OID
	}
	for _, tt := range tests {
		_, _, decode := decoderFor(tt.oid, -1, nil)
		got, err := decode([]byte(tt.in))
		if err != nil || !valuesEqual(got, tt.want) {
			t.Errorf("decode(%d, %q) = %#v, %v; want %#v", tt.oid, tt.in, got, err, tt.want)
		}
	}
	bad := []struct {
		oid uint32
		in  string
	}{
		{oidInt2, ""}, {oidInt4, "1.5"}, {oidInt8, "9223372036854775808"}, {oidInt8, "-9223372036854775809"},
		{oidInt8, "99999999999999999999999"}, {oidInt8, "-"}, {oidOID, "4294967296"}, {oidOID, "-1"},
		{oidXID8, "18446744073709551616"}, {oidFloat8, "abc"}, {oidFloat8, ""}, {oidFloat4, "1e39"},
		{oidNumeric, "1.2.3"}, {oidNumeric, ""}, {oidBool, "yes"}, {oidBool, ""},
		{oidBytea, `\x0`}, {oidBytea, `\xzz`}, {oidBytea, `a\9`}, {oidBytea, `a\`},
		{oidUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"}, {oidUUID, "a0eebc99x9c0b-4ef8-bb6d-6bb9bd380a11"},
		{oidUUID, "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, {oidJSON, ""},
		{oidDate, "2024-02-30"}, {oidTime, "25:00:00"}, {oidTimestamp, "yesterday"}, {oidInterval, "1 fortnight"},
		{1007, "{1,x}"}, {1007, "{1"}, {1007, "1"},
	}
	for _, tt := range bad {
		name, _, decode := decoderFor(tt.oid, -1, nil)
		got, err := decode([]byte(tt.in))
		var de *decodeError
		if err == nil {
			t.Errorf("decode(%s, %q) = %#v, want an error", name, tt.in, got)
		} else if !errors.As(err, &de) || de.Type != name || !strings.Contains(err.Error(), name) ||
			!strings.Contains(err.Error(), strconv.Quote(tt.in)) || got != nil {
			t.Errorf("decode(%s, %q): error %q does not name the type and the input", name, tt.in, err)
		}
	}

	// Long inputs are clipped in errors.
	long := strings.Repeat("x", 10000)
	_, _, decode := decoderFor(oidInt8, -1, nil)
	_, err := decode([]byte(long))
	if err == nil || len(err.Error()) > 200 || !strings.Contains(err.Error(), "(10000 bytes)") {
		t.Errorf("error for a long input: %v", err)
	}
	_, _, decode = decoderFor(oidFloat8, -1, nil)
	if _, err = decode([]byte(long)); err == nil || len(err.Error()) > 200 {
		t.Errorf("error for a long float input: %v", err)
	}

	// Element errors name the element.
	_, _, decode = decoderFor(1007, -1, nil)
	_, err = decode([]byte("{1,2,x}"))
	if err == nil || !strings.Contains(err.Error(), `element 3: cannot decode integer value "x"`) {
		t.Errorf("array element error: %v", err)
	}
}

func TestDecoderForTypes(t *testing.T) {
	types := map[uint32]typeInfo{
		20000: {OID: 20000, Name: "mood", Type: 'e', Category: 'E'},
		20001: {OID: 20001, Name: "_mood", Type: 'b', Category: 'A', Elem: 20000},
		20002: {OID: 20002, Name: "Big Mood", Type: 'd', Category: 'A', BaseType: 20001},
		20003: {OID: 20003, Name: "citext", Type: 'b', Category: 'S'},
		20004: {OID: 20004, Name: "hstore", Type: 'b', Category: 'U'},
		20005: {OID: 20005, Name: "user", Type: 'd', Category: 'G', BaseType: oidBox},
		20006: {OID: 20006, Name: "_user", Type: 'b', Category: 'A', Elem: 20005},
		20007: {OID: 20007, Name: "loop", Type: 'd', BaseType: 20007}, // corrupt: a cycle
		20008: {OID: 20008, Name: "geometry", Type: 'b', Category: 'U'},
		20009: {OID: 20009, Name: "_missing", Type: 'b', Category: 'A', Elem: 30000},
	}
	tests := []struct {
		oid    uint32
		typmod int32
		name   string
		kind   cdc.Kind
		in     string
		want   any
	}{
		{oidNumeric, 10<<16 | 2 + 4, "numeric(10,2)", cdc.KindDecimal, "1.50", typesDec("1.50")},
		{oidNumeric, -1, "numeric", cdc.KindDecimal, "NaN", cdc.DecimalNaN},
		{oidVarchar, 24, "character varying(20)", cdc.KindString, "x", "x"},
		{1015, 24, "character varying(20)[]", cdc.KindArray, "{x}", []any{"x"}},
		{oidBPChar, -1, "bpchar", cdc.KindString, "x ", "x "},
		{oidBit, -1, `"bit"`, cdc.KindUnknown, "1", "1"},
		{1561, 3, "bit(3)[]", cdc.KindArray, "{101}", []any{"101"}},
		{oidTimestampTZ, 6, "timestamp(6) with time zone", cdc.KindTimestamp, "infinity", cdc.PositiveInfinity},
		{oidInterval, 0x7fff<<16 | 0xffff, "interval", cdc.KindInterval, "P1D", cdc.Interval{Days: 1}},
		{oidInterval, 4<<16 | 0xffff, "interval year", cdc.KindInterval, "1 year", cdc.Interval{Months: 12}},
		{oidInterval, 0x7fff<<16 | 3, "interval(3)", cdc.KindInterval, "P1D", cdc.Interval{Days: 1}},
		{1007, -1, "integer[]", cdc.KindArray, "{1}", []any{int64(1)}},
		{oidInt2Vector, -1, "int2vector", cdc.KindUnknown, "1 2", "1 2"},
		{20001, -1, "mood[]", cdc.KindArray, "{a,NULL}", []any{"a", nil}},
		{20002, -1, `"Big Mood"`, cdc.KindArray, "{a}", []any{"a"}},
		{20003, -1, "citext", cdc.KindString, "A", "A"},
		{20004, -1, "hstore", cdc.KindDocument, `"a"=>"b"`, map[string]any{"a": "b"}},
		{20006, -1, `"user"[]`, cdc.KindArray, "{(1,1),(0,0);(2,2),(1,1)}", []any{"(1,1),(0,0)", "(2,2),(1,1)"}},
		{20007, -1, "loop", cdc.KindUnknown, "x", "x"},
		{20008, 1107460, "geometry", cdc.KindUnknown, "0101", "0101"},
		{20009, -1, "???[]", cdc.KindArray, "{x}", []any{"x"}},
		{30000, -1, "???", cdc.KindUnknown, "x", "x"},
	}
	for _, tt := range tests {
		name, kind, decode := decoderFor(tt.oid, tt.typmod, types)
		if name != tt.name || kind != tt.kind {
			t.Errorf("decoderFor(%d, %d) = %q, %v; want %q, %v", tt.oid, tt.typmod, name, kind, tt.name, tt.kind)
		}
		got, err := decode([]byte(tt.in))
		if err != nil || !valuesEqual(got, tt.want) {
			t.Errorf("%s: decode(%q) = %#v, %v; want %#v", name, tt.in, got, err, tt.want)
		}
	}
}

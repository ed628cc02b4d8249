package mysql_test

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
)

// typeCases is one column per type of the value mapping: its definition, the SQL
// literal inserted, and the Go value expected from both the snapshot and the binlog.
var typeCases = []struct {
	col, def, lit string
	want          any
	kind          cdc.Kind
}{
	{"ti", "TINYINT", "-128", int64(-128), cdc.KindInt},
	{"tu", "TINYINT UNSIGNED", "255", int64(255), cdc.KindInt},
	{"si", "SMALLINT", "-32768", int64(-32768), cdc.KindInt},
	{"su", "SMALLINT UNSIGNED", "65535", int64(65535), cdc.KindInt},
	{"mi", "MEDIUMINT", "-8388608", int64(-8388608), cdc.KindInt},
	{"mu", "MEDIUMINT UNSIGNED", "16777215", int64(16777215), cdc.KindInt},
	{"i", "INT", "-2147483648", int64(math.MinInt32), cdc.KindInt},
	{"iu", "INT UNSIGNED", "4294967295", int64(math.MaxUint32), cdc.KindInt},
	{"bi", "BIGINT", "-9223372036854775808", int64(math.MinInt64), cdc.KindInt},
	{"bu", "BIGINT UNSIGNED", "18446744073709551615", uint64(math.MaxUint64), cdc.KindUint},
	{"dbig", "DECIMAL(65,30)", "-12345678901234567890123456789012345.123456789012345678901234567890",
		cdc.MustParseDecimal("-12345678901234567890123456789012345.123456789012345678901234567890"), cdc.KindDecimal},
	{"dsmall", "DECIMAL(10,2)", "1.50", cdc.MustParseDecimal("1.50"), cdc.KindDecimal},
	{"dzero", "DECIMAL(5,3)", "0.001", cdc.MustParseDecimal("0.001"), cdc.KindDecimal},
	{"f", "FLOAT", "3.14", 3.14, cdc.KindFloat},
	{"dbl", "DOUBLE", "2.718281828459045", 2.718281828459045, cdc.KindFloat},
	{"ch", "CHAR(10)", "'abc'", "abc", cdc.KindString},
	{"vc", "VARCHAR(50) CHARACTER SET utf8mb4", "'x😀é'", "x😀é", cdc.KindString},
	{"txt", "TEXT CHARACTER SET utf8mb4", "'long 🙂 text'", "long 🙂 text", cdc.KindString},
	{"l1", "VARCHAR(20) CHARACTER SET latin1", "'café € ÿ'", "café € ÿ", cdc.KindString},
	{"l1t", "TEXT CHARACTER SET latin1", "'Œuvre'", "Œuvre", cdc.KindString},
	{"bn", "BINARY(4)", "X'6162'", []byte{0x61, 0x62, 0, 0}, cdc.KindBytes},
	{"vb", "VARBINARY(10)", "X'00FF10'", []byte{0, 0xff, 0x10}, cdc.KindBytes},
	{"bl", "BLOB", "X'DEADBEEF'", []byte{0xde, 0xad, 0xbe, 0xef}, cdc.KindBytes},
	{"dt", "DATE", "'2024-02-29'", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), cdc.KindDate},
	{"dtold", "DATE", "'1900-01-01'", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), cdc.KindDate},
	{"dtm", "DATETIME(6)", "'1960-01-02 03:04:05.123456'", time.Date(1960, 1, 2, 3, 4, 5, 123456000, time.UTC), cdc.KindTimestamp},
	{"dtm3", "DATETIME(3)", "'2024-01-02 03:04:05.500'", time.Date(2024, 1, 2, 3, 4, 5, 500000000, time.UTC), cdc.KindTimestamp},
	{"dtm0", "DATETIME", "'9999-12-31 23:59:59'", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), cdc.KindTimestamp},
	// Inserted with the session in +02:00: 03:04:05.5 there is 01:04:05.5 UTC.
	{"ts", "TIMESTAMP(3) NULL", "'2024-01-02 03:04:05.5'", time.Date(2024, 1, 2, 1, 4, 5, 500000000, time.UTC), cdc.KindTimestamp},
	{"tmneg", "TIME(3)", "'-838:59:58.5'", -(838*time.Hour + 59*time.Minute + 58*time.Second + 500*time.Millisecond), cdc.KindTime},
	{"tmbig", "TIME", "'25:00:01'", 25*time.Hour + time.Second, cdc.KindTime},
	{"tm6", "TIME(6)", "'-00:00:00.000001'", -time.Microsecond, cdc.KindTime},
	{"yr", "YEAR", "2024", int64(2024), cdc.KindInt},
	{"js", "JSON", `'{"a": [1, 2.5, "x"]}'`, json.RawMessage(`{"a": [1, 2.5, "x"]}`), cdc.KindJSON},
	{"en", "ENUM('small','medium','large')", "'medium'", "medium", cdc.KindString},
	{"se", "SET('a','b','c')", "'a,c'", []string{"a", "c"}, cdc.KindSet},
	{"seempty", "SET('a','b')", "''", []string{}, cdc.KindSet},
	{"bt", "BIT(10)", "b'1111111111'", uint64(1023), cdc.KindUint},
	{"bt64", "BIT(64)", "b'1111111111111111111111111111111111111111111111111111111111111111'", uint64(math.MaxUint64), cdc.KindUint},
	{"nul", "INT NULL", "NULL", nil, cdc.KindInt},
}

// TestValues inserts a row with every type before Open (read by the snapshot) and the
// same row after (read from the binlog), then updates it: every value decodes to the
// same Go value on both paths, with Before and After on the update. With
// binlog_row_metadata = FULL the table map events carry names, signedness and ENUM/SET
// members; with NO_LOG all of it comes from information_schema. An external server
// (TRIBUTARY_TEST_MYSQL_DSN) runs the one case of its own setting.
func TestValues(t *testing.T) {
	cases := []string{"FULL", "NO_LOG"}
	if shared.External() {
		cases = []string{rowMetadata(t, shared)}
	}
	for _, md := range cases {
		t.Run("row_metadata="+md, func(t *testing.T) { testValues(t, serverWithRowMetadata(t, md)) })
	}
}

func testValues(t *testing.T, m *testdb.MariaDB) {
	db := newDB(t, m, "vals")
	c := dial(t, m)
	ddl := "CREATE TABLE " + db + ".v (id INT PRIMARY KEY"
	cols, lits := "id", ""
	for _, tc := range typeCases {
		ddl += ", " + tc.col + " " + tc.def
		cols += ", " + tc.col
		lits += ", " + tc.lit
	}
	run(t, c, ddl+")", "SET time_zone = '+02:00'")
	insert := func(id int) {
		run(t, c, fmt.Sprintf("INSERT INTO %s.v (%s) VALUES (%d%s)", db, cols, id, lits))
	}
	insert(1)
	src := newSource(t, m, mysql.Config{Tables: []string{db + ".v"}})
	st := open(t, src, nil)
	insert(2)
	run(t, c, "UPDATE "+db+".v SET ti = 1 WHERE id = 2")
	evs := cdctest.ReadUntil(t, st, 3, cdctest.Ops(cdc.OpRead, cdc.OpCreate, cdc.OpUpdate))
	check := func(what string, r cdc.Row, id int64) {
		t.Helper()
		if got, _ := r.Int64("id"); got != id {
			t.Fatalf("%s: id %d, want %d", what, got, id)
		}
		for _, tc := range typeCases {
			v, ok := r.Get(tc.col)
			if !ok {
				t.Fatalf("%s: no column %s", what, tc.col)
			}
			want := tc.want
			if what == "update After" && tc.col == "ti" {
				want = int64(1)
			}
			if !reflect.DeepEqual(v, want) {
				t.Errorf("%s: %s %s = %#v (%T), want %#v (%T)", what, tc.col, tc.def, v, v, want, want)
			}
		}
	}
	if evs[0].Op != cdc.OpRead || evs[1].Op != cdc.OpCreate || evs[2].Op != cdc.OpUpdate {
		t.Fatalf("ops %v %v %v, want r c u", evs[0].Op, evs[1].Op, evs[2].Op)
	}
	check("snapshot", evs[0].After, 1)
	check("binlog", evs[1].After, 2)
	check("update Before", evs[2].Before, 2)
	check("update After", evs[2].After, 2)
	for _, ev := range evs {
		for _, tc := range typeCases {
			col, ok := ev.Schema.Column(tc.col)
			if !ok || col.Kind != tc.kind {
				t.Fatalf("%s event: schema column %s = %+v, want kind %v", ev.Op, tc.col, col, tc.kind)
			}
		}
		if k, _ := ev.Key.Int64("id"); k != 2 && ev.Op != cdc.OpRead || ev.Key.Len() != 1 {
			t.Fatalf("%s event: key %#v", ev.Op, ev.Key)
		}
	}
	if evs[0].Schema != evs[1].Schema {
		t.Errorf("the snapshot and the stream built different schemas for an unchanged table: %+v / %+v", evs[0].Schema, evs[1].Schema)
	}
}

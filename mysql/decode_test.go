package mysql

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/tributary-cdc/cdc"
)

func TestParseTemporal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00:00", 0, true},
		{"25:00:01", 25*time.Hour + time.Second, true},
		{"-838:59:59", -(838*time.Hour + 59*time.Minute + 59*time.Second), true},
		{"-838:59:58.5", -(838*time.Hour + 59*time.Minute + 58*time.Second + 500*time.Millisecond), true},
		{"-00:00:00.000001", -time.Microsecond, true},
		{"12:34:56.123456", 12*time.Hour + 34*time.Minute + 56*time.Second + 123456*time.Microsecond, true},
		{"1:2:3", 0, false},
		{"12:34", 0, false},
		{"aa:bb:cc", 0, false},
		{"12:34:56.", 0, false},
		{"12:34:56.1234567890", 0, false},
	} {
		got, err := parseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-02-29 23:59:59.999999", time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC), true},
		{"1960-01-02 03:04:05.1", time.Date(1960, 1, 2, 3, 4, 5, 100000000, time.UTC), true},
		{"0000-00-00 00:00:00", time.Time{}, true},
		{"2024-00-10 00:00:00", time.Time{}, true},
		{"2024-01-02", time.Time{}, false},
		{"2024-01-02T03:04:05", time.Time{}, false},
	} {
		got, err := parseDateTime(tc.in)
		if (err == nil) != tc.ok || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("parseDateTime(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if d, err := parseDate("0000-00-00"); err != nil || !d.IsZero() {
		t.Errorf("zero date = %v, %v", d, err)
	}
	if _, err := parseDate("2024-1-2"); err == nil {
		t.Error("parseDate accepted 2024-1-2")
	}
}

func FuzzParseTemporal(f *testing.F) {
	for _, s := range []string{"-838:59:58.5", "2024-02-29 23:59:59.999999", "0000-00-00", "::", "-", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parseDuration(s) // must not panic
		parseDateTime(s)
		parseDate(s)
	})
}

func TestLatin1(t *testing.T) {
	in := []byte{'c', 'a', 'f', 0xe9, ' ', 0x80, ' ', 0x9f, 0xff, 0x81}
	if got, want := latin1ToUTF8(in), "café € Ÿÿ\u0081"; got != want {
		t.Fatalf("latin1ToUTF8 = %q, want %q", got, want)
	}
	if got := textDecoder("latin2")([]byte{0xa3}); got != "Ł" {
		t.Fatalf("latin2 0xA3 = %q, want Ł", got)
	}
	if textDecoder("utf8mb4") != nil || textDecoder("nosuchcharset") != nil {
		t.Fatal("UTF-8 and unknown character sets are converted")
	}
}

func TestSmallDecoders(t *testing.T) {
	if got := setMembers(0b101, []string{"a", "b", "c"}); !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Errorf("setMembers = %v", got)
	}
	if got := setMembers(0, []string{"a"}); got == nil || len(got) != 0 {
		t.Errorf("empty set = %#v, want an empty, non-nil slice", got)
	}
	if got := float32To64(3.14); got != 3.14 {
		t.Errorf("float32To64(3.14) = %v", got)
	}
	if got := float32To64(float32(math.Inf(-1))); !math.IsInf(got, -1) {
		t.Errorf("float32To64(-Inf) = %v", got)
	}
	if got := parseEnumValues("enum('a','b''c','','d,e')"); !reflect.DeepEqual(got, []string{"a", "b'c", "", "d,e"}) {
		t.Errorf("parseEnumValues = %q", got)
	}
	// An unsigned column the table map did not flag (binlog_row_metadata NO_LOG).
	dec := binlogDecoder(&colInfo{dataType: "mediumint", unsigned: true})
	if v, _ := dec(int32(-1)); v != int64(16777215) {
		t.Errorf("MEDIUMINT UNSIGNED -1 -> %v", v)
	}
	dec = binlogDecoder(&colInfo{dataType: "bigint", unsigned: true})
	if v, _ := dec(int64(-1)); v != uint64(math.MaxUint64) {
		t.Errorf("BIGINT UNSIGNED -1 -> %v", v)
	}
	dec = binlogDecoder(&colInfo{dataType: "enum", values: []string{"x", "y"}})
	if v, _ := dec(int64(2)); v != "y" {
		t.Errorf("ENUM 2 -> %v", v)
	}
	if _, err := dec(int64(3)); err == nil {
		t.Error("ENUM index beyond the members accepted")
	}
	dec = binlogDecoder(&colInfo{dataType: "decimal"})
	if v, _ := dec("-0.10"); v.(cdc.Decimal).String() != "-0.10" {
		t.Errorf("DECIMAL -0.10 -> %v", v)
	}
}

func TestMissingGrants(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		want  string
		roles bool
	}{
		{[]string{"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"}, "", false},
		{[]string{"GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `cdc`@`%`", "GRANT SELECT ON `shop`.* TO `cdc`@`%`"}, "", false},
		{[]string{"GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`"}, "", false},
		{[]string{"GRANT USAGE ON *.* TO `cdc`@`%`", "GRANT ALL PRIVILEGES ON `shop`.* TO `cdc`@`%`"}, "REPLICATION SLAVE REPLICATION CLIENT", false},
		{[]string{"GRANT REPLICATION SLAVE ON *.* TO `cdc`@`%`"}, "REPLICATION CLIENT", false},
		{[]string{"GRANT USAGE ON *.* TO `cdc`@`%`", "GRANT `replicator` TO `cdc`@`%`"}, "REPLICATION SLAVE REPLICATION CLIENT", true},
	} {
		missing, roles := missingGrants(tc.lines)
		if strings.Join(missing, " ") != tc.want || roles != tc.roles {
			t.Errorf("missingGrants(%q) = %q, %v; want %q, %v", tc.lines, missing, roles, tc.want, tc.roles)
		}
	}
}

func TestDDLTables(t *testing.T) {
	p := parser.New()
	for _, tc := range []struct {
		q    string
		want string
		ok   bool
	}{
		{"ALTER TABLE t ADD COLUMN c INT", "db.t", true},
		{"alter table `other`.`t` rename to t2", "other.t db.t2", true},
		{"RENAME TABLE a TO b, x.c TO x.d", "db.a db.b x.c x.d", true},
		{"DROP TABLE IF EXISTS `a`,`b` /* generated by server */", "db.a db.b", true},
		{"TRUNCATE TABLE t", "db.t!", true},
		{"CREATE TABLE n (id INT PRIMARY KEY, v VARCHAR(3) DEFAULT 'x')", "db.n", true},
		{"CREATE INDEX i ON t (c)", "db.t", true},
		{"DROP DATABASE shop", "shop.", true},
		{"CREATE USER u", "", true},
		{"CREATE OR REPLACE SEQUENCE s", "", false},
	} {
		targets, ok := ddlTables(p, tc.q, "db")
		var got []string
		for _, tg := range targets {
			s := tg.db + "." + tg.name
			if tg.truncate {
				s += "!"
			}
			got = append(got, s)
		}
		if strings.Join(got, " ") != tc.want || ok != tc.ok {
			t.Errorf("ddlTables(%q) = %q, %v; want %q, %v", tc.q, got, ok, tc.want, tc.ok)
		}
	}
	for q, want := range map[string]string{
		"  /* c */ ALTER TABLE t": "ALTER", "# x\nDROP TABLE t": "DROP", "BEGIN": "BEGIN", "/*!40000 ALTER */": "",
		"xa start 'x'": "XA",
	} {
		if got := ddlKeyword(q); got != want {
			t.Errorf("ddlKeyword(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestPositions(t *testing.T) {
	var e posEncoder
	for _, tc := range []struct {
		file string
		pos  uint32
		n    int64
		gtid string
		tx   string
		want string
	}{
		{"mysql-bin.000003", 1234, 0, "", "", `{"v":1,"file":"mysql-bin.000003","pos":1234}`},
		{"mysql-bin.000003", 900, 2048, "0-1-42", "0-1-43", `{"v":1,"file":"mysql-bin.000003","pos":900,"n":2048,"tx":"0-1-43","gtids":"0-1-42"}`},
		{"mysql-bin.000003", 900, 0, "0-1-42,1-2-7", "", `{"v":1,"file":"mysql-bin.000003","pos":900,"gtids":"0-1-42,1-2-7"}`},
		{"b\"in.1", 4, 0, "", "", `{"v":1,"file":"b\"in.1","pos":4}`},
	} {
		got := e.at(tc.file, tc.pos, tc.n, tc.gtid, tc.tx)
		if string(got) != tc.want {
			t.Errorf("at = %s, want %s", got, tc.want)
		}
		p, err := parsePosition(got)
		if err != nil || p.File != tc.file || p.Pos != tc.pos || p.TxDone != tc.n || p.GTIDs != tc.gtid || p.TxGTID != tc.tx {
			t.Errorf("parsePosition(%s) = %+v, %v", got, p, err)
		}
	}
	e2 := posEncoder{server: "3a0c-uuid"}
	if got, want := string(e2.at("binlog.000001", 4, 0, "3a0c:1-5", "")), `{"v":1,"server":"3a0c-uuid","file":"binlog.000001","pos":4,"gtids":"3a0c:1-5"}`; got != want {
		t.Errorf("at with a server = %s, want %s", got, want)
	}
	if _, err := parsePosition(cdc.Position(`{"v":1,"file":"f.1","pos":4,"gtids":"0-1-2\"}`)); !errors.Is(err, cdc.ErrCorruptOffsets) {
		t.Errorf("a position with a malformed GTID state: %v, want ErrCorruptOffsets", err)
	}
	p := position{File: "f.1", Pos: 4, Snapshot: &snapshot{Done: []string{"a.b"}, Table: "a.c", After: []string{"1", "x"}}}.encode()
	if want := `{"v":1,"file":"f.1","pos":4,"snapshot":{"done":["a.b"],"table":"a.c","after":["1","x"]}}`; string(p) != want {
		t.Errorf("snapshot position %s, want %s", p, want)
	}
}

func TestKeysetCondition(t *testing.T) {
	sc := &snapCols{order: "`a`, `b`, `c`", pkKind: []cdc.Kind{cdc.KindInt, cdc.KindString, cdc.KindBytes}, pkAt: []int{0, 1, 2},
		pkCols: []*colInfo{{dataType: "int"}, {dataType: "varchar"}, {dataType: "varbinary"}}}
	got, err := sc.after([]string{"7", "it's", "00ff"})
	want := "(`a` > 7) OR (`a` = 7 AND `b` > 'it''s') OR (`a` = 7 AND `b` = 'it''s' AND `c` > X'00ff')"
	if err != nil || got != want {
		t.Fatalf("after = %s, %v; want %s", got, err, want)
	}
	enum := &snapCols{order: "`e`, `s`", pkKind: []cdc.Kind{cdc.KindString, cdc.KindSet}, pkAt: []int{0, 1},
		pkCols: []*colInfo{{dataType: "enum", values: []string{"z", "a"}}, {dataType: "set", values: []string{"x", "y", "w"}}}}
	got, err = enum.after([]string{"a", "x,w"})
	if want := "(`e` > 2) OR (`e` = 2 AND `s` > 5)"; err != nil || got != want {
		t.Fatalf("after for ENUM and SET keys = %s, %v; want %s", got, err, want)
	}
	if _, err := sc.after([]string{"1 OR 1=1", "x", "00"}); err == nil {
		t.Fatal("a non-numeric value for a numeric key column was accepted")
	}
	if _, err := sc.after([]string{"1", "x", "zz"}); err == nil {
		t.Fatal("a non-hex value for a binary key column was accepted")
	}
}

// TestParseDateTimeBytes: a DATETIME parsed from a row's bytes, through the day count.
func TestParseDateTimeBytes(t *testing.T) {
	got, err := parseDateTime([]byte("2024-02-29 23:59:58.000001"))
	if want := time.Date(2024, 2, 29, 23, 59, 58, 1000, time.UTC); err != nil || !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("parseDateTime = %v, %v; want %v", got, err, want)
	}
}

package mysql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/internal/testdb"
	"github.com/tributary-cdc/cdc/mysql"
)

// TestPartialRowImages: with binlog_row_image MINIMAL or NOBLOB accepted
// (AllowPartialRowImages), columns missing from a row image arrive as cdc.Unchanged,
// the ones present with their values, and keys are complete.
func TestPartialRowImages(t *testing.T) {
	needOwnServer(t, "starts servers with binlog_row_image MINIMAL and NOBLOB")
	for _, tc := range []struct {
		image string
		want  []string // Before | After of insert, update, delete
	}{
		{"MINIMAL", []string{
			"- | id=1 a=10 b=x c=<unchanged>", // columns left to their default are not in the image
			"id=1 a=<unchanged> b=<unchanged> c=<unchanged> | id=<unchanged> a=11 b=<unchanged> c=<unchanged>",
			"id=1 a=<unchanged> b=<unchanged> c=<unchanged> | -",
		}},
		{"NOBLOB", []string{
			"- | id=1 a=10 b=x c=<nil>",
			"id=1 a=10 b=<unchanged> c=<nil> | id=1 a=11 b=<unchanged> c=<nil>",
			"id=1 a=11 b=<unchanged> c=<nil> | -",
		}},
	} {
		t.Run(tc.image, func(t *testing.T) {
			m := testdb.NewMariaDB(t, testdb.MariaDBOptions{Args: []string{"--binlog-row-image=" + tc.image}})
			c := dial(t, m)
			run(t, c, "CREATE TABLE test.p (id INT PRIMARY KEY, a INT, b TEXT, c INT)")
			cfg := mysql.Config{Tables: []string{"test.p"}, SnapshotMode: cdc.SnapshotNever}
			_, err := newSource(t, m, cfg).Open(t.Context(), cdc.OpenRequest{Name: "p"})
			if err == nil || !strings.Contains(err.Error(), "AllowPartialRowImages") {
				t.Fatalf("without AllowPartialRowImages: %v; want an error naming it", err)
			}
			cfg.AllowPartialRowImages = true
			st := open(t, newSource(t, m, cfg), nil)
			readStart(t, st)
			run(t, c, "INSERT INTO test.p (id, a, b) VALUES (1, 10, 'x')", "UPDATE test.p SET a = 11 WHERE id = 1", "DELETE FROM test.p WHERE id = 1")
			evs := cdctest.ReadUntil(t, st, 3, cdctest.Ops(cdc.OpCreate, cdc.OpUpdate, cdc.OpDelete))
			for i, ev := range evs {
				got := rowValues(ev.Before) + " | " + rowValues(ev.After)
				if got != tc.want[i] {
					t.Errorf("%s event: %s, want %s", ev.Op, got, tc.want[i])
				}
				if id, err := ev.Key.Int64("id"); err != nil || id != 1 {
					t.Errorf("%s event: key %v (%v), want id=1", ev.Op, ev.Key, err)
				}
			}
		})
	}
}

// rowValues renders a row as "col=value ..." ("-" for no row).
func rowValues(r cdc.Row) string {
	if r.IsZero() {
		return "-"
	}
	var parts []string
	for i, n := range r.Names() {
		v := r.At(i)
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		parts = append(parts, fmt.Sprintf("%s=%v", n, v))
	}
	return strings.Join(parts, " ")
}

package mysql_test

import (
	"fmt"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/mysql"
)

// benchRows is the size of the benchmarks' tables and transactions.
const benchRows = 100_000

// BenchmarkStreamLargeTransaction reads one transaction of benchRows inserts from the
// binlog through the source (no engine): decoding and event building.
func BenchmarkStreamLargeTransaction(b *testing.B) {
	db := newDB(b, shared, "benchtx")
	c := dial(b, shared)
	run(b, c, "CREATE TABLE "+db+".t (id INT PRIMARY KEY, note VARCHAR(40) NOT NULL, amount DECIMAL(10,2), at DATETIME(6))")
	src := newSource(b, shared, mysql.Config{Tables: []string{db + ".t"}, SnapshotMode: cdc.SnapshotNever})
	st := open(b, src, nil)
	start := readStart(b, st)
	st.Close()
	run(b, c, insertSeq(db+".t", "seq, CONCAT('note ', seq), seq / 100, NOW(6)", 1, benchRows))
	b.ResetTimer()
	for range b.N {
		st := open(b, src, start)
		cdctest.ReadUntil(b, st, benchRows, cdctest.Ops(cdc.OpCreate))
		st.Close()
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkStreamSmallTransactions reads benchRows/10 single-row transactions.
func BenchmarkStreamSmallTransactions(b *testing.B) {
	const n = benchRows / 10
	db := newDB(b, shared, "benchsmall")
	c := dial(b, shared)
	run(b, c, "CREATE TABLE "+db+".t (id INT PRIMARY KEY, note VARCHAR(40) NOT NULL)")
	src := newSource(b, shared, mysql.Config{Tables: []string{db + ".t"}, SnapshotMode: cdc.SnapshotNever})
	st := open(b, src, nil)
	start := readStart(b, st)
	st.Close()
	for i := range n {
		run(b, c, fmt.Sprintf("INSERT INTO %s.t VALUES (%d, 'note %d')", db, i, i))
	}
	b.ResetTimer()
	for range b.N {
		st := open(b, src, start)
		cdctest.ReadUntil(b, st, n, cdctest.Ops(cdc.OpCreate))
		st.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSnapshot reads a table of benchRows rows with the snapshot.
func BenchmarkSnapshot(b *testing.B) {
	db := newDB(b, shared, "benchsnap")
	c := dial(b, shared)
	run(b, c, "CREATE TABLE "+db+".t (id INT PRIMARY KEY, note VARCHAR(40) NOT NULL, amount DECIMAL(10,2), at DATETIME(6))",
		insertSeq(db+".t", "seq, CONCAT('note ', seq), seq / 100, NOW(6)", 1, benchRows))
	b.ResetTimer()
	for range b.N {
		src := newSource(b, shared, mysql.Config{Tables: []string{db + ".t"}, SnapshotChunkSize: 4096})
		st := open(b, src, nil)
		cdctest.ReadUntil(b, st, benchRows, cdctest.Ops(cdc.OpRead))
		st.Close()
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

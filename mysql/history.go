package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tributary-cdc/cdc"
)

// historyVersion is the version of the persisted schema history; a stored history of
// another version is refused rather than guessed at.
const historyVersion = 1

// historyKeySuffix names the history's key in the offset store (OpenRequest.AuxKey).
const historyKeySuffix = "schema-history"

// compactAfter is how many DDL entries the history keeps before it folds the ones at
// or before the committed position into its base.
const compactAfter = 64

// schemaModel is the schemas of the tables of the captured databases at one point of
// the binlog. Its tableInfo values are never modified once in a model: a DDL makes new
// ones, so models and decoders share them safely.
type schemaModel struct {
	tables map[string]*tableInfo // "db.table"
	dbs    map[string]string     // captured database -> default character set
}

func (m *schemaModel) clone() *schemaModel {
	return &schemaModel{tables: maps.Clone(m.tables), dbs: maps.Clone(m.dbs)}
}

// binlogPos is a point in the binlog: the position after an event.
type binlogPos struct {
	File string `json:"file"`
	Pos  uint32 `json:"pos"`
}

// before reports whether p comes before q. Binlog file names end in a sequence number
// that widens past 999999, so the numbers are compared, not the names.
func (p binlogPos) before(q binlogPos) bool {
	if p.File != q.File {
		return fileSeq(p.File) < fileSeq(q.File)
	}
	return p.Pos < q.Pos
}

func fileSeq(name string) uint64 {
	n, err := strconv.ParseUint(name[strings.LastIndexByte(name, '.')+1:], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func (p binlogPos) String() string { return p.File + ":" + strconv.FormatUint(uint64(p.Pos), 10) }

// histEntry is one schema change: the definitions, after the statement, of the tables
// it changed (nil: dropped), and the default character sets of the databases it
// created, changed (or dropped: "").
type histEntry struct {
	at     binlogPos
	gtid   string // of the statement's transaction, when the server has GTIDs
	db     string // the statement's default database
	sql    string // "" for a table found in the catalog rather than by a statement
	tables map[string]*tableInfo
	dbs    map[string]string
}

// history versions the schemas of the captured databases by binlog position: a base
// model at the position the stream first started from, and the changes after it. It
// is persisted through the offset store, so a stream resumed at an old position
// decodes with the schemas of that position.
type history struct {
	store  cdc.OffsetStore
	key    string
	flavor string
	server string // the server (serverIdentity) whose binlog positions these are
	baseAt binlogPos
	// baseGTIDs is the GTID state at baseAt ("" without GTIDs), advanced by the GTIDs
	// of the entries folded into the base.
	baseGTIDs string
	base      *schemaModel
	entries   []histEntry
	cur       *schemaModel // base and entries applied: the schemas at the stream's read position

	mu        sync.Mutex
	committed binlogPos // the last position the engine committed; guarded by mu
}

func newHistory(store cdc.OffsetStore, key, flavor string, at binlogPos, base *schemaModel) *history {
	return &history{store: store, key: key, flavor: flavor, baseAt: at, base: base, cur: base.clone()}
}

// commit records the position the engine stored: entries at or before it will never
// be needed apart from the base, so they may be folded into it.
func (h *history) commit(p binlogPos) {
	h.mu.Lock()
	if h.committed.before(p) {
		h.committed = p
	}
	h.mu.Unlock()
}

// record appends a change made at e.at to the history and the current model.
func (h *history) record(e histEntry) {
	h.entries = append(h.entries, e)
	applyEntry(h.cur, &e)
	h.compact()
}

func applyEntry(m *schemaModel, e *histEntry) {
	for k, t := range e.tables {
		if t == nil {
			delete(m.tables, k)
		} else {
			m.tables[k] = t
		}
	}
	for db, cs := range e.dbs {
		if cs == "" {
			delete(m.dbs, db)
		} else {
			m.dbs[db] = cs
		}
	}
}

// compact folds the entries at or before the committed position into the base once
// there are many.
func (h *history) compact() {
	if len(h.entries) <= compactAfter {
		return
	}
	h.mu.Lock()
	upTo := h.committed
	h.mu.Unlock()
	n := 0
	for n < len(h.entries) && !upTo.before(h.entries[n].at) {
		n++
	}
	if n == 0 {
		return
	}
	base := h.base.clone()
	var gtids *gtidTracker
	if h.baseGTIDs != "" {
		gtids, _ = newGTIDTracker(h.flavor, h.baseGTIDs)
	}
	for i := range n {
		applyEntry(base, &h.entries[i])
		if gtids != nil && h.entries[i].gtid != "" && gtids.advance(h.entries[i].gtid) != nil {
			gtids = nil
		}
	}
	h.base, h.baseAt = base, h.entries[n-1].at
	if h.baseGTIDs = ""; gtids != nil {
		h.baseGTIDs = gtids.text
	}
	h.entries = slices.Delete(h.entries, 0, n)
}

// rewind makes the current model the one valid at p, forgetting the entries after it:
// the stream reads them again. It reports false when p is before the base.
func (h *history) rewind(p binlogPos) bool {
	cur := h.base.clone()
	n := 0
	for n < len(h.entries) && !p.before(h.entries[n].at) {
		applyEntry(cur, &h.entries[n])
		n++
	}
	h.entries = h.entries[:n]
	h.cur = cur
	if p.before(h.baseAt) {
		// The base is newer than p: keep it (the caller warns), but from p on, so the
		// statements read again after p are in order when the history is saved.
		h.baseAt = p
		return false
	}
	return true
}

// rewindGTIDs makes the current model the one valid at a GTID state, forgetting the
// entries of statements after it. For a position from another server, whose binlog
// offsets mean nothing here. It reports false when the state is before the base, or
// the base's state is unknown (a history without GTIDs): the base is kept then.
func (h *history) rewindGTIDs(state *gtidTracker) bool {
	ok := false
	if h.baseGTIDs != "" {
		if b, err := newGTIDTracker(h.flavor, h.baseGTIDs); err == nil {
			ok = state.contains(b)
		}
	}
	cur := h.base.clone()
	n := 0
	// Entries without a GTID (tables found in the catalog in a transaction without
	// one) go with the statements around them.
	for n < len(h.entries) && (h.entries[n].gtid == "" || state.containsGTID(h.entries[n].gtid)) {
		applyEntry(cur, &h.entries[n])
		n++
	}
	h.entries = h.entries[:n]
	h.cur = cur
	return ok
}

// The persisted form: small, versioned JSON.
//
//	{"v":1,"flavor":"mariadb","server":"1",
//	 "base":{"file":"mysql-bin.000001","pos":328,"gtids":"0-1-7","dbs":{"shop":"utf8mb4"},"tables":{"shop.t":{...}}},
//	 "ddl":[{"file":"mysql-bin.000001","pos":912,"gtid":"0-1-9","db":"shop","sql":"ALTER TABLE t ...","tables":{"shop.t":{...}}}]}
type histFile struct {
	V      int          `json:"v"`
	Flavor string       `json:"flavor"`
	Server string       `json:"server,omitempty"`
	Base   *histPoint   `json:"base"`
	DDL    []*histPoint `json:"ddl,omitempty"`
}

type histPoint struct {
	binlogPos
	GTIDs  string                `json:"gtids,omitempty"` // base: the GTID state
	GTID   string                `json:"gtid,omitempty"`  // change: its transaction's GTID
	DB     string                `json:"db,omitempty"`
	SQL    string                `json:"sql,omitempty"`
	DBs    map[string]string     `json:"dbs,omitempty"`
	Tables map[string]*histTable `json:"tables"`
}

type histTable struct {
	Charset string    `json:"charset,omitempty"`
	Cols    []histCol `json:"cols"`
	PK      []string  `json:"pk,omitempty"`
}

type histCol struct {
	Name       string   `json:"name"`
	DataType   string   `json:"type"`
	ColumnType string   `json:"ctype,omitempty"`
	Unsigned   bool     `json:"unsigned,omitempty"`
	Nullable   bool     `json:"null,omitempty"`
	Default    *string  `json:"default,omitempty"`
	Charset    string   `json:"charset,omitempty"`
	Length     int      `json:"len,omitempty"`
	Precision  int      `json:"prec,omitempty"`
	Scale      int      `json:"scale,omitempty"`
	Values     []string `json:"values,omitempty"`
	JSON       bool     `json:"json,omitempty"`
}

func toHistTable(t *tableInfo) *histTable {
	if t == nil {
		return nil
	}
	ht := &histTable{Charset: t.charset, PK: t.pk, Cols: make([]histCol, len(t.cols))}
	for i, c := range t.cols {
		ht.Cols[i] = histCol{Name: c.name, DataType: c.dataType, ColumnType: c.columnType, Unsigned: c.unsigned,
			Nullable: c.nullable, Default: c.def, Charset: c.charset, Length: c.length, Precision: c.precision,
			Scale: c.scale, Values: c.values, JSON: c.json}
	}
	return ht
}

func (ht *histTable) info() *tableInfo {
	if ht == nil {
		return nil
	}
	t := &tableInfo{charset: ht.Charset, pk: ht.PK}
	for _, c := range ht.Cols {
		t.cols = append(t.cols, colInfo{name: c.Name, dataType: c.DataType, columnType: c.ColumnType, unsigned: c.Unsigned,
			nullable: c.Nullable, def: c.Default, charset: c.Charset, length: c.Length, precision: c.Precision,
			scale: c.Scale, values: c.Values, json: c.JSON, pk: slices.Contains(ht.PK, c.Name)})
	}
	t.index()
	return t
}

func toHistTables(m map[string]*tableInfo) map[string]*histTable {
	out := make(map[string]*histTable, len(m))
	for k, t := range m {
		out[k] = toHistTable(t)
	}
	return out
}

func (h *history) encode() []byte {
	f := histFile{V: historyVersion, Flavor: h.flavor, Server: h.server,
		Base: &histPoint{binlogPos: h.baseAt, GTIDs: h.baseGTIDs, DBs: h.base.dbs, Tables: toHistTables(h.base.tables)}}
	for _, e := range h.entries {
		f.DDL = append(f.DDL, &histPoint{binlogPos: e.at, GTID: e.gtid, DB: e.db, SQL: e.sql, DBs: e.dbs, Tables: toHistTables(e.tables)})
	}
	b, err := json.Marshal(f)
	if err != nil {
		panic("mysql: encoding the schema history: " + err.Error()) // only strings, numbers and maps of them
	}
	return b
}

// save writes the history to the offset store: before any position after its last
// change is handed out, so no stored position is ahead of the stored history.
func (h *history) save(ctx context.Context) error {
	if err := h.store.Save(ctx, h.key, h.encode()); err != nil {
		return fmt.Errorf("mysql: saving the schema history under %q: %w", h.key, err)
	}
	return nil
}

// loadHistory reads the history stored under key; nil when there is none.
func loadHistory(ctx context.Context, store cdc.OffsetStore, key string) (*history, error) {
	data, err := store.Load(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("mysql: loading the schema history %q: %w", key, err)
	}
	if data == nil {
		return nil, nil
	}
	corrupt := func(why string) error {
		return fmt.Errorf("%w: mysql: the schema history stored under %q %s: delete that key from the offset store "+
			"and the engine's position, and take a new snapshot (or restore the offset store from a backup)", cdc.ErrCorruptOffsets, key, why)
	}
	var probe struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.V == nil {
		return nil, corrupt("is not a schema history (want JSON with \"v\":1)")
	}
	if *probe.V != historyVersion {
		return nil, corrupt(fmt.Sprintf("has version %d, this version of the source reads version %d", *probe.V, historyVersion))
	}
	var f histFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, corrupt("cannot be read: " + err.Error())
	}
	if f.Base == nil || f.Base.File == "" || f.Base.Tables == nil {
		return nil, corrupt("has no base (binlog position and table schemas)")
	}
	if !plainGTIDText(f.Base.GTIDs) {
		return nil, corrupt("has a malformed GTID state in its base")
	}
	h := &history{store: store, key: key, flavor: f.Flavor, server: f.Server, baseAt: f.Base.binlogPos, baseGTIDs: f.Base.GTIDs}
	h.base = &schemaModel{tables: map[string]*tableInfo{}, dbs: map[string]string{}}
	maps.Copy(h.base.dbs, f.Base.DBs)
	for k, t := range f.Base.Tables {
		if t == nil {
			return nil, corrupt("has a null table " + strconv.Quote(k) + " in its base")
		}
		h.base.tables[k] = t.info()
	}
	last := h.baseAt
	for i, p := range f.DDL {
		if p == nil || p.File == "" || p.before(last) {
			return nil, corrupt(fmt.Sprintf("has a change (number %d) without a position or out of position order", i+1))
		}
		last = p.binlogPos
		if !plainGTIDText(p.GTID) {
			return nil, corrupt(fmt.Sprintf("has a change (number %d) with a malformed GTID", i+1))
		}
		e := histEntry{at: p.binlogPos, gtid: p.GTID, db: p.DB, sql: p.SQL, dbs: p.DBs, tables: map[string]*tableInfo{}}
		for k, t := range p.Tables {
			e.tables[k] = t.info()
		}
		h.entries = append(h.entries, e)
	}
	h.cur = h.base.clone()
	for i := range h.entries {
		applyEntry(h.cur, &h.entries[i])
	}
	return h, nil
}

// memStore keeps the schema history of streams opened without an offset store (a
// request without Offsets), for the life of the Source.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memStore) Load(_ context.Context, key string) (cdc.Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.m[key]), nil
}

func (s *memStore) Save(_ context.Context, key string, pos cdc.Position) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[key] = slices.Clone(pos)
	return nil
}

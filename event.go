package cdc

import (
	"strconv"
	"strings"
	"time"
)

// Op is the kind of change an Event describes.
type Op uint8

// The operations. Their String forms are Debezium's "op" codes where Debezium has one.
const (
	OpCreate    Op = iota + 1 // a row was inserted ("c")
	OpUpdate                  // a row was updated ("u")
	OpDelete                  // a row was deleted ("d")
	OpRead                    // a row was read by a snapshot ("r")
	OpTruncate                // a table was truncated ("t")
	OpMessage                 // a logical decoding / application message ("m")
	OpSchema                  // a table's schema changed (DDL); Event.DDL and Event.Schema describe it ("s")
	OpHeartbeat               // carries only a position; the engine never delivers it to handlers ("h")
)

var opCodes = [...]string{"?", "c", "u", "d", "r", "t", "m", "s", "h"}

// String returns the one-letter code of the operation ("c", "u", "d", "r", "t", "m", "s", "h").
func (o Op) String() string {
	if int(o) < len(opCodes) {
		return opCodes[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// ParseOp is the inverse of Op.String.
func ParseOp(s string) (Op, bool) {
	for i := 1; i < len(opCodes); i++ {
		if opCodes[i] == s {
			return Op(i), true
		}
	}
	return 0, false
}

// TableID names a captured table (or, for MongoDB, a collection).
// PostgreSQL fills Database, Schema and Name; MySQL and MongoDB leave Schema empty.
type TableID struct {
	Database string
	Schema   string
	Name     string
}

// String joins the non-empty parts with dots: "shop.public.orders", "shop.orders".
func (t TableID) String() string {
	var b strings.Builder
	for _, p := range [...]string{t.Database, t.Schema, t.Name} {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Namespace is the part of the table name that Debezium puts in a topic name:
// the schema when there is one (PostgreSQL), the database otherwise (MySQL, MongoDB).
func (t TableID) Namespace() string {
	if t.Schema != "" {
		return t.Schema
	}
	return t.Database
}

// Position is an opaque, source-encoded resume point: small versioned JSON such as
// {"v":1,"lsn":"0/16B3748"}. The engine stores it and hands it back to the source;
// it never interprets it.
type Position []byte

// String returns the position as text, for logs.
func (p Position) String() string { return string(p) }

// Message is the payload of an OpMessage event
// (PostgreSQL pg_logical_emit_message, for example).
type Message struct {
	Prefix        string
	Content       []byte
	Transactional bool
}

// Header is one entry of an event's ordered header list, used by transforms
// (outbox, changed fields) and sinks (Kafka record headers).
type Header struct {
	Key   string
	Value any
}

// SnapshotMarker tells whether an event was produced by a snapshot, like Debezium's
// source.snapshot field.
type SnapshotMarker string

// Snapshot markers. The zero value means the event came from the change stream.
const (
	SnapshotFalse SnapshotMarker = ""
	SnapshotTrue  SnapshotMarker = "true"
	SnapshotFirst SnapshotMarker = "first"
	SnapshotLast  SnapshotMarker = "last"
)

// SourceInfo is the source metadata of an event (Debezium's "source" block).
// Fields that do not apply to a source are left zero.
type SourceInfo struct {
	Connector  string         // "postgresql", "mysql", "mariadb", "mongodb", "fake"
	Name       string         // the engine name (set by the engine)
	Snapshot   SnapshotMarker // non-empty for snapshot reads
	CommitTime time.Time      // when the server committed the change (Debezium ts_ms)
	TxID       string         // transaction id, when the source has one
	TxOrder    int64          // 1-based order of the event inside its transaction

	LSN       uint64 // PostgreSQL: LSN of the change
	CommitLSN uint64 // PostgreSQL: LSN of the transaction's commit

	ServerID uint32 // MySQL/MariaDB: server id of the writer
	GTID     string // MySQL/MariaDB: GTID of the transaction, when GTIDs are on
	File     string // MySQL/MariaDB: binlog file of the event
	Pos      uint64 // MySQL/MariaDB: binlog position of the event
	Row      int    // MySQL/MariaDB: row index inside the rows event

	// Extra holds any other source-specific metadata (MongoDB update descriptions, ...).
	// It is nil unless a source needs it.
	Extra map[string]any
}

// Event is one committed change.
//
// Key, Before and After are rows: Key has the primary-key (or replica-identity) columns,
// Before the old row (updates and deletes, when the source has it), After the new row
// (creates, updates, snapshot reads). Rows share their column names with Schema;
// change them through Row's methods, which copy on write.
type Event struct {
	Op     Op
	Table  TableID
	Key    Row
	Before Row
	After  Row

	// Schema is the table's schema when the event was written. It is shared between
	// events and must not be modified.
	Schema *TableSchema

	Source SourceInfo

	// Destination is the routing name of the event. The engine sets it to
	// "<name>.<schema or database>.<table>" before transforms run; routing transforms change it.
	Destination string

	Headers []Header

	Message *Message // OpMessage only
	DDL     string   // OpSchema only: the statement that changed the schema, when known

	// Position is where the source resumes once this event and every event before it
	// have been handled. A nil Position marks an event that is not a safe resume point
	// (inside a transaction whose row index the source cannot record).
	Position Position

	id string
}

// ID returns the event's idempotency key: the same change gets the same ID every time it
// is delivered, across restarts (PostgreSQL: commit LSN and order; MySQL: GTID or
// file/position and row index; MongoDB: resume token). Sinks use it to drop duplicates.
func (e *Event) ID() string { return e.id }

// SetID sets the idempotency key. Sources call it; transforms that split or
// synthesise events derive a new key from the original one.
func (e *Event) SetID(id string) { e.id = id }

// Header returns the value of the first header with the key.
func (e *Event) Header(key string) (any, bool) {
	for _, h := range e.Headers {
		if h.Key == key {
			return h.Value, true
		}
	}
	return nil, false
}

// SetHeader replaces the first header with the key, or appends one.
func (e *Event) SetHeader(key string, value any) {
	for i := range e.Headers {
		if e.Headers[i].Key == key {
			e.Headers[i].Value = value
			return
		}
	}
	e.Headers = append(e.Headers, Header{Key: key, Value: value})
}

// Row returns the row that describes the current state: After, or Before for deletes.
func (e *Event) Row() Row {
	if e.Op == OpDelete {
		return e.Before
	}
	return e.After
}

// Kind is the Go representation of a column's values, following the value mapping in the
// package documentation. Schema and codec packages derive types from it.
type Kind uint8

// Kinds of column values.
const (
	KindUnknown   Kind = iota // text form, type name in Column.Type
	KindBool                  // bool
	KindInt                   // int64
	KindUint                  // uint64 (unsigned 64-bit)
	KindFloat                 // float64
	KindDecimal               // Decimal
	KindString                // string (also enum)
	KindBytes                 // []byte
	KindDate                  // time.Time at UTC midnight, or Infinity
	KindTime                  // time.Duration since midnight
	KindTimestamp             // time.Time in UTC, or Infinity
	KindJSON                  // json.RawMessage
	KindUUID                  // string, canonical form
	KindArray                 // []any of mapped elements
	KindSet                   // []string (MySQL SET)
	KindInterval              // Interval
	KindDocument              // map[string]any (MongoDB)
)

var kindNames = [...]string{"unknown", "bool", "int", "uint", "float", "decimal", "string", "bytes",
	"date", "time", "timestamp", "json", "uuid", "array", "set", "interval", "document"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Column describes one column of a table.
type Column struct {
	Name       string
	Type       string // the database's type name, e.g. "numeric(10,2)", "varchar(255)", "int unsigned"
	Kind       Kind
	Nullable   bool
	Default    *string // the default expression as the database shows it; nil when none
	Length     int     // character or byte length, when the type has one
	Precision  int     // numeric precision, or fractional-second digits for time types
	Scale      int
	Values     []string // ENUM and SET members, in order
	Charset    string
	PrimaryKey bool
}

// TableSchema is a table's schema at one point in the change stream.
// Values are shared between events: treat them as read-only and build a new one
// (NewTableSchema) to change anything.
type TableSchema struct {
	Table      TableID
	Columns    []Column
	PrimaryKey []string
	Version    int // incremented by the source each time the table's schema changes

	names []string
	index map[string]int
}

// NewTableSchema builds a schema and its column index. Columns flagged PrimaryKey make up
// the key when pk is empty.
func NewTableSchema(table TableID, cols []Column, pk []string) *TableSchema {
	s := &TableSchema{Table: table, Columns: cols, PrimaryKey: pk}
	s.names = make([]string, len(cols))
	s.index = make(map[string]int, len(cols))
	for i, c := range cols {
		s.names[i] = c.Name
		s.index[c.Name] = i
	}
	if len(s.PrimaryKey) == 0 {
		for _, c := range cols {
			if c.PrimaryKey {
				s.PrimaryKey = append(s.PrimaryKey, c.Name)
			}
		}
	}
	return s
}

// Names returns the column names in order. The slice is shared: do not modify it.
func (s *TableSchema) Names() []string { return s.names }

// Column returns the column with the name.
func (s *TableSchema) Column(name string) (*Column, bool) {
	i, ok := s.index[name]
	if !ok {
		return nil, false
	}
	return &s.Columns[i], true
}

// Index returns the position of the named column, or -1.
func (s *TableSchema) Index(name string) int {
	if i, ok := s.index[name]; ok {
		return i
	}
	return -1
}

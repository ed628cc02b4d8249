// Package schema turns table schemas into Avro schemas, checks schema evolution the way
// Confluent Schema Registry does, and keeps a schema registry in step with the
// captured tables.
//
//   - AvroSchemas derives the key, value and envelope schemas of a cdc.TableSchema.
//   - Check (CheckNodes, CheckSchemas) tells whether a new schema may follow a history
//     of versions under a compatibility level, with a Report a person can act on; Plan
//     lists the changes between two schemas, safe ones first, breaking ones flagged.
//   - Registry is a schema registry: MemoryRegistry (embedded, enforces the level) and
//     ConfluentRegistry (a Confluent-compatible REST server through franz-go's sr).
//     NewFakeConfluentHandler serves a MemoryRegistry over the REST API, for tests.
//   - Register is a cdc.Transform that registers each new table schema version and puts
//     the schema ids on the events (HeaderKeySchemaID, HeaderValueSchemaID).
//
// Node is the package's own model of an Avro schema (Parse, Node.String): compatibility,
// plans and the codecs of package codec walk it.
//
// # Avro library
//
// The parsed schemas in Avro.Schema come from github.com/hamba/avro/v2 (v2.31.0). The
// design names its maintained continuation, github.com/confluentinc/confluent-avro-go/v2
// (same API, same package name), but the Go module proxy does not serve that module
// here. All use of the library is in avro.go (one parse call, one conversion back to
// JSON, the avro.Schema type in Avro and CheckSchemas): switching is a change of that
// import path and of go.mod. The compatibility checker and the codecs do not use the
// library; they work on Node.
//
// # Names
//
// Schemas are named like Debezium's: "<prefix>.<schema or database>.<table>.Key",
// ".Value" and ".Envelope", where the prefix is Debezium's topic prefix (WithPrefix;
// the Register transform and the codecs use the engine name, Event.Source.Name).
// Names and field names are made Avro-safe by SafeName, as Debezium's "avro" name
// adjustment does: each character outside [A-Za-z0-9_] becomes '_', a leading digit
// gets a '_' in front ("order-no" → "order_no", "2fa" → "_2fa"). A field whose name was
// adjusted keeps the column name in the property "tributary.column", so decoders give
// rows their original column names. Two columns that adjust to the same name are an
// error. The key record holds the primary-key columns in key order; a table without a
// primary key has no key schema (its events have no key).
//
// # Type mapping
//
//	cdc.Kind        Avro type                                  connect.name (semantic type)
//	bool            boolean
//	int             long                                       (int2/int4 too: one type for all integers)
//	uint            bytes, decimal(20,0)                       org.apache.kafka.connect.data.Decimal,
//	                                                           parameter tributary.kind=uint
//	float           double; float for real, float4, MySQL      -
//	                float and float(p≤24)
//	decimal         bytes, decimal(p,s) when the precision is   org.apache.kafka.connect.data.Decimal
//	                known (Column.Precision, or the type name
//	                "numeric(10,2)")
//	decimal         record {scale: int, value: bytes} when      io.debezium.data.VariableScaleDecimal
//	(no precision)  unconstrained (PostgreSQL numeric)
//	string          string                                     -
//	string + Values string, allowed values in connect.parameters io.debezium.data.Enum
//	(enum)
//	bytes           bytes
//	date            int, logicalType date                      io.debezium.time.Date
//	time            long, logicalType time-micros              io.debezium.time.MicroTime
//	timestamp       long, logicalType timestamp-micros         io.debezium.time.MicroTimestamp
//	json            string                                     io.debezium.data.Json
//	uuid            string, logicalType uuid                   io.debezium.data.Uuid
//	array           array of ["null", element]; the element    -
//	                type follows the array type name
//	                ("integer[]", "_int4", "numeric[]", ...),
//	                string for element types not in the table
//	set             string, comma-separated, allowed values    io.debezium.data.EnumSet
//	interval        string, ISO-8601 ("P1Y2M3DT4H5M6.78S")     io.debezium.time.Interval
//	document        string (JSON text)                         io.debezium.data.Json,
//	                                                           parameter tributary.kind=document
//	unknown         string (the text form)
//
// Decisions: unsigned 64-bit integers use Debezium's "precise" mode (a decimal(20,0)),
// not its default long, which would wrap values above 2^63-1. All timestamps, with or
// without time zone, are MicroTimestamp (UTC microseconds): values are UTC instants;
// Debezium's ZonedTimestamp string for timestamptz is not used. Integers are all long
// (Debezium uses int16/int32 for smaller columns). KindOf, ColumnOf and
// TableSchemaFromAvro are the inverse mapping, used by decoders.
//
// Nullable columns are ["null", T] with "default": null (a column default is not used
// for them: the default of a union must match its first branch). A NOT NULL column
// gets its Column.Default as the Avro default when it is a literal of the column's
// type: numbers, booleans, quoted strings ('abc'::character varying), decimals at the column's
// scale, '\x..' bytea, dates, times and timestamps without zone. Expressions
// (nextval(...), now(), CURRENT_TIMESTAMP), NULL, intervals, arrays and unquoted text
// (MySQL 8's information_schema form) give no default. Sources in this repository do
// not fill Column.Default, Precision or Scale yet: the precision and scale then come
// from the type name.
//
// The envelope is {before: ["null", Value], after: ["null", Value], source: Source,
// op: string, ts_ms: ["null", long], transaction: ["null", event.block]}, Debezium's
// shape. Source (io.tributary.cdc.Source) has Debezium's common fields version,
// connector, name, ts_ms, snapshot ("true", "first", "last", "false"), db, and
// nullable schema, table, txId (a string: transaction ids are strings in cdc), lsn,
// commit_lsn (PostgreSQL), server_id, gtid, file, pos, row (MySQL).
//
// # Compatibility
//
// Check follows the Avro 1.11 specification's "Schema Resolution" rules and Confluent's
// "Schema Evolution and Compatibility" semantics: BACKWARD means the new schema reads
// data written with the latest version, FORWARD the latest version reads data written
// with the new schema, FULL both; the TRANSITIVE levels compare with every version;
// NONE checks nothing. Named types match by unqualified name or the reader's aliases
// (a namespace change is compatible), fields by name or the reader field's aliases;
// a reader field missing from the writer needs a default; promotions are int → long,
// float, double; long → float, double; float → double; string ↔ bytes; a writer enum
// symbol unknown to the reader needs the reader enum's default; fixed sizes must agree;
// every writer union branch must be readable.
//
// Deliberate differences from Confluent's registry (which uses Java Avro's
// SchemaCompatibility): decimals must agree on precision and scale, as the
// specification says (Java does not check logical types, so Confluent accepts a scale
// change that makes readers misread every value); other logical-type changes on the
// same underlying type (timestamp-millis → timestamp-micros) resolve but are reported
// as recommendations. A named type used in several places (Debezium's before and after
// both hold the Value record) is checked once and its issues reported at its first use
// ("before.phone"). ConfluentRegistry leaves the verdict to the server.
//
// # Registries
//
// MemoryRegistry gives each distinct schema (in normal form, so whitespace and
// attribute order do not matter) one global id; registering a schema a subject already
// holds returns its id and version without a check; anything else is checked under the
// subject's level (its own, or the global one) and refused with an *IncompatibleError
// (errors.Is ErrIncompatible) carrying the Report.
//
// ConfluentRegistry maps the server's errors to ErrNotFound, ErrInvalidSchema and
// *IncompatibleError (after a verbose compatibility check, so the error carries the
// server's reasons). It is tested against NewFakeConfluentHandler, a fake: no Schema
// Registry can be installed where this package is developed.
//
// # The Register transform
//
// Register(reg, opts...) is a cdc.Transform; use it after any routing transform. For
// each table version it meets (TableSchema pointer, or an equal schema under a new
// pointer) it registers the key schema under "<destination>-key" and the envelope
// (the Value row with WithRowValues) under "<destination>-value" (Confluent's
// TopicNameStrategy; WithSubjects replaces it), after checking both, and sets the ids
// as int headers on every event of that version. On the hot path it costs a map
// look-up and one small allocation for the headers. An incompatible schema follows the
// Policy: PolicyFail stops the engine with the report, PolicyForce registers with the
// subject's level set to NONE for the registration (and logs the report),
// PolicySkip drops the events of that table version (logging the report once).
//
// # Left out
//
// Schema references, JSON Schema and Protobuf; subject name strategies other than
// TopicNameStrategy (WithSubjects covers them); deleting subjects or versions; Avro
// Parsing Canonical Form fingerprints (registries compare the normal form of Node,
// which keeps defaults and aliases, as Confluent's registry does); Avro "duration"
// resolution details and "error" types beyond parsing them as records.
package schema

// Package codec encodes events for sinks and decodes them back:
//
//   - DebeziumJSON: Debezium's JSON change events, as Kafka Connect's JsonConverter
//     writes them, with the schema block (Schemas: true) or without;
//   - AvroConfluent: Avro binary in Confluent's wire format (magic byte 0, the 4-byte
//     big-endian schema id, the Avro body), schemas registered in a schema.Registry;
//   - UnwrappedJSON: the row as one flat JSON object, like Debezium's
//     ExtractNewRecordState, with plain JSON values for document stores.
//
// Each is an Encoder (event → key, value) and a Decoder (key, value → event), so a
// round trip can be tested. Decoded values have the cdc Go types of their kinds. The
// schemas are those of package schema (AvroSchemas): the Avro schemas and the Debezium
// JSON schema block describe the same types, and the decoders rebuild the table schema
// from them when they are not given one (schema.TableSchemaFromAvro).
//
// # Value mapping
//
//	cdc.Kind (Go value)        Avro / Connect type            semantic name                        Debezium JSON payload              UnwrappedJSON
//	bool (bool)                boolean                        -                                    true                               true
//	int (int64)                long / int64                   -                                    42                                 42
//	uint (uint64)              bytes decimal(20,0) / bytes    org.apache.kafka.connect.data.Decimal base64 two's complement            18446744073709551615
//	float (float64)            double or float                -                                    1.5, "NaN", "Infinity"             1.5, "NaN"
//	decimal (cdc.Decimal)      bytes decimal(p,s) / bytes     org.apache.kafka.connect.data.Decimal base64 of the unscaled value at s  "-12.50" (exact text)
//	decimal, no precision      record / struct {scale,value}  io.debezium.data.VariableScaleDecimal {"scale":2,"value":"base64"}       "-12.50"
//	string, enum (string)      string                         io.debezium.data.Enum for enums      "text"                             "text"
//	bytes ([]byte)             bytes                          -                                    base64                             base64
//	date (time.Time)           int date / int32               io.debezium.time.Date                days since 1970-01-01              "2006-01-02"
//	time (time.Duration)       long time-micros / int64       io.debezium.time.MicroTime           microseconds since midnight        "15:04:05.999999"
//	timestamp (time.Time)      long timestamp-micros / int64  io.debezium.time.MicroTimestamp      microseconds since the epoch       RFC 3339, UTC
//	json (json.RawMessage)     string                         io.debezium.data.Json                the JSON text as a string          embedded JSON
//	uuid (string)              string uuid / string           io.debezium.data.Uuid                "a0ee..."                          "a0ee..."
//	array ([]any)              array of ["null", elem]        -                                    [ ... ]                            [ ... ]
//	set ([]string)             string                         io.debezium.data.EnumSet             "a,c"                              ["a","c"]
//	interval (cdc.Interval)    string                         io.debezium.time.Interval            "P1Y2M3DT4H5M6.78S"                "P1Y2M3DT4H5M6.78S"
//	document (map[string]any)  string (JSON text)             io.debezium.data.Json                "{\"k\":\"v\"}"                    {"k":"v"}
//	unknown (string)           string                         -                                    "text form"                        "text form"
//
// Special values:
//
//   - NULL is null (Avro: the union's null branch).
//   - PostgreSQL ±infinity dates and timestamps are the sentinels DatePosInfinity /
//     DateNegInfinity (math.MaxInt32 / MinInt32 days) and TimestampPosInfinity /
//     TimestampNegInfinity (math.MaxInt64 / MinInt64 µs); decoders turn them back into
//     cdc.Infinity. UnwrappedJSON writes "infinity" / "-infinity".
//   - Decimal NaN and ±Infinity (PostgreSQL numeric) cannot be Avro or Connect
//     decimals: DebeziumJSON and AvroConfluent refuse them with an error wrapping
//     ErrUnsupported that names the column (never a silent NULL). Map them to NULL in a
//     transform if that is acceptable. UnwrappedJSON writes them as "NaN", "Infinity".
//   - An unchanged TOAST value (cdc.Unchanged) is written as Debezium's placeholder
//     UnavailablePlaceholder in string and bytes columns and decoded back to
//     cdc.Unchanged; other types refuse it (set REPLICA IDENTITY FULL).
//   - Float NaN and infinities are "NaN", "Infinity", "-Infinity" in JSON (Jackson's
//     form), IEEE values in Avro.
//   - Timestamps and times keep microseconds (nanoseconds are truncated), CommitTime
//     milliseconds (source.ts_ms).
//   - Multi-dimensional arrays are refused (ErrUnsupported).
//
// # Envelope
//
// The value of DebeziumJSON and AvroConfluent is {before, after, source, op, ts_ms,
// transaction}. op is the one-letter code; ts_ms is the encoder's clock (Now, default
// time.Now), as in Debezium; source holds the event's SourceInfo (see package schema);
// transaction is set when the event has a transaction id, with total_order the
// event's TxOrder; data_collection_order, which the engine does not track per table,
// repeats it. The key is the primary-key record: Event.Key, or the key columns of the
// row when the event has none; tables without a primary key have a nil key. Only
// c, u, d, r and t events are encoded: messages, schema changes and heartbeats are
// refused (ErrUnsupported). A row with a column its table schema lacks is refused too:
// a transform that adds columns must update Event.Schema.
//
// # Caching
//
// Encoders derive schemas once per table schema version (a process-wide cache keyed by
// the *cdc.TableSchema, cleared past 4096 entries); AvroConfluent registers once per
// table version and subject, and resolves each schema id once when decoding.
//
// # Left out
//
// Tombstones (a null value after a delete, for log compaction): a sink writes them
// itself. Debezium's other handling modes (decimal.handling.mode=string/double,
// time.precision.mode=connect, binary.handling.mode=hex, interval numeric) are not
// produced; the decoder reads Connect's and Debezium's millisecond date and time types.
// Schema-less JSON decoding without a table schema; Avro single-object encoding and
// object container files.
package codec

// Package offsets has the cdc.OffsetStore implementations: where an engine keeps the
// position it resumes from after a restart, and the auxiliary values of its sources
// (schema history, for example).
//
// # Choosing a store
//
//   - [Memory] keeps positions in the process. Nothing survives a restart, so every start
//     takes a new snapshot. Use it in tests and for one-shot runs.
//   - [File] keeps all keys in one JSON file on local disk. Each Save writes a new file
//     next to the old one, fsyncs it, renames it over the old one and fsyncs the
//     directory, so the file is always either the old or the new version, never a mix.
//     Use it for a single engine process with a persistent disk (a VM, a StatefulSet
//     volume). Several processes may share a file: saves are serialised by an advisory
//     lock on "<path>.lock". Every Save rewrites the whole file, but values of 64 KiB or
//     more ([BlobThreshold]; a few MB of schema history, say) are kept in blob files
//     next to it, written only when they change, so a Save of a position writes a small
//     file whatever the size of the other values.
//   - [SQL] keeps positions in a table of a PostgreSQL, MySQL or MariaDB database. A Save
//     is as durable as a committed transaction of that database. Use it when the engine
//     runs without a persistent disk, or when the sink writes to the same database: SaveTx
//     stores the position in the sink's own transaction, so the data and the position
//     commit together (exactly-once delivery).
//   - [Redis] keeps positions in Redis string keys. A Save is only as durable as the
//     server's persistence settings make it: only appendonly yes with appendfsync always
//     makes it durable when it returns (see [Redis]).
//
// Whatever the store, a Save that returns nil must survive a crash: the engine lets the
// source database discard changes up to a position once it is saved. A store that loses
// a saved position makes the engine resume from an older one, which the database may no
// longer have (cdc.ErrPositionLost), or which it silently skips past.
//
// # Keys and positions
//
// Positions are opaque bytes; every store gives back exactly the bytes it was given.
// Saving an empty position is allowed; Load then returns an empty position (never an
// error). Keys are non-empty UTF-8 strings of at most 255 bytes ([MaxKeyLen]) without NUL
// bytes, the same rule for every store so an engine can move between them; other keys
// are errors wrapping cdc.ErrInvalidConfig.
//
// Data that a store cannot read is never replaced or ignored: Load and Save return an
// error wrapping cdc.ErrCorruptOffsets, and the operator decides whether to repair the
// data or remove it (which makes the engine take a new snapshot).
//
// # File format
//
// The File store writes indented JSON that operators can read and, with care, edit:
//
//	{
//	  "format": "tributary-offsets",
//	  "version": 1,
//	  "offsets": {
//	    "orders-sync": {
//	      "position": {
//	        "v": 1,
//	        "lsn": "0/16B3748"
//	      },
//	      "saved_at": "2025-01-02T15:04:05Z"
//	    },
//	    "orders-sync/schema-history": {
//	      "position_base64": "AAEC...",
//	      "saved_at": "2025-01-02T15:04:05Z"
//	    }
//	  }
//	}
//
// A position that is compact JSON (no whitespace outside strings, valid UTF-8, not null)
// is stored as is under "position", and given back compacted again, byte for byte as it
// was saved. Any other position is stored base64-encoded (standard alphabet, padded)
// under "position_base64". "saved_at" is informational.
//
// A position of [BlobThreshold] bytes (64 KiB) or more is stored, exactly as given, in a
// blob file of its own in the same directory, named after the offsets file and the first
// 16 bytes of the SHA-256 of the position, in hex. Its entry names the file (relative to
// the directory of the offsets file) with the size and the whole SHA-256, and the offsets
// file then has version 2, which older releases refuse to read instead of misreading it:
//
//	{
//	  "format": "tributary-offsets",
//	  "version": 2,
//	  "offsets": {
//	    "orders-sync": {
//	      "position": {
//	        "v": 1,
//	        "lsn": "0/16B3748"
//	      },
//	      "saved_at": "2025-01-02T15:04:05Z"
//	    },
//	    "orders-sync/schema-history": {
//	      "blob": "offsets.json.blob-3a7bd3e2360a3d29eea436fcfb7e44c7",
//	      "size": 4194304,
//	      "sha256": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
//	      "saved_at": "2025-01-02T15:04:05Z"
//	    }
//	  }
//	}
//
// A file without blob entries has version 1, as written by older releases. Blob files
// are written before the offsets file that names them, and removed by the first Save
// whose offsets file no longer names them. Back up, copy or move the blob files with the
// offsets file; to rename the offsets file, rename its blob files the same way
// ("orders.json.blob-<hex>" for "orders.json").
//
// A file with another "format", a "version" other than 1 or 2, or anything it cannot
// parse is reported as corrupt, and so is a blob file that is missing or whose size or
// SHA-256 differs from its entry's.
package offsets

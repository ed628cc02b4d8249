// Package cdctest helps test code built on Tributary, and Tributary's own parts.
//
// Source is a scripted fake cdc.Source: deterministic generated events (or your own,
// with Emit), transactions of a chosen size, and faults on demand: a dropped connection
// (DropAfter), a terminal error (FailAfter), failing opens (FailOpen), purged history
// (LoseHistoryBefore), slow reads (SourceConfig.ReadDelay). Use it to test a handler
// or a transform chain end to end through a real cdc.Engine, without a database:
//
//	src := cdctest.NewSource(cdctest.SourceConfig{})
//	src.Emit(cdc.Event{Op: cdc.OpCreate, Table: orders, After: cdc.RowOf("id", int64(1))})
//	eng, _ := cdc.NewEngine(src)
//	err := eng.Run(ctx, myHandler) // returns nil at the end of the script
//
// TestOffsetStore and TestSource are conformance suites, in the spirit of
// testing/slogtest: every OffsetStore and Source in this repository passes them, and a
// third-party implementation should too.
package cdctest

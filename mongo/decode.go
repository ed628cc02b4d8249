package mongo

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tributary-cdc/cdc"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// operation types of change events that are not row changes.
var schemaOps = map[string]bool{
	"drop": true, "rename": true, "dropDatabase": true, "invalidate": true,
	"create": true, "createIndexes": true, "dropIndexes": true, "modify": true,
	"shardCollection": true, "reshardCollection": true, "refineCollectionShardKey": true,
}

// change is a decoded change event, before the stream adds what needs state
// (transaction order, schema versions).
type change struct {
	ev    cdc.Event
	token bson.Raw // the event's _id: its own resume token
	txn   string   // "<lsid uuid>:<txnNumber>" inside a multi-document transaction
	op    string   // operationType
}

var errNoToken = errors.New("mongo: change event has no _id (resume token): a $project stage must not remove it")

// decodeChange maps a change-event document, as MongoDB documents it, to an event. It is
// a pure function of the document: the same event always gets the same ID and position.
func decodeChange(raw bson.Raw) (change, error) {
	var c change
	tok, ok := raw.Lookup("_id").DocumentOK()
	if !ok {
		return c, errNoToken
	}
	c.token = tok
	id, err := tokenID(tok)
	if err != nil {
		return c, err
	}
	pos, err := encodePosition(position{Token: tokenJSON(tok)})
	if err != nil {
		return c, err
	}
	ev := &c.ev
	ev.SetID(id)
	ev.Position = pos
	ev.Source.Connector = "mongodb"
	c.op, _ = raw.Lookup("operationType").StringValueOK()
	extra := map[string]any{"operationType": c.op}
	if ns, ok := raw.Lookup("ns").DocumentOK(); ok {
		ev.Table.Database, _ = ns.Lookup("db").StringValueOK()
		ev.Table.Name, _ = ns.Lookup("coll").StringValueOK()
	}
	if t, i, ok := raw.Lookup("clusterTime").TimestampOK(); ok {
		extra["clusterTime"] = uint64(t)<<32 | uint64(i)
		ev.Source.CommitTime = time.Unix(int64(t), 0).UTC()
	}
	if wt, ok := raw.Lookup("wallTime").TimeOK(); ok {
		ev.Source.CommitTime = wt.UTC()
	}
	if lsid, ok := raw.Lookup("lsid").DocumentOK(); ok {
		extra["lsid"] = document(lsid)
		txn := raw.Lookup("txnNumber")
		if n, ok := txn.AsInt64OK(); ok {
			extra["txnNumber"] = n
			sid := value(lsid.Lookup("id"))
			c.txn = fmt.Sprintf("%v:%d", sid, n)
			ev.Source.TxID = c.txn
		}
	}
	if ud, ok := raw.Lookup("updateDescription").DocumentOK(); ok {
		if uf, ok := ud.Lookup("updatedFields").DocumentOK(); ok {
			extra["updatedFields"] = document(uf)
		}
		if rf, ok := ud.Lookup("removedFields").ArrayOK(); ok {
			vals, _ := rf.Values()
			names := make([]string, 0, len(vals))
			for _, v := range vals {
				if s, ok := v.StringValueOK(); ok {
					names = append(names, s)
				}
			}
			extra["removedFields"] = names
		}
		if ta, ok := ud.Lookup("truncatedArrays").ArrayOK(); ok {
			extra["truncatedArrays"] = value(bson.RawValue{Type: bson.TypeArray, Value: ta})
		}
		if dp, ok := ud.Lookup("disambiguatedPaths").DocumentOK(); ok {
			extra["disambiguatedPaths"] = document(dp)
		}
	}
	if key, ok := raw.Lookup("documentKey").DocumentOK(); ok {
		if idv, err := key.LookupErr("_id"); err == nil {
			ev.Key = cdc.NewRow([]string{"_id"}, []any{value(idv)})
		}
	}
	if doc, ok := raw.Lookup("fullDocument").DocumentOK(); ok {
		ev.After = row(doc)
	}
	if doc, ok := raw.Lookup("fullDocumentBeforeChange").DocumentOK(); ok {
		ev.Before = row(doc)
	}
	switch c.op {
	case "insert":
		ev.Op = cdc.OpCreate
	case "update", "replace":
		ev.Op = cdc.OpUpdate
		if ev.After.IsZero() {
			// No post-image (fullDocument default, or the document was deleted before
			// updateLookup ran): the key and the updated fields are what is known.
			ev.After = partialAfter(ev.Key, raw)
			extra["partial"] = true
		}
	case "delete":
		ev.Op = cdc.OpDelete
	default:
		if !schemaOps[c.op] {
			// New operation types (MongoDB adds them with showExpandedEvents) are passed
			// on as schema events rather than dropped or failed on.
			extra["unknownOperation"] = true
		}
		ev.Op = cdc.OpSchema
		ev.DDL = ddl(c.op, ev.Table, raw)
		if od, ok := raw.Lookup("operationDescription").DocumentOK(); ok {
			extra["operationDescription"] = document(od)
		}
		if to, ok := raw.Lookup("to").DocumentOK(); ok {
			db, _ := to.Lookup("db").StringValueOK()
			coll, _ := to.Lookup("coll").StringValueOK()
			extra["to"] = db + "." + coll
		}
	}
	ev.Source.Extra = extra
	return c, nil
}

func ddl(op string, t cdc.TableID, raw bson.Raw) string {
	switch op {
	case "invalidate":
		return "invalidate"
	case "dropDatabase":
		return "dropDatabase " + t.Database
	case "rename":
		to, _ := raw.Lookup("to").DocumentOK()
		db, _ := to.Lookup("db").StringValueOK()
		coll, _ := to.Lookup("coll").StringValueOK()
		return "rename " + t.String() + " to " + db + "." + coll
	}
	return strings.TrimSpace(op + " " + t.String())
}

// partialAfter builds After from the key and updateDescription.updatedFields.
func partialAfter(key cdc.Row, raw bson.Raw) cdc.Row {
	names, vals := append([]string(nil), key.Names()...), append([]any(nil), key.Values()...)
	uf, _ := raw.Lookup("updateDescription", "updatedFields").DocumentOK()
	elems, _ := uf.Elements()
	for _, e := range elems {
		if e.Key() == "_id" {
			continue
		}
		names = append(names, e.Key())
		vals = append(vals, value(e.Value()))
	}
	return cdc.NewRow(names, vals)
}

// row maps a document to a Row, keeping the document's field order.
func row(doc bson.Raw) cdc.Row {
	elems, err := doc.Elements()
	if err != nil {
		return cdc.Row{}
	}
	names := make([]string, len(elems))
	vals := make([]any, len(elems))
	for i, e := range elems {
		names[i] = e.Key()
		vals[i] = value(e.Value())
	}
	return cdc.NewRow(names, vals)
}

// tokenID is the event's idempotency key: MongoDB's own _data string when the token has
// one (every server since 4.2), the token's Extended JSON otherwise.
func tokenID(tok bson.Raw) (string, error) {
	if s, ok := tok.Lookup("_data").StringValueOK(); ok && s != "" {
		return s, nil
	}
	b, err := bson.MarshalExtJSON(tok, true, false)
	if err != nil {
		return "", fmt.Errorf("mongo: resume token %s: %w", tok, err)
	}
	return string(b), nil
}

// tokenJSON is the token as canonical Extended JSON, to store in a position.
func tokenJSON(tok bson.Raw) json.RawMessage {
	b, err := bson.MarshalExtJSON(tok, true, false)
	if err != nil {
		return nil
	}
	return b
}

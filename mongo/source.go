package mongo

import (
	"context"
	"errors"
	"fmt"

	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tributary-cdc/cdc"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Source streams changes from MongoDB change streams.
type Source struct {
	cfg Config

	mu      sync.Mutex
	anchors map[string]bson.Raw // engine name -> start of the first stream opened without a position
}

// New validates cfg and returns a source. It does not connect: Open does.
func New(cfg Config) (*Source, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := clientOptions(cfg.URI).Validate(); err != nil {
		return nil, fmt.Errorf("%w: mongo.Config.URI %q: %v", cdc.ErrInvalidConfig, redact(cfg.URI), err)
	}
	return &Source{cfg: cfg, anchors: map[string]bson.Raw{}}, nil
}

func clientOptions(uri string) *options.ClientOptions {
	// A shorter server selection timeout than the driver's 30s: an unreachable server
	// surfaces as a retryable error the engine logs and backs off from. The URI's own
	// serverSelectionTimeoutMS wins.
	return options.Client().SetServerSelectionTimeout(10 * time.Second).ApplyURI(uri)
}

// HistoryLostError is returned when the stored resume token is no longer in the oplog
// (MongoDB error 286, ChangeStreamHistoryLost). It wraps cdc.ErrPositionLost.
type HistoryLostError struct {
	Token string // the resume token's _data
	Err   error  // the server's error
}

func (e *HistoryLostError) Error() string {
	tok := e.Token
	if tok == "" {
		tok = "of the stream"
	}
	return fmt.Sprintf("mongo: ChangeStreamHistoryLost: the resume token %s is no longer in the oplog (%v): "+
		"take a new snapshot (SnapshotMode when_needed does it automatically, or delete the stored offsets), "+
		"and size the oplog (replSetResizeOplog, oplogMinRetentionHours) for the longest consumer outage", tok, e.Err)
}

func (e *HistoryLostError) Unwrap() []error { return []error{cdc.ErrPositionLost, e.Err} }

// Server error codes the source acts on.
const (
	codeUnauthorized            = 13
	codeCursorNotFound          = 43
	codeNotReplicaSet           = 40573
	codeChangeStreamHistoryLost = 286
	codeChangeStreamFatal       = 280
)

// retryableCodes are server errors after which reconnecting and resuming is expected to
// work (the driver's resumable change-stream errors for servers without labels).
var retryableCodes = map[int32]bool{
	6: true, 7: true, 89: true, 91: true, 189: true, 262: true, 9001: true, 10107: true, 11600: true,
	11602: true, 13435: true, 13436: true, 63: true, 150: true, 13388: true, 234: true, 133: true, codeCursorNotFound: true,
}

// classify turns driver errors into the errors the engine acts on: lost history
// (ErrPositionLost), privileges, and transient faults (Retryable).
func classify(err error, what string) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	if strings.Contains(err.Error(), "server selection error") {
		// The driver's selection error wraps its own context.DeadlineExceeded: the
		// explicit mark makes it retryable all the same.
		return cdc.Retryable(fmt.Errorf("mongo: %s: no server reachable: %w", what, err))
	}
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		switch {
		case ce.Code == codeChangeStreamHistoryLost:
			return &HistoryLostError{Err: err}
		case ce.Code == codeUnauthorized:
			return fmt.Errorf("mongo: %s: the user lacks privileges (%v): grant the read role (find and changeStream "+
				"actions) on the captured databases, and listDatabases to capture a whole deployment", what, err)
		case ce.Code == codeNotReplicaSet:
			return notReplicaSet(err)
		case ce.HasErrorLabel("ResumableChangeStreamError") || ce.HasErrorLabel("RetryableWriteError") || retryableCodes[ce.Code]:
			return cdc.Retryable(fmt.Errorf("mongo: %s: %w", what, err))
		}
		return fmt.Errorf("mongo: %s: %w", what, err)
	}
	if mongo.IsNetworkError(err) || errors.Is(err, mongo.ErrClientDisconnected) {
		return cdc.Retryable(fmt.Errorf("mongo: %s: %w", what, err))
	}
	return fmt.Errorf("mongo: %s: %w", what, err)
}

func notReplicaSet(cause error) error {
	msg := "mongo: the server is a standalone mongod, not a replica set or sharded cluster: change streams need one. " +
		"Start mongod with --replSet rs0 and run rs.initiate() (a one-member replica set is enough)"
	if cause != nil {
		return fmt.Errorf("%s (%v)", msg, cause)
	}
	return errors.New(msg)
}

// connect opens a client and checks the deployment type.
func (s *Source) connect(ctx context.Context) (*mongo.Client, error) {
	client, err := mongo.Connect(clientOptions(s.cfg.URI))
	if err != nil {
		return nil, fmt.Errorf("%w: mongo.Config.URI %q: %v", cdc.ErrInvalidConfig, redact(s.cfg.URI), err)
	}
	var hello struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		client.Disconnect(context.Background())
		return nil, classify(err, "connecting to "+redact(s.cfg.URI))
	}
	if hello.SetName == "" && hello.Msg != "isdbgrid" {
		client.Disconnect(context.Background())
		return nil, notReplicaSet(nil)
	}
	return client, nil
}

// Open implements cdc.Source.
func (s *Source) Open(ctx context.Context, req cdc.OpenRequest) (cdc.Stream, error) {
	var start position
	stored := req.Position != nil
	if stored {
		p, err := parsePosition(req.Position)
		if err != nil {
			return nil, err
		}
		start = p
	}
	client, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (cdc.Stream, error) {
		client.Disconnect(context.Background())
		return nil, err
	}
	if !stored {
		// Only on a first start: a restart after the collection was dropped must go on.
		if err := s.checkCollections(ctx, client); err != nil {
			return fail(err)
		}
	}
	st := newStream(s, req, client)
	mode := s.cfg.SnapshotMode
	fresh := false
	switch {
	case stored && start.Snapshot == nil && mode == cdc.SnapshotInitialOnly:
		st.ended = true
		st.start()
		return st, nil
	case stored:
		tok, _ := start.token()
		cs, err := s.watch(ctx, client, tok)
		if err != nil {
			var hl *HistoryLostError
			if !errors.As(err, &hl) {
				return fail(err)
			}
			hl.Token, _ = tokenID(tok)
			if mode != cdc.SnapshotWhenNeeded {
				return fail(err)
			}
			req.Log().Warn("the stored resume token is no longer in the oplog: taking a new snapshot (snapshot mode when_needed)",
				"position", req.Position.String())
			fresh = true
			break
		}
		st.cs, st.startTok = cs, tok
		switch {
		case start.Snapshot != nil:
			st.snap = start.Snapshot
		case mode == cdc.SnapshotAlways:
			cs.Close(context.Background())
			st.cs = nil
			fresh = true
		case mode == cdc.SnapshotInitialOnly:
			st.ended = true
		}
	case mode != cdc.SnapshotNever:
		fresh = true
	}
	if fresh || st.cs == nil {
		var anchor bson.Raw
		if !stored {
			// Like a replication slot nobody confirmed: a later stream without a position
			// re-delivers what this one streams (see doc.go, Positions).
			s.mu.Lock()
			anchor = s.anchors[req.Name]
			s.mu.Unlock()
		}
		cs, err := s.watch(ctx, client, anchor)
		if err != nil {
			return fail(err)
		}
		tok := anchor
		if tok == nil {
			tok = cs.ResumeToken()
			if tok == nil {
				cs.Close(context.Background())
				return fail(errors.New("mongo: the server returned no postBatchResumeToken: MongoDB 4.2 or later is needed"))
			}
			tok = append(bson.Raw(nil), tok...)
			if !stored {
				s.mu.Lock()
				if s.anchors[req.Name] == nil {
					s.anchors[req.Name] = tok
				}
				s.mu.Unlock()
			}
		}
		st.cs, st.startTok = cs, tok
		if fresh {
			st.snap = &snapProgress{}
			st.freshSnap = true
		}
	}
	st.start()
	return st, nil
}

// checkCollections fails when a collection named in Config.Collections does not exist:
// a typo would otherwise capture nothing, silently.
func (s *Source) checkCollections(ctx context.Context, client *mongo.Client) error {
	byDB := map[string][]string{}
	for _, ns := range s.cfg.Collections {
		db, coll, _ := strings.Cut(ns, ".")
		byDB[db] = append(byDB[db], coll)
	}
	for db, colls := range byDB {
		names, err := client.Database(db).ListCollectionNames(ctx, bson.D{})
		if err != nil {
			return classify(err, "listing the collections of "+db)
		}
		for _, c := range colls {
			if !slices.Contains(names, c) {
				return fmt.Errorf("%w: mongo.Config.Collections: collection %s.%s does not exist: create it "+
					"(db.createCollection) or fix the name", cdc.ErrInvalidConfig, db, c)
			}
		}
	}
	return nil
}

// watch opens the change stream of the configured scope, after tok (nil: from now).
func (s *Source) watch(ctx context.Context, client *mongo.Client, tok bson.Raw) (*mongo.ChangeStream, error) {
	opts := options.ChangeStream().SetBatchSize(s.cfg.BatchSize).SetMaxAwaitTime(s.cfg.MaxAwaitTime)
	if s.cfg.FullDocument != FullDocumentNone {
		opts.SetFullDocument(options.FullDocument(s.cfg.FullDocument))
	}
	if s.cfg.Before {
		opts.SetFullDocumentBeforeChange(options.WhenAvailable)
	}
	if tok != nil {
		// startAfter, not resumeAfter: it also resumes after an invalidate event.
		opts.SetStartAfter(tok)
	}
	var (
		cs  *mongo.ChangeStream
		err error
	)
	pipeline := mongo.Pipeline{}
	db, coll := s.scope()
	switch {
	case coll != "":
		cs, err = client.Database(db).Collection(coll).Watch(ctx, pipeline, opts)
	case db != "":
		cs, err = client.Database(db).Watch(ctx, pipeline, opts)
	default:
		cs, err = client.Watch(ctx, pipeline, opts)
	}
	if err != nil {
		return nil, classify(err, "opening the change stream")
	}
	return cs, nil
}

// scope is the narrowest change stream that sees every captured collection.
func (s *Source) scope() (db, coll string) {
	switch {
	case len(s.cfg.Collections) > 0:
		db, coll, _ = strings.Cut(s.cfg.Collections[0], ".")
		for _, ns := range s.cfg.Collections[1:] {
			d, c, _ := strings.Cut(ns, ".")
			if d != db {
				return "", ""
			}
			if c != coll {
				coll = ""
			}
		}
		return db, coll
	case s.cfg.Database != "":
		return s.cfg.Database, ""
	}
	return "", ""
}

// collections lists the captured collections, sorted, for a snapshot.
func (s *Source) collections(ctx context.Context, client *mongo.Client) ([]cdc.TableID, error) {
	var out []cdc.TableID
	if len(s.cfg.Collections) > 0 {
		for _, ns := range s.cfg.Collections {
			db, coll, _ := strings.Cut(ns, ".")
			if s.cfg.captures(db, coll) {
				out = append(out, cdc.TableID{Database: db, Name: coll})
			}
		}
	} else {
		var dbs []string
		if s.cfg.Database != "" {
			dbs = []string{s.cfg.Database}
		} else {
			names, err := client.ListDatabaseNames(ctx, bson.D{})
			if err != nil {
				return nil, classify(err, "listing databases")
			}
			dbs = names
		}
		for _, db := range dbs {
			if !s.cfg.captures(db, "") {
				continue
			}
			cur, err := client.Database(db).ListCollectionSpecifications(ctx, bson.D{})
			if err != nil {
				return nil, classify(err, "listing the collections of "+db)
			}
			for _, c := range cur {
				if c.Type != "collection" || strings.HasPrefix(c.Name, "system.") || !s.cfg.captures(db, c.Name) {
					continue
				}
				out = append(out, cdc.TableID{Database: db, Name: c.Name})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return slices.Compact(out), nil
}

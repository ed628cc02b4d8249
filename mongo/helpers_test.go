package mongo_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/mongo"
	"github.com/tributary-cdc/cdc/mongo/internal/mongotest"
	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// realURIEnv names a real replica set to run the end-to-end tests against instead of
// the in-repo test server, e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0 for
// `docker run -d -p 27017:27017 mongo:7 --replSet rs0` after rs.initiate().
const realURIEnv = "TRIBUTARY_TEST_MONGO_URI"

// server is what a test runs against: a real deployment (srv nil) or the test server.
type server struct {
	uri string
	srv *mongotest.Server
}

// testServer returns the real server when TRIBUTARY_TEST_MONGO_URI is set, the in-repo
// wire-protocol server otherwise. Tests use their own databases, so a real server can be
// shared.
func testServer(t testing.TB) server {
	t.Helper()
	if uri := os.Getenv(realURIEnv); uri != "" {
		return server{uri: uri}
	}
	s := mongotest.Start(t)
	return server{uri: s.URI(), srv: s}
}

// faultServer returns the test server even when a real one is configured: faults
// (restarts, oplog truncation) need control of the server process.
func faultServer(t testing.TB, opts ...mongotest.Options) server {
	t.Helper()
	s := mongotest.Start(t, opts...)
	return server{uri: s.URI(), srv: s}
}

var dbSeq atomic.Int64

// newDB returns a database name no other test uses.
func newDB(prefix string) string {
	return fmt.Sprintf("trib_%s_%d_%d", prefix, os.Getpid(), dbSeq.Add(1))
}

func dial(t testing.TB, uri string) *driver.Client {
	t.Helper()
	c, err := driver.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(context.Background()) })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func createColl(t testing.TB, c *driver.Client, db, coll string, prePost bool) *driver.Collection {
	t.Helper()
	opts := options.CreateCollection()
	if prePost {
		opts.SetChangeStreamPreAndPostImages(bson.D{{Key: "enabled", Value: true}})
	}
	if err := c.Database(db).CreateCollection(ctxT(t), coll, opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Database(db).Drop(context.Background()) })
	return c.Database(db).Collection(coll)
}

func newSource(t testing.TB, cfg mongo.Config) *mongo.Source {
	t.Helper()
	if cfg.MaxAwaitTime == 0 {
		cfg.MaxAwaitTime = 200 * time.Millisecond
	}
	src, err := mongo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func open(t testing.TB, src cdc.Source, pos cdc.Position) cdc.Stream {
	t.Helper()
	st, err := src.Open(ctxT(t), cdc.OpenRequest{Name: "test", Position: pos})
	if err != nil {
		t.Fatalf("Open(%s): %v", pos, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// readAll reads until io.EOF (snapshot mode initial_only).
func readAll(t testing.TB, st cdc.Stream) []cdc.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []cdc.Event
	for {
		evs, err := st.Read(ctx)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Read after %d events: %v", len(out), err)
		}
		for _, ev := range evs {
			if ev.Op != cdc.OpHeartbeat {
				out = append(out, ev)
			}
		}
	}
}

// proxy is an in-process TCP proxy whose connections a test can cut.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

// uri connects straight to the proxy (directConnection: the server's host list names
// the server itself, which would bypass the proxy).
func (p *proxy) uri() string {
	return "mongodb://" + p.ln.Addr().String() + "/?directConnection=true&heartbeatFrequencyMS=500"
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

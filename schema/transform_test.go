package schema

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
)

var ordersTable = cdc.TableID{Database: "shop", Schema: "public", Name: "orders"}

func ordersSchema(version int, extra ...cdc.Column) *cdc.TableSchema {
	cols := append([]cdc.Column{
		{Name: "id", Type: "bigint", Kind: cdc.KindInt, PrimaryKey: true},
		{Name: "name", Type: "text", Kind: cdc.KindString},
	}, extra...)
	ts := cdc.NewTableSchema(ordersTable, cols, nil)
	ts.Version = version
	return ts
}

func orderEvent(ts *cdc.TableSchema) *cdc.Event {
	vals := make([]any, len(ts.Columns))
	vals[0], vals[1] = int64(1), "x"
	return &cdc.Event{Op: cdc.OpCreate, Table: ordersTable, Schema: ts, After: cdc.NewRow(ts.Names(), vals),
		Source: cdc.SourceInfo{Name: "shop"}, Destination: "shop.public.orders"}
}

func ids(t *testing.T, ev *cdc.Event) (key, value any) {
	t.Helper()
	key, _ = ev.Header(HeaderKeySchemaID)
	value, ok := ev.Header(HeaderValueSchemaID)
	if !ok {
		t.Fatalf("no %s header: %v", HeaderValueSchemaID, ev.Headers)
	}
	return key, value
}

func TestRegisterTransform(t *testing.T) {
	for name, mk := range registries(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			reg := mk(t)
			tr := Register(reg, WithLogger(slog.New(slog.DiscardHandler)))

			v1 := ordersSchema(1)
			ev := orderEvent(v1)
			ev.Headers = []cdc.Header{{Key: "trace", Value: "t1"}}
			if keep, err := tr.Apply(ctx, ev); err != nil || !keep {
				t.Fatalf("Apply v1: %v %v", keep, err)
			}
			k1, val1 := ids(t, ev)
			if _, isInt := val1.(int); !isInt {
				t.Fatalf("value id %T, want int", val1)
			}
			if _, isInt := k1.(int); !isInt {
				t.Fatalf("key id %T, want int", k1)
			}
			if h, _ := ev.Header("trace"); h != "t1" {
				t.Error("existing header lost")
			}
			latest, err := reg.Latest(ctx, "shop.public.orders-value")
			if err != nil || latest.ID != val1.(int) || latest.Version != 1 {
				t.Fatalf("registered value: %+v %v", latest, err)
			}
			if !strings.Contains(latest.Schema, `"name":"Envelope","namespace":"shop.public.orders"`) {
				t.Errorf("schema named after the engine prefix: %s", latest.Schema)
			}
			if k, err := reg.Latest(ctx, "shop.public.orders-key"); err != nil || k.ID != k1.(int) {
				t.Fatalf("registered key: %+v %v", k, err)
			}

			// The same table version again, and an equal schema under a new pointer.
			for _, s := range []*cdc.TableSchema{v1, ordersSchema(1)} {
				ev := orderEvent(s)
				if keep, err := tr.Apply(ctx, ev); err != nil || !keep {
					t.Fatal(err)
				}
				if k, v := ids(t, ev); k != k1 || v != val1 {
					t.Errorf("ids changed: %v %v", k, v)
				}
			}
			if l, _ := reg.Latest(ctx, "shop.public.orders-value"); l.Version != 1 {
				t.Errorf("re-registered: version %d", l.Version)
			}

			// Messages and other schema-less events pass through untouched.
			msg := &cdc.Event{Op: cdc.OpMessage, Message: &cdc.Message{Prefix: "p"}}
			if keep, err := tr.Apply(ctx, msg); err != nil || !keep || len(msg.Headers) != 0 {
				t.Errorf("message: %v %v %v", keep, err, msg.Headers)
			}

			// Version 2 adds a nullable column: compatible, a new value id, the same key id.
			v2 := ordersSchema(2, cdc.Column{Name: "note", Type: "text", Kind: cdc.KindString, Nullable: true})
			ev2 := orderEvent(v2)
			if keep, err := tr.Apply(ctx, ev2); err != nil || !keep {
				t.Fatalf("Apply v2: %v", err)
			}
			k2, val2 := ids(t, ev2)
			if k2 != k1 || val2 == val1 {
				t.Errorf("v2 ids: key %v (v1 %v), value %v (v1 %v)", k2, k1, val2, val1)
			}
			if l, _ := reg.Latest(ctx, "shop.public.orders-value"); l.Version != 2 || l.ID != val2.(int) {
				t.Errorf("v2 registration: %+v", l)
			}

			// Version 3 adds a NOT NULL column without default: PolicyFail stops with the report.
			v3 := ordersSchema(3, cdc.Column{Name: "note", Type: "text", Kind: cdc.KindString, Nullable: true},
				cdc.Column{Name: "vip", Type: "boolean", Kind: cdc.KindBool})
			ev3 := orderEvent(v3)
			keep, err := tr.Apply(ctx, ev3)
			if keep || !errors.Is(err, ErrIncompatible) {
				t.Fatalf("Apply v3: keep %v err %v", keep, err)
			}
			var ie *IncompatibleError
			if !errors.As(err, &ie) || ie.Subject != "shop.public.orders-value" {
				t.Fatalf("error %v", err)
			}
			for _, want := range []string{"table shop.public.orders schema version 3 cannot be registered",
				"new field `before.vip` has no default: BACKWARD readers cannot read old data; give it a default or make it nullable"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if l, _ := reg.Latest(ctx, "shop.public.orders-value"); l.Version != 2 {
				t.Errorf("incompatible schema registered: %+v", l)
			}
		})
	}
}

func TestRegisterPolicies(t *testing.T) {
	ctx := context.Background()
	v1 := ordersSchema(1)
	v2 := ordersSchema(2, cdc.Column{Name: "vip", Type: "boolean", Kind: cdc.KindBool}) // breaks BACKWARD
	v3 := ordersSchema(3, cdc.Column{Name: "vip", Type: "boolean", Kind: cdc.KindBool},
		cdc.Column{Name: "note", Type: "text", Kind: cdc.KindString, Nullable: true})

	t.Run("skip", func(t *testing.T) {
		reg := NewMemoryRegistry(Backward)
		var logs bytes.Buffer
		tr := Register(reg, WithPolicy(PolicySkip), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if keep, err := tr.Apply(ctx, orderEvent(v1)); !keep || err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			ev := orderEvent(v2)
			if keep, err := tr.Apply(ctx, ev); keep || err != nil {
				t.Fatalf("skip: keep %v err %v", keep, err)
			}
			if len(ev.Headers) != 0 {
				t.Error("dropped event got headers")
			}
		}
		if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
			t.Errorf("%d warnings, want 1 per table version:\n%s", n, logs.String())
		}
		for _, want := range []string{"policy skip", "subject=shop.public.orders-value", "version=2", "`before.vip` has no default"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, logs.String())
			}
		}
		if len(reg.Versions("shop.public.orders-value")) != 1 {
			t.Error("skipped schema registered")
		}
		// v3 is still incompatible with v1 (vip has no default): dropped too.
		if keep, _ := tr.Apply(ctx, orderEvent(v3)); keep {
			t.Error("v3 delivered")
		}
		// A version compatible again is delivered.
		v4 := ordersSchema(4, cdc.Column{Name: "vip", Type: "boolean", Kind: cdc.KindBool, Default: strp("false")})
		if keep, err := tr.Apply(ctx, orderEvent(v4)); !keep || err != nil {
			t.Errorf("v4: %v %v", keep, err)
		}
	})

	t.Run("force", func(t *testing.T) {
		reg := NewMemoryRegistry(Backward)
		var logs bytes.Buffer
		tr := Register(reg, WithPolicy(PolicyForce), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if _, err := tr.Apply(ctx, orderEvent(v1)); err != nil {
			t.Fatal(err)
		}
		ev := orderEvent(v2)
		if keep, err := tr.Apply(ctx, ev); !keep || err != nil {
			t.Fatalf("force: %v %v", keep, err)
		}
		vs := reg.Versions("shop.public.orders-value")
		if len(vs) != 2 {
			t.Fatalf("versions %d", len(vs))
		}
		if _, v := ids(t, ev); v != vs[1].ID {
			t.Errorf("header %v, registered %d", v, vs[1].ID)
		}
		if l, _ := reg.Level(ctx, "shop.public.orders-value"); l != Backward {
			t.Errorf("level not restored: %s", l)
		}
		if !strings.Contains(logs.String(), "policy force") || !strings.Contains(logs.String(), "`before.vip` has no default") {
			t.Errorf("force not logged:\n%s", logs.String())
		}
	})

	t.Run("invalid", func(t *testing.T) {
		if _, err := Register(nil).Apply(ctx, orderEvent(v1)); !errors.Is(err, cdc.ErrInvalidConfig) {
			t.Errorf("nil registry: %v", err)
		}
		if _, err := Register(NewMemoryRegistry(""), WithPolicy(Policy(9))).Apply(ctx, orderEvent(v1)); !errors.Is(err, cdc.ErrInvalidConfig) {
			t.Errorf("bad policy: %v", err)
		}
	})

	t.Run("prefix and subjects", func(t *testing.T) {
		reg := NewMemoryRegistry(Backward)
		tr := Register(reg, WithSchemaOptions(WithPrefix("cdc")),
			WithSubjects(func(ev *cdc.Event) (string, string) { return "k", "v" }))
		if _, err := tr.Apply(ctx, orderEvent(v1)); err != nil {
			t.Fatal(err)
		}
		l, err := reg.Latest(ctx, "v")
		if err != nil || !strings.Contains(l.Schema, `"namespace":"cdc.public.orders"`) {
			t.Errorf("custom prefix/subject: %+v %v", l, err)
		}
		if s, ok := tr.Schemas(orderEvent(v1)); !ok || s.Value.Name != "cdc.public.orders.Value" {
			t.Errorf("Schemas: %v", s)
		}
	})
}

func TestTopicNameStrategy(t *testing.T) {
	k, v := TopicNameStrategy(&cdc.Event{Table: ordersTable})
	if k != "tributary.public.orders-key" || v != "tributary.public.orders-value" {
		t.Errorf("%s %s", k, v)
	}
}

func BenchmarkRegisterTransformSteadyState(b *testing.B) {
	ctx := context.Background()
	tr := Register(NewMemoryRegistry(Backward))
	ts := ordersSchema(1)
	proto := orderEvent(ts)
	if _, err := tr.Apply(ctx, proto); err != nil {
		b.Fatal(err)
	}
	// Events live in a batch slice, as the engine holds them: the one allocation per
	// event left is its header slice.
	batch := make([]cdc.Event, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch[0] = cdc.Event{Op: cdc.OpCreate, Table: ordersTable, Schema: ts, After: proto.After,
			Source: proto.Source, Destination: proto.Destination}
		if keep, err := tr.Apply(ctx, &batch[0]); !keep || err != nil {
			b.Fatal(err)
		}
	}
}

package schema

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

// registries returns each Registry implementation over an empty store whose global
// level is BACKWARD: the MemoryRegistry itself, and a ConfluentRegistry talking to the
// fake Confluent REST handler (backed by another MemoryRegistry) over real HTTP.
func registries(t *testing.T) map[string]func(t *testing.T) Registry {
	return map[string]func(t *testing.T) Registry{
		"memory": func(t *testing.T) Registry { return NewMemoryRegistry(Backward) },
		"confluent": func(t *testing.T) Registry {
			srv := httptest.NewServer(NewFakeConfluentHandler(NewMemoryRegistry(Backward)))
			t.Cleanup(srv.Close)
			r, err := NewConfluentRegistry([]string{srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
	}
}

func TestRegistries(t *testing.T) {
	for name, mk := range registries(t) {
		t.Run(name, func(t *testing.T) { testRegistry(t, mk(t)) })
	}
}

// testRegistry is the suite every Registry implementation passes.
func testRegistry(t *testing.T, reg Registry) {
	ctx := context.Background()
	const subj = "shop.public.orders-value"

	if _, err := reg.Latest(ctx, subj); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Latest of an empty subject: %v, want ErrNotFound", err)
	}
	if _, err := reg.ByID(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ByID(999): %v, want ErrNotFound", err)
	}
	if l, err := reg.Level(ctx, subj); err != nil || l != Backward {
		t.Fatalf("default level %q, %v", l, err)
	}
	rep, err := reg.CheckCompatibility(ctx, subj, rec(`{"name":"x","type":"string"}`))
	if err != nil || !rep.Compatible {
		t.Fatalf("empty subject must accept anything: %+v %v", rep, err)
	}

	v1 := rec(`{"name":"email","type":"string"}`)
	id1, ver, err := reg.Register(ctx, subj, v1)
	if err != nil || ver != 1 || id1 <= 0 {
		t.Fatalf("Register v1: id %d version %d err %v", id1, ver, err)
	}
	// The same schema written differently is the same schema: same id, no new version.
	spaced := strings.ReplaceAll(v1, ",", " ,\n ")
	if id, ver, err := reg.Register(ctx, subj, spaced); err != nil || id != id1 || ver != 1 {
		t.Fatalf("Register again: id %d version %d err %v, want %d 1", id, ver, err, id1)
	}

	// A compatible change is accepted by the check, an incompatible one reported.
	v2 := rec(`{"name":"email","type":"string"}`, `{"name":"phone","type":["null","string"],"default":null}`)
	bad := rec(`{"name":"email","type":"string"}`, `{"name":"phone","type":"string"}`)
	if rep, err := reg.CheckCompatibility(ctx, subj, v2); err != nil || !rep.Compatible {
		t.Fatalf("check v2: %+v %v", rep, err)
	}
	rep, err = reg.CheckCompatibility(ctx, subj, bad)
	if err != nil || rep.Compatible || len(rep.Issues) != 1 ||
		!strings.Contains(rep.Issues[0].Message, "new field `phone` has no default: BACKWARD readers cannot read old data") {
		t.Fatalf("check bad: %+v %v", rep, err)
	}
	if rep.Level != Backward {
		t.Errorf("report level %q", rep.Level)
	}

	_, _, err = reg.Register(ctx, subj, bad)
	var ie *IncompatibleError
	if !errors.Is(err, ErrIncompatible) || !errors.As(err, &ie) || ie.Subject != subj ||
		ie.Report.Compatible || len(ie.Report.Issues) == 0 || !strings.Contains(ie.Report.Issues[0].Message, "`phone` has no default") {
		t.Fatalf("Register incompatible: %v", err)
	}
	if !strings.Contains(err.Error(), "`phone` has no default") {
		t.Errorf("error text lacks the report: %v", err)
	}

	id2, ver, err := reg.Register(ctx, subj, v2)
	if err != nil || ver != 2 || id2 == id1 {
		t.Fatalf("Register v2: id %d version %d err %v", id2, ver, err)
	}
	latest, err := reg.Latest(ctx, subj)
	if err != nil || latest.ID != id2 || latest.Version != 2 || latest.Subject != subj || latest.Schema != MustParse(v2).String() {
		t.Fatalf("Latest: %+v %v", latest, err)
	}
	if text, err := reg.ByID(ctx, id1); err != nil || text != MustParse(v1).String() {
		t.Fatalf("ByID(%d) = %q, %v", id1, text, err)
	}

	// The same schema under another subject keeps its id; versions are per subject.
	if id, ver, err := reg.Register(ctx, "other-value", v1); err != nil || id != id1 || ver != 1 {
		t.Fatalf("other subject: id %d version %d err %v", id, ver, err)
	}

	// Levels: per subject, and global.
	if err := reg.SetLevel(ctx, subj, Full); err != nil {
		t.Fatal(err)
	}
	if l, _ := reg.Level(ctx, subj); l != Full {
		t.Errorf("subject level %q", l)
	}
	if l, _ := reg.Level(ctx, "other-value"); l != Backward {
		t.Errorf("other subject level %q", l)
	}
	if l, _ := reg.Level(ctx, ""); l != Backward {
		t.Errorf("global level %q", l)
	}
	// Under FULL, removing a field without default breaks FORWARD.
	v3 := rec(`{"name":"phone","type":["null","string"],"default":null}`)
	if _, _, err := reg.Register(ctx, subj, v3); !errors.Is(err, ErrIncompatible) {
		t.Fatalf("FULL register of a removal: %v", err)
	}
	if err := reg.SetLevel(ctx, subj, None); err != nil {
		t.Fatal(err)
	}
	if _, ver, err := reg.Register(ctx, subj, v3); err != nil || ver != 3 {
		t.Fatalf("NONE register: version %d %v", ver, err)
	}
	if err := reg.SetLevel(ctx, subj, Level("SOMETIMES")); err == nil {
		t.Error("unknown level accepted")
	}
	if err := reg.SetLevel(ctx, "", Forward); err != nil {
		t.Fatal(err)
	}
	if l, _ := reg.Level(ctx, "fresh-value"); l != Forward {
		t.Errorf("global level not applied to a new subject: %q", l)
	}

	// Transitive levels compare with every version.
	const ts = "transitive-value"
	if err := reg.SetLevel(ctx, ts, BackwardTransitive); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{rec(), rec(`{"name":"phone","type":"string","default":""}`)} {
		if _, _, err := reg.Register(ctx, ts, s); err != nil {
			t.Fatal(err)
		}
	}
	noDefault := rec(`{"name":"phone","type":"string"}`)
	if rep, err := reg.CheckCompatibility(ctx, ts, noDefault); err != nil || rep.Compatible {
		t.Fatalf("BACKWARD_TRANSITIVE check: %+v %v", rep, err)
	}
	if err := reg.SetLevel(ctx, ts, Backward); err != nil {
		t.Fatal(err)
	}
	if _, ver, err := reg.Register(ctx, ts, noDefault); err != nil || ver != 3 {
		t.Fatalf("BACKWARD register: %d %v", ver, err)
	}

	if _, _, err := reg.Register(ctx, subj, `{"type":"record","name":"x"}`); !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("invalid schema: %v", err)
	}
}

func TestConfluentRegistryErrors(t *testing.T) {
	if _, err := NewConfluentRegistry(nil); err == nil {
		t.Error("no URLs accepted")
	}
	// A server that is down: the error names what failed, and is not ErrNotFound.
	srv := httptest.NewServer(NewFakeConfluentHandler(NewMemoryRegistry(Backward)))
	url := srv.URL
	srv.Close()
	r, err := NewConfluentRegistry([]string{url})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Latest(context.Background(), "s")
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `subject "s"`) {
		t.Errorf("down server: %v", err)
	}
}

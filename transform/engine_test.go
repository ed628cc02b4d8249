package transform_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/transform"
)

// chain is a typical pipeline: keep even versions, unwrap, route, mask, partition key.
func chain(t *testing.T) []cdc.Transform {
	t.Helper()
	filter, err := transform.FilterExpr(`after.version % 2 == 0`)
	if err != nil {
		t.Fatal(err)
	}
	route, err := transform.Route(`^([^.]+)\.public\.(.*)$`, "$1.$2.v1")
	if err != nil {
		t.Fatal(err)
	}
	mask, err := transform.Mask(3, "payload")
	if err != nil {
		t.Fatal(err)
	}
	return []cdc.Transform{filter, transform.Unwrap(), route, mask, transform.PartitionKey("id")}
}

func render(ev *cdc.Event) string {
	pk, _ := ev.Header(transform.HeaderPartitionKey)
	return fmt.Sprintf("%s %s %v before=%v pk=%v", ev.Destination, ev.Op, ev.After.Map(), !ev.Before.IsZero(), pk)
}

// TestChainThroughEngine: the same transform chain through cdc.WithTransforms gives the
// same events through Run and through Events, and what it does is what each transform
// promises.
func TestChainThroughEngine(t *testing.T) {
	const n = 200
	collect := func(useEvents bool) []string {
		eng, err := cdc.NewEngine(cdctest.NewSource(cdctest.SourceConfig{Events: n, Keys: 7, TxSize: 3}),
			cdc.WithName("shop"), cdc.WithTransforms(chain(t)...))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		if useEvents {
			for ev, err := range eng.Events(context.Background()) {
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, render(&ev))
			}
			return out
		}
		err = eng.Run(context.Background(), func(_ context.Context, ev cdc.Event) error {
			out = append(out, render(&ev))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	viaRun, viaEvents := collect(false), collect(true)
	if len(viaRun) == 0 || len(viaRun) >= n {
		t.Fatalf("the filter kept %d of %d events", len(viaRun), n)
	}
	if strings.Join(viaRun, "\n") != strings.Join(viaEvents, "\n") {
		t.Fatalf("Run and Events differ:\n%s\n---\n%s", strings.Join(viaRun[:min(5, len(viaRun))], "\n"), strings.Join(viaEvents[:min(5, len(viaEvents))], "\n"))
	}
	for _, s := range viaRun {
		if !strings.HasPrefix(s, "shop.orders.v1 ") || !strings.Contains(s, "payload:***") ||
			strings.Contains(s, "before=true") || strings.Contains(s, "pk=<nil>") {
			t.Fatalf("event not transformed as configured: %s", s)
		}
	}
}

// TestBadConfiguration: bad configuration fails at construction, naming the transform
// and the problem.
func TestBadConfiguration(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"bad regex", func() error { _, err := transform.Route(`(`, "x"); return err }(), "("},
		{"unknown variable", func() error { _, err := transform.FilterExpr(`aftr.priority == "HIGH"`); return err }(), "aftr"},
		{"not boolean", func() error { _, err := transform.FilterExpr(`op + "x"`); return err }(), "bool"},
		{"empty salt", func() error { _, err := transform.Hash("", "email"); return err }(), "salt"},
		{"bad rename", func() error { _, err := transform.Rename("a-b"); return err }(), "Rename"},
		{"bad cast", func() error { _, err := transform.Cast(map[string]string{"a": "money"}); return err }(), "money"},
		{"bad compute", func() error { _, err := transform.Compute("total = price *"); return err }(), "total"},
	} {
		if !errors.Is(c.err, cdc.ErrInvalidConfig) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrInvalidConfig mentioning %q", c.name, c.err, c.want)
		}
	}
}

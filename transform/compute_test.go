package transform_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/transform"
)

func TestComputeValues(t *testing.T) {
	dec := cdc.MustParseDecimal
	row := cdc.RowOf("price", dec("12.50"), "quantity", int64(3), "discount", nil, "rate", 0.5,
		"status", "new", "order-id", int64(7), "count", int64(4), "big", dec("99999999999999999999.99"),
		"neg", dec("-7.5"), "nan", cdc.DecimalNaN, "inf", cdc.DecimalPosInf, "u", uint64(5))
	tests := []struct {
		def  string
		want any
	}{
		// decimal arithmetic: exact, with the documented scales
		{"v = price * quantity", dec("37.50")},
		{"v = price * price", dec("156.2500")},
		{"v = price + 1.1", dec("13.60")},
		{"v = 0.1 + price - 0.1", dec("12.50")},
		{"v = price - 20", dec("-7.50")},
		{"v = price / 3", dec("4.166667")},
		{"v = price / 8", dec("1.562500")},
		{"v = dec / 3", nil}, // missing column: null
		{"v = neg / 4", dec("-1.875000")},
		{"v = decimal(\"2\") / 3", dec("0.666667")},
		{"v = decimal(\"-2\") / 3", dec("-0.666667")},
		{"v = decimal(\"0.0000005\") / 1", dec("0.0000005")},
		{"v = price % 5", dec("2.50")},
		{"v = neg % 2", dec("-1.5")},
		{"v = big + 0.01", dec("100000000000000000000.00")},
		{"v = big * 10", dec("999999999999999999999.90")},
		{"v = -price", dec("-12.50")},
		{"v = u + price", dec("17.50")},
		{"v = price ** 2", 156.25},
		// comparisons with decimals are exact
		{"v = price == 12.5", true},
		{"v = price != 12.5", false},
		{"v = price > 12.49", true},
		{"v = price >= 12.5 && price <= 12.50", true},
		{"v = price < 12", false},
		{"v = price == \"12.50\"", false},
		{"v = price == nil", false},
		// non-finite decimals
		{"v = nan == nan", true},
		{"v = nan > inf", true},
		{"v = inf + 1", cdc.DecimalPosInf},
		{"v = inf - inf", cdc.DecimalNaN},
		{"v = 1 / inf", dec("0")},
		{"v = -inf", cdc.DecimalNegInf},
		// rounding
		{"v = decimal(price * 1.0825, 2)", dec("13.53")},
		{"v = decimal(\"1.005\", 2)", dec("1.01")},
		{"v = decimal(\"-1.005\", 2)", dec("-1.01")},
		{"v = decimal(price, 4)", dec("12.5000")},
		{"v = decimal(quantity)", dec("3")},
		{"v = decimal(0.1)", dec("0.1")},
		{"v = decimal(discount)", nil},
		// plain expr semantics without decimals; results normalised to int64 / float64
		{"v = quantity * 2", int64(6)},
		{"v = quantity / 2", 1.5},
		{"v = quantity % 2", int64(1)},
		{"v = -quantity", int64(-3)},
		{"v = rate * 2", 1.0},
		{"v = len(status)", int64(3)},
		{"v = upper(status) + \"-\" + string(quantity)", "NEW-3"},
		{"v = status == \"new\" ? \"fresh\" : \"old\"", "fresh"},
		{"v = row[\"order-id\"] + 1", int64(8)},
		{"v = row.quantity", int64(3)},
		{"v = count + 1", int64(5)},
		{"v = let q = quantity; q * q", int64(9)},
		{"v = status in [\"new\", \"paid\"]", true},
		// nulls
		{"v = discount * 2", nil},
		{"v = -discount", nil},
		{"v = price - discount", nil},
		{"v = price - (discount ?? 0)", dec("12.50")},
		{"v = discount > 1 ? 1 : 2", nil},
		{"v = discount == nil", true},
		{"v = missing + 1", nil},
		{"v = nil", nil},
	}
	for _, tc := range tests {
		t.Run(tc.def, func(t *testing.T) {
			tr, err := transform.Compute(tc.def)
			if err != nil {
				t.Fatal(err)
			}
			ev := cdc.Event{Op: cdc.OpCreate, Table: cdc.TableID{Schema: "public", Name: "orders"}, After: row.Clone()}
			pbApply(t, tr, &ev)
			want := row.Clone()
			want.Set("v", tc.want)
			pbRowEqual(t, "After", ev.After, want)
		})
	}
}

func TestComputeEvents(t *testing.T) {
	dec := cdc.MustParseDecimal
	total, err := transform.Compute("total = price * quantity", "total_with_tax = decimal(total * 1.2, 2)")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"id", "price", "quantity"}
	tests := []struct {
		name          string
		tr            cdc.Transform
		in            cdc.Event
		before, after cdc.Row
		wantErr       string
	}{
		{
			name:  "create; later definitions see earlier columns",
			tr:    total,
			in:    cdc.Event{Op: cdc.OpCreate, After: cdc.NewRow(names, []any{int64(1), dec("2.50"), int64(4)})},
			after: cdc.NewRow([]string{"id", "price", "quantity", "total", "total_with_tax"}, []any{int64(1), dec("2.50"), int64(4), dec("10.00"), dec("12.00")}),
		},
		{
			name:  "snapshot read like create",
			tr:    total,
			in:    cdc.Event{Op: cdc.OpRead, After: cdc.RowOf("price", dec("1"), "quantity", int64(1))},
			after: cdc.RowOf("price", dec("1"), "quantity", int64(1), "total", dec("1"), "total_with_tax", dec("1.20")),
		},
		{
			name:   "update: before and after",
			tr:     total,
			in:     cdc.Event{Op: cdc.OpUpdate, Before: cdc.RowOf("price", dec("1"), "quantity", int64(1)), After: cdc.RowOf("price", dec("1"), "quantity", int64(2))},
			before: cdc.RowOf("price", dec("1"), "quantity", int64(1), "total", dec("1"), "total_with_tax", dec("1.20")),
			after:  cdc.RowOf("price", dec("1"), "quantity", int64(2), "total", dec("2"), "total_with_tax", dec("2.40")),
		},
		{
			name:   "delete: before",
			tr:     total,
			in:     cdc.Event{Op: cdc.OpDelete, Before: cdc.RowOf("price", nil, "quantity", int64(1))},
			before: cdc.RowOf("price", nil, "quantity", int64(1), "total", nil, "total_with_tax", nil),
		},
		{
			name:  "existing column is replaced in place",
			tr:    total,
			in:    cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("total", "old", "price", dec("3"), "quantity", int64(3))},
			after: cdc.RowOf("total", dec("9"), "price", dec("3"), "quantity", int64(3), "total_with_tax", dec("10.80")),
		},
		{
			name:   "unchanged value resolved from before",
			tr:     total,
			in:     cdc.Event{Op: cdc.OpUpdate, Before: cdc.RowOf("price", dec("3"), "quantity", int64(1)), After: cdc.RowOf("price", cdc.Unchanged{}, "quantity", int64(2))},
			before: cdc.RowOf("price", dec("3"), "quantity", int64(1), "total", dec("3"), "total_with_tax", dec("3.60")),
			after:  cdc.RowOf("price", cdc.Unchanged{}, "quantity", int64(2), "total", dec("6"), "total_with_tax", dec("7.20")),
		},
		{
			name:  "every input unchanged: the result is unchanged",
			tr:    total,
			in:    cdc.Event{Op: cdc.OpUpdate, After: cdc.RowOf("price", cdc.Unchanged{}, "quantity", cdc.Unchanged{}, "other", 1)},
			after: cdc.RowOf("price", cdc.Unchanged{}, "quantity", cdc.Unchanged{}, "other", 1, "total", cdc.Unchanged{}, "total_with_tax", cdc.Unchanged{}),
		},
		{
			name:    "some inputs unchanged and unknown: error",
			tr:      total,
			in:      cdc.Event{Op: cdc.OpUpdate, Table: cdc.TableID{Schema: "public", Name: "orders"}, Before: cdc.RowOf("price", nil, "quantity", int64(1)), After: cdc.RowOf("price", cdc.Unchanged{}, "quantity", int64(2))},
			wantErr: `transform: compute total = price * quantity on u event of public.orders (after): column "price" is an unchanged TOAST value`,
		},
		{
			name:    "evaluation error names column, expression and table",
			tr:      pbT(transform.Compute("x = price / quantity")),
			in:      cdc.Event{Op: cdc.OpCreate, Table: cdc.TableID{Database: "shop", Name: "orders"}, After: cdc.RowOf("price", dec("1"), "quantity", int64(0))},
			wantErr: "transform: compute x = price / quantity on c event of shop.orders (after): division by zero",
		},
		{
			name:    "type error",
			tr:      pbT(transform.Compute("x = price + name")),
			in:      cdc.Event{Op: cdc.OpCreate, Table: cdc.TableID{Database: "shop", Name: "orders"}, After: cdc.RowOf("price", dec("1"), "name", "n")},
			wantErr: "transform: compute x = price + name on c event of shop.orders (after): invalid operation: cdc.Decimal and string",
		},
		{
			name:  "truncate passes through",
			tr:    total,
			in:    cdc.Event{Op: cdc.OpTruncate},
			after: cdc.Row{},
		},
		{
			name:  "schema event passes through",
			tr:    total,
			in:    cdc.Event{Op: cdc.OpSchema, After: cdc.RowOf("price", dec("1"))},
			after: cdc.RowOf("price", dec("1")),
		},
		{
			name:  "row variable with a column named row",
			tr:    pbT(transform.Compute(`x = row["row"] + row["a-b"]`)),
			in:    cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("row", int64(1), "a-b", int64(2))},
			after: cdc.RowOf("row", int64(1), "a-b", int64(2), "x", int64(3)),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := pbCopy(tc.in)
			keep, err := tc.tr.Apply(context.Background(), ev)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !keep {
				t.Fatalf("keep=%v err=%v", keep, err)
			}
			pbRowEqual(t, "Before", ev.Before, tc.before)
			pbRowEqual(t, "After", ev.After, tc.after)
		})
	}
}

func TestComputeSharedNames(t *testing.T) {
	names := []string{"a", "b"}
	tr := pbT(transform.Compute("c = a + b"))
	ev1 := cdc.Event{Op: cdc.OpCreate, After: cdc.NewRow(names, []any{int64(1), int64(2)})}
	ev2 := cdc.Event{Op: cdc.OpCreate, After: cdc.NewRow(names, []any{int64(3), int64(4)})}
	pbApply(t, tr, &ev1)
	if len(names) != 2 || ev2.After.Len() != 2 {
		t.Fatal("shared names changed")
	}
	pbApply(t, tr, &ev2)
	pbRowEqual(t, "ev1", ev1.After, cdc.RowOf("a", int64(1), "b", int64(2), "c", int64(3)))
	pbRowEqual(t, "ev2", ev2.After, cdc.RowOf("a", int64(3), "b", int64(4), "c", int64(7)))
}

func TestComputeConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		defs []string
		want string
	}{
		{nil, "no definitions"},
		{[]string{"total"}, `want "column = expression"`},
		{[]string{" = a + b"}, `want "column = expression"`},
		{[]string{"a == b"}, `want "column = expression"`},
		{[]string{"a <= b"}, `want "column = expression"`},
		{[]string{"x = "}, `want "column = expression"`},
		{[]string{"ok = 1", "x = (a +"}, `definition 1 "x = (a +"`},
		{[]string{"x = nosuchfunc(1)"}, `definition 0`},
	} {
		_, err := transform.Compute(tc.defs...)
		if !errors.Is(err, cdc.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compute(%q): err = %v, want ErrInvalidConfig containing %q", tc.defs, err, tc.want)
		}
	}
}

// TestComputeDecimalAgainstBigRat checks decimal arithmetic (both the int64 fast path
// and the math/big path) against exact rational arithmetic.
func TestComputeDecimalAgainstBigRat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ops := map[string]cdc.Transform{}
	for _, op := range []string{"+", "-", "*", "/", "%", "<", "=="} {
		ops[op] = pbT(transform.Compute("v = a " + op + " b"))
	}
	randDec := func() cdc.Decimal {
		digits := 1 + rng.IntN(24) // beyond 18 digits: the math/big path
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteByte('-')
		}
		for i := 0; i < digits; i++ {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		d := cdc.MustParseDecimal(b.String())
		u, _, _ := d.Unscaled()
		return cdc.NewDecimal(u, int32(rng.IntN(8)))
	}
	rat := func(d cdc.Decimal) *big.Rat { r, _ := d.Rat(); return r }
	for i := 0; i < 20000; i++ {
		a, b := randDec(), randDec()
		var bv any = b
		if i%4 == 0 { // integers mixed with decimals
			bv = int64(rng.IntN(2000) - 1000)
			b = cdc.MustParseDecimal(fmt.Sprint(bv))
		}
		for op, tr := range ops {
			ev := cdc.Event{Op: cdc.OpCreate, After: cdc.RowOf("a", a, "b", bv)}
			_, err := tr.Apply(context.Background(), &ev)
			ra, rb := rat(a), rat(b)
			if (op == "/" || op == "%") && rb.Sign() == 0 {
				if err == nil {
					t.Fatalf("%v %s %v: no division-by-zero error", a, op, bv)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%v %s %v: %v", a, op, bv, err)
			}
			got, _ := ev.After.Get("v")
			sa, sb := a.Scale(), b.Scale()
			var want any
			switch op {
			case "+":
				want = pbDecAt(new(big.Rat).Add(ra, rb), max(sa, sb))
			case "-":
				want = pbDecAt(new(big.Rat).Sub(ra, rb), max(sa, sb))
			case "*":
				want = pbDecAt(new(big.Rat).Mul(ra, rb), sa+sb)
			case "/":
				want = pbDecAt(new(big.Rat).Quo(ra, rb), max(sa, sb, 6))
			case "%":
				// a - b*trunc(a/b)
				quo := new(big.Rat).Quo(ra, rb)
				tq := new(big.Int).Quo(quo.Num(), quo.Denom()) // truncated toward zero
				want = pbDecAt(new(big.Rat).Sub(ra, new(big.Rat).Mul(rb, new(big.Rat).SetInt(tq))), max(sa, sb))
			case "<":
				want = ra.Cmp(rb) < 0
			case "==":
				want = ra.Cmp(rb) == 0
			}
			if gd, ok := got.(cdc.Decimal); ok {
				wd := want.(cdc.Decimal)
				if gd.String() != wd.String() {
					t.Fatalf("%v %s %v = %v, want %v", a, op, bv, gd, wd)
				}
			} else if got != want {
				t.Fatalf("%v %s %v = %v, want %v", a, op, bv, got, want)
			}
		}
	}
}

// pbDecAt renders r at scale digits, rounded half away from zero.
func pbDecAt(r *big.Rat, scale int32) cdc.Decimal {
	m := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	num, den := new(big.Int).Set(m.Num()), m.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Lsh(rem, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return cdc.NewDecimal(q, scale)
}

package cdc

import "testing"

// FuzzCanonicalDecimal: whatever the fast path keeps as is, the full parser would
// have produced unchanged; and the fast path takes the common database forms.
func FuzzCanonicalDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0", "0.00", "-0.00", "1.50", "-12.5", "007", "1.", ".5", "1e3",
		"+1", "-", "", "10", "100.001", "0.1", "-0.1", "1..2", "1.2.3", "NaN", "١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !canonicalDecimal(s) {
			return
		}
		d, err := parseDecimal(s)
		if err != nil || d.s != s {
			t.Fatalf("fast path kept %q, the parser gives %q (%v)", s, d.s, err)
		}
	})
}

func TestCanonicalDecimalTakesDatabaseForms(t *testing.T) {
	for _, s := range []string{"0", "1.50", "-12.5", "10", "0.001", "-0.001", "123456789012345678901234567890.5"} {
		if !canonicalDecimal(s) {
			t.Errorf("%q is canonical but takes the slow path", s)
		}
	}
	for _, s := range []string{"-0", "-0.00", "007", "1.", ".5", "1e3", "+1", "", "-"} {
		if canonicalDecimal(s) {
			t.Errorf("%q is not canonical but was kept as is", s)
		}
	}
}

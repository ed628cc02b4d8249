package textnum

import (
	"strconv"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, s := range []string{"0", "7", "-7", "+7", "00012", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"-9223372036854775809", "", "-", "1x", "18446744073709551615", "18446744073709551616", "99999999999999999999"} {
		want, werr := strconv.ParseInt(s, 10, 64)
		if got, err := ParseInt([]byte(s)); (err == nil) != (werr == nil) || err == nil && got != want {
			t.Errorf("ParseInt(%q) = %d, %v; strconv: %d, %v", s, got, err, want, werr)
		}
		wantU, uerr := strconv.ParseUint(s, 10, 64)
		if got, err := ParseUint([]byte(s)); (err == nil) != (uerr == nil) || err == nil && got != wantU {
			t.Errorf("ParseUint(%q) = %d, %v; strconv: %d, %v", s, got, err, wantU, uerr)
		}
	}
}

func TestDaysFromCivil(t *testing.T) {
	for y := -4800; y <= 300000; y += 7 {
		for m := 1; m <= 12; m++ {
			for _, d := range []int{1, 28, 29, 30, 31, 32} {
				want := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
				if got := DaysFromCivil(y, m, d); got != want {
					t.Fatalf("DaysFromCivil(%d, %d, %d) = %d, want %d", y, m, d, got, want)
				}
			}
		}
	}
}

// Package textnum parses the decimal integers and computes the dates that database
// sources read as text, straight from the protocol's bytes: no string in between, no
// allocation, and the exact range checks of strconv.
package textnum

import (
	"errors"
	"math"
)

var (
	ErrSyntax = errors.New("invalid syntax")
	ErrRange  = errors.New("value out of range")
)

// ParseUint parses unsigned decimal digits into a uint64.
func ParseUint(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, ErrSyntax
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, ErrSyntax
		}
		if n > (math.MaxUint64-9)/10 {
			// Exact check for the last digits.
			hi, lo := n*10, uint64(c-'0')
			if n > math.MaxUint64/10 || hi > math.MaxUint64-lo {
				return 0, ErrRange
			}
			n = hi + lo
			continue
		}
		n = n*10 + uint64(c-'0')
	}
	return n, nil
}

// ParseInt parses a decimal integer with an optional sign into an int64.
func ParseInt(b []byte) (int64, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	u, err := ParseUint(b)
	if err != nil {
		return 0, err
	}
	if neg {
		if u > 1<<63 {
			return 0, ErrRange
		}
		return -int64(u), nil // -int64(1<<63) wraps to MinInt64, the right answer
	}
	if u > math.MaxInt64 {
		return 0, ErrRange
	}
	return int64(u), nil
}

// DaysFromCivil is the number of days from 1970-01-01 to a date of the proleptic
// Gregorian calendar with astronomical years (H. Hinnant's days_from_civil). Days
// beyond the month's end roll over into the next, as in time.Date.
func DaysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era-- // floor division
	}
	yoe := y - era*400                     // [0, 399]
	doy := (153*((m+9)%12)+2)/5 + d - 1    // [0, 365], from March 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return int64(era)*146097 + int64(doe) - 719468
}

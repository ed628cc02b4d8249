package offsets

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tributary-cdc/cdc"
)

// MaxKeyLen is the longest key, in bytes, that the stores accept.
const MaxKeyLen = 255

// checkKey reports keys that some store could not keep exactly: every store applies the
// same rules, so an engine can move from one store to another.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: offset key must not be empty", cdc.ErrInvalidConfig)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: offset key %.40q... is %d bytes long: use at most %d bytes",
			cdc.ErrInvalidConfig, key, len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: offset key %q is not valid UTF-8", cdc.ErrInvalidConfig, key)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("%w: offset key %q contains a NUL byte", cdc.ErrInvalidConfig, key)
	}
	return nil
}

// clone copies a position. It returns a non-nil slice for an empty position, so that an
// empty saved position is not mistaken for a missing one.
func clone(p []byte) cdc.Position {
	out := make(cdc.Position, len(p))
	copy(out, p)
	return out
}

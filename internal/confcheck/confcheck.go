// Package confcheck holds the configuration checks the database sources share, so that
// a mistake reads the same whichever source it is made in.
package confcheck

import (
	"fmt"
	"path"
	"strings"

	"github.com/tributary-cdc/cdc"
)

// SnapshotMode returns the mode m names ("" is the default), and a message for the
// source's list of configuration errors when it names none ("" otherwise).
func SnapshotMode(m cdc.SnapshotMode) (cdc.SnapshotMode, string) {
	mode, err := cdc.ParseSnapshotMode(string(m))
	if err != nil {
		return mode, "SnapshotMode " + strings.TrimPrefix(err.Error(), cdc.ErrInvalidConfig.Error()+": ")
	}
	return mode, ""
}

// Patterns returns a message for each pattern of the lists that path.Match cannot use.
func Patterns(lists ...[]string) []string {
	var msgs []string
	for _, list := range lists {
		for _, p := range list {
			if _, err := path.Match(p, ""); err != nil {
				msgs = append(msgs, fmt.Sprintf("pattern %q is malformed (%v): use path.Match syntax, as in \"shop.order_*\"", p, err))
			}
		}
	}
	return msgs
}

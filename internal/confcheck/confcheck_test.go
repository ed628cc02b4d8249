package confcheck

import (
	"strings"
	"testing"

	"github.com/tributary-cdc/cdc"
)

func TestSnapshotMode(t *testing.T) {
	if m, msg := SnapshotMode(""); m != cdc.SnapshotInitial || msg != "" {
		t.Errorf(`SnapshotMode("") = %q, %q; want the default, initial`, m, msg)
	}
	if m, msg := SnapshotMode(cdc.SnapshotWhenNeeded); m != cdc.SnapshotWhenNeeded || msg != "" {
		t.Errorf("SnapshotMode(when_needed) = %q, %q", m, msg)
	}
	if _, msg := SnapshotMode("sometimes"); !strings.HasPrefix(msg, "SnapshotMode ") || !strings.Contains(msg, "sometimes") {
		t.Errorf("SnapshotMode(sometimes): message %q should name the field and the value", msg)
	}
}

func TestPatterns(t *testing.T) {
	msgs := Patterns([]string{"shop.*", "shop.[a"}, nil, []string{"x.y", "[", "a.b*"})
	if len(msgs) != 2 || !strings.Contains(msgs[0], `"shop.[a"`) || !strings.Contains(msgs[1], `"["`) {
		t.Fatalf("Patterns = %q; want one message for each malformed pattern, in order", msgs)
	}
}

package offsets_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/offsets"
)

// BenchmarkFileSaveWithLargeAux measures a Save of a small position to a File that also
// holds 4 MB of schema history (compact JSON, as the MySQL source saves it), with the
// history in a blob file and, for comparison, inline in the offsets file as File kept it
// before blob files. B-written/op is the size of the files each Save writes and fsyncs.
func BenchmarkFileSaveWithLargeAux(b *testing.B) {
	history := compactJSON(4<<20, 1)
	for _, bc := range []struct {
		name   string
		aux    bool
		inline bool
	}{
		{"no-aux", false, false},
		{"blob", true, false},
		{"inline", true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "offsets.json")
			f := offsets.NewFile(path)
			if bc.inline {
				offsets.InlineOnly(f)
			}
			ctx := testCtx(b)
			if bc.aux {
				if err := f.Save(ctx, "orders-sync/schema-history", history); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				if err := f.Save(ctx, "orders-sync", cdc.Position(fmt.Sprintf(`{"v":1,"lsn":"0/%X"}`, 0x16B3748+i))); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			// The blob is not rewritten by these Saves (TestFileBlobNotRewritten), so each
			// Save writes the offsets file only.
			st, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Size()), "B-written/op")
		})
	}
}

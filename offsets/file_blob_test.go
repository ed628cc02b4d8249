package offsets_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/offsets"
)

// randomBytes returns n pseudo-random bytes, different for each seed.
func randomBytes(n int, seed uint64) cdc.Position {
	rnd := rand.New(rand.NewPCG(seed, 42))
	b := make(cdc.Position, n)
	for i := range b {
		b[i] = byte(rnd.UintN(256))
	}
	return b
}

// compactJSON returns compact JSON of at least n bytes, looking like schema history.
func compactJSON(n int, seed int) cdc.Position {
	var js strings.Builder
	fmt.Fprintf(&js, `{"v":1,"seed":%d,"tables":[`, seed)
	for i := 0; js.Len() < n; i++ {
		if i > 0 {
			js.WriteByte(',')
		}
		fmt.Fprintf(&js, `{"table":"db.t%d","ddl":"CREATE TABLE t%d (id bigint PRIMARY KEY, note text)"}`, i, i)
	}
	js.WriteString(`]}`)
	return cdc.Position(js.String())
}

// blobPath returns the path of the blob file that holds v next to the offsets file path.
func blobPath(path string, v []byte) string {
	sum := sha256.Sum256(v)
	return path + ".blob-" + hex.EncodeToString(sum[:16])
}

// blobFiles returns the names of the blob files (and their temporary files) next to path.
func blobFiles(t *testing.T, path string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), filepath.Base(path)+".blob-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// mustSave saves pos under key through f, failing the test on an error.
func mustSave(t *testing.T, f *offsets.File, key string, pos cdc.Position) {
	t.Helper()
	if err := f.Save(testCtx(t), key, pos); err != nil {
		t.Fatalf("Save(%q, %d bytes): %v", key, len(pos), err)
	}
}

// mustLoad checks that f loads want under key.
func mustLoad(t *testing.T, f *offsets.File, key string, want cdc.Position) {
	t.Helper()
	got, err := f.Load(testCtx(t), key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
		t.Fatalf("Load(%q) = %d bytes (%.40q...), want %d bytes (%.40q...)", key, len(got), got, len(want), want)
	}
}

// fileDoc is the decoded offsets file.
type fileDoc struct {
	Format  string
	Version int
	Offsets map[string]map[string]json.RawMessage
}

func readDoc(t *testing.T, path string) ([]byte, fileDoc) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc fileDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the offsets file is not JSON: %v\n%s", err, data)
	}
	return data, doc
}

// TestFileBlobRoundTrip saves large values between small ones: they go to blob files, the
// offsets file stays small, and Load gives back exactly the bytes saved.
func TestFileBlobRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "offsets.json")
	f := offsets.NewFile(path)
	bin := randomBytes(1<<20, 1)
	js := compactJSON(200<<10, 1)
	below := randomBytes(offsets.BlobThreshold-1, 2)
	at := randomBytes(offsets.BlobThreshold, 3)

	mustSave(t, f, "orders-sync", cdc.Position(`{"v":1,"lsn":"0/1"}`))
	mustSave(t, f, "orders-sync/schema-history", bin)
	mustSave(t, f, "orders-sync", cdc.Position(`{"v":1,"lsn":"0/2"}`))
	mustSave(t, f, "orders-sync/schema-history-json", js)
	mustSave(t, f, "at", at)
	mustSave(t, f, "zz", cdc.Position(`{"v":1}`))

	// The offsets file only names the blobs, and has version 2.
	data, doc := readDoc(t, path)
	if len(data) >= 4096 {
		t.Errorf("the offsets file has %d bytes, want less than 4 KB:\n%.2000s", len(data), data)
	}
	if !bytes.Contains(data, []byte(`"version": 2,`)) || doc.Version != 2 {
		t.Errorf("the offsets file with blobs does not have version 2:\n%s", data)
	}
	mustSave(t, f, "below", below) // just under BlobThreshold: inline

	for _, g := range []*offsets.File{f, offsets.NewFile(path)} { // this process and another
		mustLoad(t, g, "orders-sync", cdc.Position(`{"v":1,"lsn":"0/2"}`))
		mustLoad(t, g, "orders-sync/schema-history", bin)
		mustLoad(t, g, "orders-sync/schema-history-json", js)
		mustLoad(t, g, "below", below)
		mustLoad(t, g, "at", at)
		mustLoad(t, g, "zz", cdc.Position(`{"v":1}`))
	}

	// Loads of a blob return copies.
	a, _ := f.Load(testCtx(t), "orders-sync/schema-history")
	b, _ := f.Load(testCtx(t), "orders-sync/schema-history")
	a[0]++
	if b[0] == a[0] {
		t.Error("two Loads of a blob share memory")
	}
	mustLoad(t, f, "orders-sync/schema-history", bin)
	bin2 := bytes.Clone(bin)
	bin[0]++ // changing the slice passed to Save does not change what is stored
	mustLoad(t, f, "orders-sync/schema-history", bin2)
	bin = bin2

	_, doc = readDoc(t, path)
	if _, ok := doc.Offsets["below"]["position_base64"]; !ok {
		t.Errorf("a value of BlobThreshold-1 bytes is not inline: %s", doc.Offsets["below"])
	}
	for key, v := range map[string]cdc.Position{"orders-sync/schema-history": bin, "orders-sync/schema-history-json": js, "at": at} {
		e := doc.Offsets[key]
		sum := sha256.Sum256(v)
		var name, sha string
		var size int
		json.Unmarshal(e["blob"], &name)
		json.Unmarshal(e["sha256"], &sha)
		json.Unmarshal(e["size"], &size)
		if name != filepath.Base(blobPath(path, v)) || size != len(v) || sha != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: entry %s, want blob %q, size %d, sha256 %x", key, e, filepath.Base(blobPath(path, v)), len(v), sum)
		}
		if _, ok := e["position"]; ok {
			t.Errorf("%s: the blob entry has a position as well", key)
		}
		if _, ok := e["saved_at"]; !ok {
			t.Errorf("%s: the blob entry has no saved_at", key)
		}
		st, err := os.Stat(blobPath(path, v))
		if err != nil {
			t.Fatalf("%s: the blob file: %v", key, err)
		}
		if st.Mode() != 0o600 {
			t.Errorf("%s: the blob file has mode %v, want -rw-------", key, st.Mode())
		}
		content, _ := os.ReadFile(blobPath(path, v))
		if !bytes.Equal(content, v) {
			t.Errorf("%s: the blob file does not hold the value as saved", key)
		}
	}
	if names := blobFiles(t, path); len(names) != 3 {
		t.Errorf("blob files %v, want 3", names)
	}

	// Two keys with the same large value share its blob.
	mustSave(t, f, "copy", js)
	mustLoad(t, f, "copy", js)
	if names := blobFiles(t, path); len(names) != 3 {
		t.Errorf("after saving a value twice: blob files %v, want 3", names)
	}
	mustSave(t, f, "orders-sync/schema-history-json", cdc.Position(`{}`))
	mustLoad(t, f, "copy", js) // the blob is still named by "copy"
	mustSave(t, f, "copy", cdc.Position(`{}`))
	if _, err := os.Stat(blobPath(path, js)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the blob no key names any more is still there: %v", err)
	}
}

// TestFileBlobNotRewritten saves a position many times next to a 4 MB value: the blob is
// written once, and each Save writes only a small offsets file.
func TestFileBlobNotRewritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offsets.json")
	f := offsets.NewFile(path)
	history := compactJSON(4<<20, 1)
	mustSave(t, f, "orders-sync", cdc.Position(`{"v":1,"lsn":"0/0"}`))
	mustSave(t, f, "orders-sync/schema-history", history)
	blob := blobPath(path, history)
	before, err := os.Stat(blob)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // so that a rewrite would show in the modification time

	var written int64
	start := time.Now()
	for i := range 100 {
		mustSave(t, f, "orders-sync", cdc.Position(fmt.Sprintf(`{"v":1,"lsn":"0/%X"}`, i+1)))
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() >= 4096 {
			t.Fatalf("Save %d: the offsets file has %d bytes, want less than 4 KB", i, st.Size())
		}
		written += st.Size()
	}
	t.Logf("100 Saves of a position next to a 4 MB value: %v, %d bytes of offsets file written", time.Since(start), written)

	after, err := os.Stat(blob)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the blob was rewritten by Saves of another key: before %v %v, after %v %v",
			before.ModTime(), before.Sys(), after.ModTime(), after.Sys())
	}
	// Saving the same large value again does not rewrite it either.
	mustSave(t, f, "orders-sync/schema-history", history)
	if again, err := os.Stat(blob); err != nil || !os.SameFile(before, again) || !again.ModTime().Equal(before.ModTime()) {
		t.Errorf("saving the same value again rewrote its blob (%v)", err)
	}
	mustLoad(t, f, "orders-sync", cdc.Position(`{"v":1,"lsn":"0/64"}`))
	mustLoad(t, f, "orders-sync/schema-history", history)
	mustLoad(t, offsets.NewFile(path), "orders-sync/schema-history", history)
}

// TestFileBlobReplace replaces a large value by another, then by a small one: the blobs
// no key names are removed, and without blobs the file goes back to version 1.
func TestFileBlobReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "offsets.json")
	f := offsets.NewFile(path)
	v1, v2 := randomBytes(300<<10, 1), randomBytes(200<<10, 2)

	mustSave(t, f, "pos", cdc.Position(`{"v":1}`))
	mustSave(t, f, "history", v1)
	if names := blobFiles(t, path); !slices.Equal(names, []string{filepath.Base(blobPath(path, v1))}) {
		t.Fatalf("blob files %v, want the blob of the first value", names)
	}
	mustSave(t, f, "history", v2)
	if names := blobFiles(t, path); !slices.Equal(names, []string{filepath.Base(blobPath(path, v2))}) {
		t.Errorf("after replacing the large value: blob files %v, want only the blob of the new value", names)
	}
	mustLoad(t, f, "history", v2)

	small := cdc.Position(`{"v":1,"tables":[]}`)
	mustSave(t, f, "history", small)
	if names := blobFiles(t, path); len(names) != 0 {
		t.Errorf("after replacing the large value by a small one: blob files %v, want none", names)
	}
	mustLoad(t, f, "history", small)
	mustLoad(t, f, "pos", cdc.Position(`{"v":1}`))
	data, doc := readDoc(t, path)
	if doc.Version != 1 || !bytes.Contains(data, []byte(`"version": 1,`)) {
		t.Errorf("without blobs, the file does not have version 1 again:\n%s", data)
	}
	if !bytes.Contains(data, []byte(`"position": {`)) || bytes.Contains(data, []byte(`"blob"`)) {
		t.Errorf("the small value is not inline:\n%s", data)
	}
	// Byte for byte the file a store that never had blobs writes (but for saved_at).
	other := filepath.Join(t.TempDir(), "offsets.json")
	g := offsets.NewFile(other)
	mustSave(t, g, "history", small)
	mustSave(t, g, "pos", cdc.Position(`{"v":1}`))
	want, _ := os.ReadFile(other)
	stamp := func(b []byte) []byte {
		var out []byte
		for _, line := range bytes.SplitAfter(b, []byte("\n")) {
			if bytes.Contains(line, []byte(`"saved_at"`)) {
				line = []byte("saved_at\n")
			}
			out = append(out, line...)
		}
		return out
	}
	if !bytes.Equal(stamp(data), stamp(want)) {
		t.Errorf("the file after blobs:\n%s\ndiffers from a file that never had any:\n%s", data, want)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 { // offsets.json and offsets.json.lock
		t.Errorf("the directory holds %d files, want the offsets file and its lock", len(ents))
	}
}

// checkBlobCorrupt checks an error about a bad blob: it wraps ErrCorruptOffsets and names
// the offsets file, the key, the blob file and the fix.
func checkBlobCorrupt(t *testing.T, what string, err error, path, key, blob string, says ...string) {
	t.Helper()
	checkCorrupt(t, what, err, path, append([]string{fmt.Sprintf("%q", key), blob, "restore the blob file"}, says...)...)
}

// TestFileBlobCorrupt removes and damages blob files: Load and Save report the offsets
// as corrupt, and Save leaves them as they are.
func TestFileBlobCorrupt(t *testing.T) {
	ctx := testCtx(t)
	big := compactJSON(100<<10, 1)
	const key = "orders-sync/schema-history"
	setup := func(t *testing.T) (path, blob string, f *offsets.File) {
		path = filepath.Join(t.TempDir(), "offsets.json")
		f = offsets.NewFile(path)
		mustSave(t, f, "orders-sync", cdc.Position(`{"v":1}`))
		mustSave(t, f, key, big)
		return path, blobPath(path, big), f
	}
	// check runs Load and Save through f (which has seen the file before) and through a
	// new File (another process), and checks that the offsets file did not change.
	check := func(t *testing.T, path, blob string, f *offsets.File, says string, smallLoadFails bool) {
		t.Helper()
		before, _ := os.ReadFile(path)
		for i, g := range []*offsets.File{f, offsets.NewFile(path)} {
			pos, err := g.Load(ctx, key)
			if pos != nil {
				t.Errorf("File %d: Load returned %d bytes with the error", i, len(pos))
			}
			checkBlobCorrupt(t, fmt.Sprintf("File %d: Load of the key in the blob", i), err, path, key, blob, says)
			if smallLoadFails {
				_, err = g.Load(ctx, "orders-sync")
				checkBlobCorrupt(t, fmt.Sprintf("File %d: Load of another key", i), err, path, key, blob, says)
				err = g.Save(ctx, "orders-sync", cdc.Position(`{"v":2}`))
				checkBlobCorrupt(t, fmt.Sprintf("File %d: Save of another key", i), err, path, key, blob, says)
			}
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("the offsets file changed:\n%s", after)
		}
	}

	t.Run("Deleted", func(t *testing.T) {
		path, blob, f := setup(t)
		if err := os.Remove(blob); err != nil {
			t.Fatal(err)
		}
		check(t, path, blob, f, "is missing", true)
		// Saving the key again does not paper over it either.
		checkBlobCorrupt(t, "Save of the key in the blob", f.Save(ctx, key, big), path, key, blob, "is missing")
		// Restoring the blob repairs the store.
		if err := os.WriteFile(blob, big, 0o600); err != nil {
			t.Fatal(err)
		}
		mustLoad(t, f, key, big)
		mustSave(t, f, "orders-sync", cdc.Position(`{"v":1}`))
		mustLoad(t, offsets.NewFile(path), key, big)
		mustLoad(t, f, "orders-sync", cdc.Position(`{"v":1}`))
	})

	t.Run("Truncated", func(t *testing.T) {
		path, blob, f := setup(t)
		if err := os.Truncate(blob, int64(len(big)/2)); err != nil {
			t.Fatal(err)
		}
		check(t, path, blob, f, fmt.Sprintf("has %d bytes instead of %d", len(big)/2, len(big)), true)
	})

	t.Run("ContentChanged", func(t *testing.T) {
		path, blob, f := setup(t)
		damaged := bytes.Clone(big)
		damaged[len(damaged)/2] ^= 1
		if err := os.WriteFile(blob, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		check(t, path, blob, f, `"sha256"`, false)
		// Saving the value again rewrites the damaged blob.
		mustSave(t, f, key, big)
		mustLoad(t, offsets.NewFile(path), key, big)
	})

	t.Run("NotAFile", func(t *testing.T) {
		path, blob, f := setup(t)
		if err := os.Remove(blob); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(blob, 0o700); err != nil {
			t.Fatal(err)
		}
		check(t, path, blob, f, "not a regular file", true)
	})

	// Entries edited by hand.
	sum := sha256.Sum256(big)
	sha := hex.EncodeToString(sum[:])
	name := "offsets.json.blob-" + sha[:32]
	entry := func(version int, e string) string {
		return fmt.Sprintf(`{"format":"tributary-offsets","version":%d,"offsets":{"b":{"position":{}},"a":%s}}`, version, e)
	}
	cases := map[string]struct{ content, says string }{
		"BlobInVersion1": {entry(1, fmt.Sprintf(`{"blob":%q,"size":%d,"sha256":%q}`, name, len(big), sha)), `version 1`},
		"NoSize":         {entry(2, fmt.Sprintf(`{"blob":%q,"sha256":%q}`, name, sha)), `"size"`},
		"NegativeSize":   {entry(2, fmt.Sprintf(`{"blob":%q,"size":-1,"sha256":%q}`, name, sha)), `"size"`},
		"NoSHA":          {entry(2, fmt.Sprintf(`{"blob":%q,"size":%d}`, name, len(big))), `"sha256"`},
		"ShortSHA":       {entry(2, fmt.Sprintf(`{"blob":%q,"size":%d,"sha256":%q}`, name, len(big), sha[:32])), `"sha256"`},
		"BadSHA":         {entry(2, fmt.Sprintf(`{"blob":%q,"size":%d,"sha256":%q}`, name, len(big), "zz"+sha[2:])), `"sha256"`},
		"OtherName":      {entry(2, fmt.Sprintf(`{"blob":%q,"size":%d,"sha256":%q}`, "x.blob-"+sha[:32], len(big), sha)), name},
		"PathInName":     {entry(2, fmt.Sprintf(`{"blob":%q,"size":%d,"sha256":%q}`, "../"+name, len(big), sha)), name},
		"BlobAndInline":  {entry(2, fmt.Sprintf(`{"blob":%q,"size":%d,"sha256":%q,"position":{}}`, name, len(big), sha)), `"blob"`},
		"WrongSize":      {entry(2, fmt.Sprintf(`{"blob":%q,"size":%d,"sha256":%q}`, name, len(big)+1, sha)), "instead of"},
		"FutureVersion":  {entry(3, fmt.Sprintf(`{"blob":%q,"size":%d,"sha256":%q}`, name, len(big), sha)), "newer version"},
	}
	for cname, c := range cases {
		t.Run(cname, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "offsets.json")
			if err := os.WriteFile(filepath.Join(dir, name), big, 0o600); err != nil {
				t.Fatal(err)
			}
			checkRefused(t, path, c.content, c.says)
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Errorf("the blob file of a corrupt offsets file was touched: %v", err)
			}
		})
	}

	// A blob entry written by hand, right, is read.
	t.Run("HandWritten", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "offsets.json")
		os.WriteFile(filepath.Join(dir, name), big, 0o600)
		os.WriteFile(path, []byte(entry(2, fmt.Sprintf(`{"blob":%q,"size":%d,"sha256":%q}`, name, len(big), strings.ToUpper(sha)))), 0o600)
		f := offsets.NewFile(path)
		mustLoad(t, f, "a", big)
		mustSave(t, f, "c", cdc.Position(`{}`))
		mustLoad(t, f, "a", big)
		mustLoad(t, f, "b", cdc.Position(`{}`))
	})
}

// TestFileBlobGarbage checks that Save removes the blobs no key names, orphaned by a crash
// or left by hand, and their temporary files, and nothing else.
func TestFileBlobGarbage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "offsets.json")
	big := randomBytes(100<<10, 1)
	mustSave(t, offsets.NewFile(path), "history", big)

	// What a Save that crashed between writing its blob and writing the offsets file
	// leaves, a blob written by hand, and the temporary file of a blob.
	orphan := randomBytes(100<<10, 2)
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	crashed := write(filepath.Base(blobPath(path, orphan)), orphan)
	byHand := write("offsets.json.blob-0123456789abcdef0123456789abcdef", []byte("stale"))
	temp := write(filepath.Base(blobPath(path, orphan))+".tmp-123456789", orphan[:1000])
	// Not blobs of this offsets file: left alone.
	var kept []string
	for _, name := range []string{
		"offsets.json.blob-notes.txt",
		"offsets.json.blob-0123456789ABCDEF0123456789ABCDEF",
		"offsets.json.blob-0123456789abcdef0123456789abcdef.bak",
		"other.json.blob-0123456789abcdef0123456789abcdef",
		"offsets.json.bak",
	} {
		kept = append(kept, write(name, []byte("keep")))
	}

	f := offsets.NewFile(path) // a new process
	mustLoad(t, f, "history", big)
	for _, p := range []string{crashed, byHand, temp} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("Load removed %s: %v", filepath.Base(p), err)
		}
	}
	mustSave(t, f, "pos", cdc.Position(`{"v":1}`))
	for _, p := range []string{crashed, byHand, temp} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Save did not remove %s: %v", filepath.Base(p), err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Save removed %s, which is not one of its blobs: %v", filepath.Base(p), err)
		}
	}
	mustLoad(t, f, "history", big)

	// An orphan left while this File is in use (by another process that crashed) goes
	// at the next Save too.
	write(filepath.Base(blobPath(path, orphan)), orphan)
	mustSave(t, f, "pos", cdc.Position(`{"v":2}`))
	if _, err := os.Stat(crashed); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the next Save did not remove a new orphan: %v", err)
	}
	if _, err := os.Stat(blobPath(path, big)); err != nil {
		t.Errorf("Save removed the blob the offsets file names: %v", err)
	}
	mustLoad(t, offsets.NewFile(path), "history", big)
}

// TestFileBlobTwoFiles saves through two File values on the same path, as two processes
// would: each sees the other's saves, large ones included.
func TestFileBlobTwoFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offsets.json")
	a, b := offsets.NewFile(path), offsets.NewFile(path)
	h1, h2, h3 := compactJSON(150<<10, 1), randomBytes(120<<10, 2), compactJSON(300<<10, 3)

	mustSave(t, a, "pos", cdc.Position(`{"v":1}`))
	mustSave(t, a, "history", h1)
	mustLoad(t, b, "history", h1)
	mustLoad(t, b, "pos", cdc.Position(`{"v":1}`))

	mustSave(t, b, "pos", cdc.Position(`{"v":2}`))
	mustLoad(t, a, "pos", cdc.Position(`{"v":2}`))
	mustLoad(t, a, "history", h1)

	mustSave(t, b, "history", h2)
	mustLoad(t, a, "history", h2)
	mustSave(t, a, "other-history", h3)
	mustLoad(t, b, "other-history", h3)
	mustLoad(t, b, "history", h2)
	mustLoad(t, b, "pos", cdc.Position(`{"v":2}`))

	want := []string{filepath.Base(blobPath(path, h2)), filepath.Base(blobPath(path, h3))}
	slices.Sort(want)
	if names := blobFiles(t, path); !slices.Equal(names, want) {
		t.Errorf("blob files %v, want %v", names, want)
	}
}

// TestFileBlobLoadDuringSaves loads while another File replaces a large value again and
// again, removing the blob that the offsets file named a moment before: Load must read
// the new offsets file, never report the removed blob as missing.
func TestFileBlobLoadDuringSaves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offsets.json")
	saver, loader := offsets.NewFile(path), offsets.NewFile(path)
	const versions = 30
	valid := make(map[[32]byte]bool)
	values := make([]cdc.Position, versions)
	for i := range values {
		values[i] = randomBytes(offsets.BlobThreshold+i*1000, uint64(i))
		valid[sha256.Sum256(values[i])] = true
	}
	mustSave(t, saver, "pos", cdc.Position(`{"v":0}`))
	mustSave(t, saver, "history", values[0])

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					if n > 0 {
						return
					}
				default:
				}
				key := "history"
				if r%2 == 1 {
					key = "pos"
				}
				got, err := loader.Load(testCtx(t), key)
				if err != nil {
					t.Errorf("Load(%q) during Saves: %v", key, err)
					return
				}
				if key == "history" && !valid[sha256.Sum256(got)] {
					t.Errorf("Load(%q) returned %d bytes never saved", key, len(got))
					return
				}
			}
		}()
	}
	for i := 1; i < versions; i++ {
		if err := saver.Save(testCtx(t), "history", values[i]); err != nil {
			t.Error(err)
		}
		if err := saver.Save(testCtx(t), "pos", cdc.Position(fmt.Sprintf(`{"v":%d}`, i))); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	mustLoad(t, loader, "history", values[versions-1])
}

// TestFileBlobFailedSave checks that a Save that cannot write its blob leaves the offsets
// as they were.
func TestFileBlobFailedSave(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "offsets.json")
	f := offsets.NewFile(path)
	h1 := randomBytes(100<<10, 1)
	mustSave(t, f, "history", h1)
	before, _ := os.ReadFile(path)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	h2 := randomBytes(100<<10, 2)
	err := f.Save(testCtx(t), "history", h2)
	if os.Geteuid() == 0 { // root writes into read-only directories: the save must succeed
		if err != nil {
			t.Fatalf("as root: Save = %v", err)
		}
		mustLoad(t, offsets.NewFile(path), "history", h2)
		return
	}
	if err == nil || errors.Is(err, cdc.ErrCorruptOffsets) {
		t.Errorf("Save of a blob into a read-only directory = %v, want an error that is not ErrCorruptOffsets", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a failed Save changed the offsets file")
	}
	mustLoad(t, f, "history", h1)
	mustLoad(t, offsets.NewFile(path), "history", h1)
}

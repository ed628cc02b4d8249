package offsets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
	"github.com/tributary-cdc/cdc/cdctest"
	"github.com/tributary-cdc/cdc/offsets"
)

func TestFile(t *testing.T) {
	cdctest.TestOffsetStore(t, func(t *testing.T) cdc.OffsetStore {
		return offsets.NewFile(filepath.Join(t.TempDir(), "offsets.json"))
	})
}

// TestFileFormat checks the documented file format.
func TestFileFormat(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "offsets.json")
	f := offsets.NewFile(path)
	if f.Path() != path {
		t.Errorf("Path() = %q, want %q", f.Path(), path)
	}
	bin := cdc.Position{0, 1, 2, 0xff}
	values := map[string]cdc.Position{
		"orders-sync":                cdc.Position(`{"v":1,"lsn":"0/16B3748"}`),
		"orders-sync/schema-history": bin,
		"spaced":                     cdc.Position(`{"v": 1}`),
		"html":                       cdc.Position(`{"s":"<&>"}`),
		"empty":                      cdc.Position{},
	}
	before := time.Now().Add(-time.Second)
	for k, v := range values {
		if err := f.Save(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Format  string
		Version int
		Offsets map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the file is not JSON: %v\n%s", err, data)
	}
	if doc.Format != "tributary-offsets" || doc.Version != 1 || len(doc.Offsets) != len(values) {
		t.Fatalf("format %q, version %d, %d offsets, want tributary-offsets, 1, %d:\n%s", doc.Format, doc.Version, len(doc.Offsets), len(values), data)
	}
	if !bytes.Contains(data, []byte("\n  \"offsets\": {\n")) {
		t.Errorf("the file is not indented for people:\n%s", data)
	}
	if !bytes.Contains(data, []byte(`"s": "<&>"`)) {
		t.Errorf("HTML characters were escaped in a raw position:\n%s", data)
	}
	checkRaw := func(key string, want cdc.Position) {
		t.Helper()
		var buf bytes.Buffer
		if err := json.Compact(&buf, doc.Offsets[key]["position"]); err != nil || !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: \"position\" = %s, want %s", key, doc.Offsets[key]["position"], want)
		}
		if _, ok := doc.Offsets[key]["position_base64"]; ok {
			t.Errorf("%s: has position_base64 as well", key)
		}
	}
	checkBase64 := func(key string, want cdc.Position) {
		t.Helper()
		var s string
		if err := json.Unmarshal(doc.Offsets[key]["position_base64"], &s); err != nil || s != base64.StdEncoding.EncodeToString(want) {
			t.Errorf("%s: \"position_base64\" = %s, want %q", key, doc.Offsets[key]["position_base64"], base64.StdEncoding.EncodeToString(want))
		}
		if _, ok := doc.Offsets[key]["position"]; ok {
			t.Errorf("%s: has position as well", key)
		}
	}
	checkRaw("orders-sync", values["orders-sync"])
	checkRaw("html", values["html"])
	checkBase64("orders-sync/schema-history", bin)
	checkBase64("spaced", values["spaced"]) // not compact: kept exactly, so base64
	checkBase64("empty", nil)
	for k, e := range doc.Offsets {
		var s string
		if err := json.Unmarshal(e["saved_at"], &s); err != nil {
			t.Errorf("%s: saved_at: %v", k, err)
			continue
		}
		at, err := time.Parse(time.RFC3339, s)
		if err != nil || at.Before(before) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("%s: saved_at = %q (%v), want the time of the Save in RFC 3339", k, s, err)
		}
	}

	// A file written by hand (indented positions, extra fields) is read, and positions
	// come back compact.
	hand := `{
  "format": "tributary-offsets",
  "version": 1,
  "comment": "restored from backup",
  "offsets": {
    "a": {"position": {
        "v": 1,
        "lsn": "0/1"
    }, "note": "x"},
    "b": {"position_base64": "AAE="}
  }
}`
	if err := os.WriteFile(path, []byte(hand), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]cdc.Position{"a": cdc.Position(`{"v":1,"lsn":"0/1"}`), "b": {0, 1}, "c": nil} {
		got, err := f.Load(ctx, k)
		if err != nil || !bytes.Equal(got, want) || (want == nil) != (got == nil) {
			t.Errorf("hand-written file: Load(%q) = %q, %v; want %q", k, got, err, want)
		}
	}
	if err := f.Save(ctx, "c", cdc.Position(`{}`)); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]cdc.Position{"a": cdc.Position(`{"v":1,"lsn":"0/1"}`), "b": {0, 1}, "c": cdc.Position(`{}`)} {
		if got, err := f.Load(ctx, k); err != nil || !bytes.Equal(got, want) {
			t.Errorf("after a Save to the hand-written file: Load(%q) = %q, %v; want %q", k, got, err, want)
		}
	}
}

// TestFileConcurrentSavers saves different keys from goroutines sharing one File and from
// two File values on the same path: the read-modify-write must not lose any key.
func TestFileConcurrentSavers(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "offsets.json")
	files := []*offsets.File{offsets.NewFile(path), offsets.NewFile(path)}
	const perFile, saves = 4, 10
	var wg sync.WaitGroup
	for fi, f := range files {
		for g := range perFile {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("file%d/engine%d", fi, g)
				for i := range saves {
					if err := f.Save(ctx, key, cdc.Position(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
						t.Errorf("Save(%q): %v", key, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	for fi := range files {
		for g := range perFile {
			key := fmt.Sprintf("file%d/engine%d", fi, g)
			for _, f := range files {
				got, err := f.Load(ctx, key)
				if want := fmt.Sprintf(`{"i":%d}`, saves-1); err != nil || string(got) != want {
					t.Errorf("Load(%q) = %q, %v; want %s", key, got, err, want)
				}
			}
		}
	}
}

const childEnv = "OFFSETS_TEST_FILE_CHILD"

// TestFileProcesses saves from several processes at once, through the file lock.
func TestFileProcesses(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "offsets.json")
	const procs, saves = 3, 20
	var wg sync.WaitGroup
	for p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|proc%d|%d", childEnv, path, p, saves))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child %d: %v\n%s", p, err, out)
			}
		}()
	}
	// This process saves too, meanwhile.
	f := offsets.NewFile(path)
	for i := range saves {
		if err := f.Save(ctx, "parent", cdc.Position(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	for _, key := range []string{"parent", "proc0", "proc1", "proc2"} {
		got, err := f.Load(ctx, key)
		if want := fmt.Sprintf(`{"i":%d}`, saves-1); err != nil || string(got) != want {
			t.Errorf("Load(%q) = %q, %v; want %s", key, got, err, want)
		}
	}
}

// fileChildSaver runs in the child processes of TestFileProcesses (see TestMain):
// spec is "path|key|saves".
func fileChildSaver(spec string) error {
	parts := strings.Split(spec, "|")
	if len(parts) != 3 {
		return fmt.Errorf("bad %s: %q", childEnv, spec)
	}
	var saves int
	fmt.Sscan(parts[2], &saves)
	f := offsets.NewFile(parts[0])
	for i := range saves {
		if err := f.Save(context.Background(), parts[1], cdc.Position(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
			return err
		}
	}
	return nil
}

func writeOffsets(t *testing.T, path string, keys ...string) {
	t.Helper()
	f := offsets.NewFile(path)
	for _, k := range keys {
		if err := f.Save(testCtx(t), k, cdc.Position(`{"v":1,"key":"`+k+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileTornWrite simulates crashes: a temporary file left half written next to the
// offsets file does not matter, a truncated offsets file is reported, never reset.
func TestFileTornWrite(t *testing.T) {
	ctx := testCtx(t)

	t.Run("StrayTempFile", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "offsets.json")
		writeOffsets(t, path, "a", "b")
		good, _ := os.ReadFile(path)
		stray := path + ".tmp-123456789"
		if err := os.WriteFile(stray, good[:len(good)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		other := path + ".bak" // not ours: left alone
		if err := os.WriteFile(other, good, 0o600); err != nil {
			t.Fatal(err)
		}
		f := offsets.NewFile(path) // a new process
		if got, err := f.Load(ctx, "a"); err != nil || string(got) != `{"v":1,"key":"a"}` {
			t.Fatalf("Load with a stray temporary file = %q, %v", got, err)
		}
		if err := f.Save(ctx, "c", cdc.Position(`{"v":1,"key":"c"}`)); err != nil {
			t.Fatalf("Save with a stray temporary file: %v", err)
		}
		for _, k := range []string{"a", "b", "c"} {
			if got, err := f.Load(ctx, k); err != nil || string(got) != `{"v":1,"key":"`+k+`"}` {
				t.Errorf("Load(%q) = %q, %v", k, got, err)
			}
		}
		if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the stray temporary file was not removed by Save: %v", err)
		}
		if _, err := os.Stat(other); err != nil {
			t.Errorf("an unrelated file was touched: %v", err)
		}
		ents, _ := os.ReadDir(dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if want := "offsets.json offsets.json.bak offsets.json.lock"; strings.Join(names, " ") != want {
			t.Errorf("directory holds %v, want %s", names, want)
		}
	})

	t.Run("TruncatedFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "offsets.json")
		writeOffsets(t, path, "a", "b", "c")
		good, _ := os.ReadFile(path)
		for _, n := range []int{0, 1, len(good) / 3, len(good) / 2, len(good) - 2} {
			torn := good[:n]
			if err := os.WriteFile(path, torn, 0o600); err != nil {
				t.Fatal(err)
			}
			f := offsets.NewFile(path)
			_, err := f.Load(ctx, "a")
			checkCorrupt(t, fmt.Sprintf("Load of a file truncated to %d bytes", n), err, path)
			err = f.Save(ctx, "a", cdc.Position(`{}`))
			checkCorrupt(t, fmt.Sprintf("Save to a file truncated to %d bytes", n), err, path)
			if now, _ := os.ReadFile(path); !bytes.Equal(now, torn) {
				t.Errorf("Save replaced a file truncated to %d bytes", n)
			}
		}
	})
}

func checkCorrupt(t *testing.T, what string, err error, path string, fix ...string) {
	t.Helper()
	if !errors.Is(err, cdc.ErrCorruptOffsets) {
		t.Errorf("%s: error = %v, want ErrCorruptOffsets", what, err)
		return
	}
	want := append([]string{path, "to start over, which takes a new snapshot"}, fix...)
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not say %q", what, err, w)
		}
	}
}

func TestFileCorrupt(t *testing.T) {
	head := `{"format":"tributary-offsets","version":1,"offsets":`
	cases := map[string]struct{ content, says string }{
		"NotJSON":         {`{not json`, "not valid JSON"},
		"Empty":           {``, "empty"},
		"Blank":           {" \n", "empty"},
		"Truncated":       {head + `{"a":{"position":{"v":1}}`, "not valid JSON"},
		"TrailingGarbage": {head + `{}} {}`, "not valid JSON"},
		"Foreign":         {`{"hello":1}`, "not a tributary offsets file"},
		"ForeignArray":    {`[1,2,3]`, "not a tributary offsets file"},
		"OtherFormat":     {`{"format":"kafka-offsets","version":1,"offsets":{}}`, `"kafka-offsets"`},
		"FormatNotString": {`{"format":1,"version":1,"offsets":{}}`, "not a tributary offsets file"},
		"FutureVersion":   {`{"format":"tributary-offsets","version":3,"offsets":{"a":{"pos":"x"}}}`, "newer version"},
		"NoVersion":       {`{"format":"tributary-offsets","offsets":{}}`, `"version"`},
		"VersionZero":     {`{"format":"tributary-offsets","version":0,"offsets":{}}`, `"version"`},
		"VersionString":   {`{"format":"tributary-offsets","version":"1","offsets":{}}`, `"version"`},
		"NoOffsets":       {`{"format":"tributary-offsets","version":1}`, `"offsets"`},
		"NullOffsets":     {head + `null}`, `"offsets"`},
		"OffsetsArray":    {head + `[]}`, `"offsets"`},
		"EntryNotObject":  {head + `{"a":"0/1"}}`, `"offsets"`},
		"BadBase64":       {head + `{"a":{"position_base64":"!!"}}}`, `"a"`},
		"NoPosition":      {head + `{"a":{"saved_at":"2025-01-01T00:00:00Z"}}}`, `"a"`},
		"BothPositions":   {head + `{"a":{"position":{},"position_base64":""}}}`, `"a"`},
		"NullPosition":    {head + `{"a":{"position":null}}}`, `"a"`},
		"OtherKeyBroken":  {head + `{"b":{"position":{}},"a":{"position_base64":1}}}`, "offsets"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			checkRefused(t, filepath.Join(t.TempDir(), "offsets.json"), c.content, c.says)
		})
	}
}

// checkRefused writes content to the offsets file at path: Load and Save must both
// refuse it as corrupt, saying says, and leave it as it is.
func checkRefused(t *testing.T, path, content, says string) {
	t.Helper()
	ctx := testCtx(t)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	f := offsets.NewFile(path)
	pos, err := f.Load(ctx, "b")
	if pos != nil {
		t.Errorf("Load returned %q with the error", pos)
	}
	checkCorrupt(t, "Load", err, path, says)
	checkCorrupt(t, "Save", f.Save(ctx, "b", cdc.Position(`{}`)), path, says)
	if now, _ := os.ReadFile(path); string(now) != content {
		t.Errorf("Save changed the corrupt file to:\n%s", now)
	}
}

func TestFilePermissions(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "offsets.json")
	// An existing file with looser permissions is tightened by the next Save.
	if err := os.WriteFile(path, []byte(`{"format":"tributary-offsets","version":1,"offsets":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f := offsets.NewFile(path)
	for i := range 2 {
		if err := f.Save(ctx, "a", cdc.Position(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + ".lock"} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode() != 0o600 {
				t.Errorf("after Save %d: %s has mode %v, want -rw-------", i, filepath.Base(p), st.Mode())
			}
		}
	}
}

// TestFileErrors checks that file-system problems are reported clearly, and are not
// mistaken for corrupt offsets nor for a missing file.
func TestFileErrors(t *testing.T) {
	ctx := testCtx(t)
	root := os.Geteuid() == 0

	notCorrupt := func(t *testing.T, what string, err error, says ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		if errors.Is(err, cdc.ErrCorruptOffsets) {
			t.Errorf("%s: error %q wraps ErrCorruptOffsets: the data is not corrupt", what, err)
		}
		for _, s := range says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not say %q", what, err, s)
			}
		}
	}

	t.Run("MissingFile", func(t *testing.T) {
		f := offsets.NewFile(filepath.Join(t.TempDir(), "offsets.json"))
		if pos, err := f.Load(ctx, "a"); pos != nil || err != nil {
			t.Errorf("Load of a missing file = %q, %v; want nil, nil", pos, err)
		}
	})

	t.Run("PathIsDirectory", func(t *testing.T) {
		path := t.TempDir()
		f := offsets.NewFile(path)
		_, err := f.Load(ctx, "a")
		notCorrupt(t, "Load", err, path, "is a directory")
		notCorrupt(t, "Save", f.Save(ctx, "a", cdc.Position(`{}`)), path)
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			t.Errorf("the directory was replaced: %v", err)
		}
	})

	t.Run("ParentIsFile", func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(parent, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(parent, "offsets.json")
		f := offsets.NewFile(path)
		_, err := f.Load(ctx, "a")
		notCorrupt(t, "Load", err, path)
		notCorrupt(t, "Save", f.Save(ctx, "a", cdc.Position(`{}`)), path)
	})

	t.Run("MissingDirectory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "no-such-dir", "offsets.json")
		f := offsets.NewFile(path)
		notCorrupt(t, "Save", f.Save(ctx, "a", cdc.Position(`{}`)), path)
	})

	t.Run("UnreadableParent", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "locked")
		path := filepath.Join(dir, "offsets.json")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		writeOffsets(t, path, "a")
		if err := os.Chmod(dir, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		pos, err := offsets.NewFile(path).Load(ctx, "a")
		if root { // root reads any directory: the store must simply work
			if err != nil || pos == nil {
				t.Fatalf("as root: Load = %q, %v", pos, err)
			}
			return
		}
		notCorrupt(t, "Load", err, path, "permission denied")
	})

	t.Run("UnreadableFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "offsets.json")
		writeOffsets(t, path, "a")
		if err := os.Chmod(path, 0); err != nil {
			t.Fatal(err)
		}
		pos, err := offsets.NewFile(path).Load(ctx, "a")
		if root { // root reads any file
			if err != nil || pos == nil {
				t.Fatalf("as root: Load = %q, %v", pos, err)
			}
			return
		}
		notCorrupt(t, "Load", err, path, "permission denied")
	})

	t.Run("ReadOnlyDirectory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ro")
		path := filepath.Join(dir, "offsets.json")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		writeOffsets(t, path, "a")
		before, _ := os.ReadFile(path)
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		f := offsets.NewFile(path)
		if root { // root writes into read-only directories: the save must succeed
			if err := f.Save(ctx, "b", cdc.Position(`{}`)); err != nil {
				t.Fatalf("as root: Save = %v", err)
			}
			return
		}
		notCorrupt(t, "Save", f.Save(ctx, "b", cdc.Position(`{}`)), dir)
		if got, err := f.Load(ctx, "a"); err != nil || string(got) != `{"v":1,"key":"a"}` {
			t.Errorf("Load after a failed Save = %q, %v", got, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Error("a failed Save changed the file")
		}
	})

	t.Run("EmptyPath", func(t *testing.T) {
		f := offsets.NewFile("")
		if _, err := f.Load(ctx, "a"); !errors.Is(err, cdc.ErrInvalidConfig) {
			t.Errorf("Load: %v, want ErrInvalidConfig", err)
		}
		if err := f.Save(ctx, "a", nil); !errors.Is(err, cdc.ErrInvalidConfig) {
			t.Errorf("Save: %v, want ErrInvalidConfig", err)
		}
	})
}

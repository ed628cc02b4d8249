package offsets

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tributary-cdc/cdc"
)

const (
	fileFormat  = "tributary-offsets"
	fileVersion = 1
	tempInfix   = ".tmp-" // temporary files are "<name>.tmp-<random>" in the same directory
)

// File is an OffsetStore that keeps every key in one JSON file (the format is described
// in the package documentation).
//
// Save reads the file, changes one key and writes the whole file again: to a temporary
// file in the same directory (mode 0600), which is fsynced and renamed over the old file,
// after which the directory is fsynced. A crash leaves the old or the new file, never a
// mix; temporary files left by a crash are ignored, and removed by the next Save.
// Saves are serialised inside the process by a mutex and between processes (and between
// File values on the same path) by an advisory lock (flock) on "<path>.lock", which is
// created next to the file and never removed. On systems without flock (Windows) only
// saves through one File value are serialised.
//
// Load reads the file every time, so it sees saves made by other processes, and does not
// wait for saves in progress. A file that cannot be read as an offsets file is reported
// with an error wrapping cdc.ErrCorruptOffsets, by Load and by Save, which then leaves it
// untouched.
//
// The File remembers the last content it read or wrote, so that a Save that finds the
// file unchanged only encodes the key it changes. Still, every Save writes and fsyncs all
// keys: a few MB of schema history in the same file make each Save of a position cost the
// writing of those MB.
type File struct {
	path  string
	mu    sync.Mutex // serialises Saves
	swept bool       // stale temporary files were removed; guarded by mu
	last  atomic.Pointer[fileSnap]
}

// fileSnap is the parsed content of the file. It is never modified once built.
type fileSnap struct {
	data    []byte               // the file's bytes
	entries map[string]*fileSlot // by key
}

// fileSlot is one key of a fileSnap. It is never modified once built.
type fileSlot struct {
	pos     cdc.Position
	savedAt string
	enc     []byte // the entry's JSON as it appears in the file; nil when not encoded yet
}

// NewFile returns a File store keeping its offsets in the file at path. The directory
// must exist; the file is created by the first Save.
func NewFile(path string) *File {
	return &File{path: path}
}

// Path returns the path of the offsets file.
func (f *File) Path() string { return f.path }

// Load returns the position saved under key, or (nil, nil) when the file does not exist
// or has no such key.
func (f *File) Load(ctx context.Context, key string) (cdc.Position, error) {
	if err := f.check(ctx, key); err != nil {
		return nil, err
	}
	snap, err := f.read()
	if err != nil || snap == nil {
		return nil, err
	}
	slot, ok := snap.entries[key]
	if !ok {
		return nil, nil
	}
	return clone(slot.pos), nil
}

// Save stores pos under key and returns once the file is on disk.
func (f *File) Save(ctx context.Context, key string, pos cdc.Position) error {
	if err := f.check(ctx, key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	unlock, err := lockFile(ctx, f.path+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	if !f.swept {
		removeStaleTemps(f.path)
		f.swept = true
	}
	old, err := f.read()
	if err != nil {
		return err
	}
	entries := make(map[string]*fileSlot)
	if old != nil {
		entries = make(map[string]*fileSlot, len(old.entries)+1)
		for k, slot := range old.entries {
			if slot.enc == nil {
				slot = &fileSlot{pos: slot.pos, savedAt: slot.savedAt, enc: encodeEntry(slot.pos, slot.savedAt)}
			}
			entries[k] = slot
		}
	}
	savedAt := time.Now().UTC().Format(time.RFC3339)
	entries[key] = &fileSlot{pos: clone(pos), savedAt: savedAt, enc: encodeEntry(pos, savedAt)}
	data := encodeFile(entries)
	if err := writeAtomic(f.path, data); err != nil {
		return err
	}
	f.last.Store(&fileSnap{data: data, entries: entries})
	return nil
}

func (f *File) check(ctx context.Context, key string) error {
	if f.path == "" {
		return cdc.ConfigError("offsets.File path", "must not be empty: pass the offsets file path to NewFile")
	}
	if err := checkKey(key); err != nil {
		return err
	}
	return ctx.Err()
}

// read reads and checks the whole file. It returns nil when the file does not exist.
func (f *File) read() (*fileSnap, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("offsets: cannot read the offsets file: %w", err)
	}
	if last := f.last.Load(); last != nil && bytes.Equal(last.data, data) {
		return last, nil
	}
	entries, err := parseFile(f.path, data)
	if err != nil {
		return nil, err
	}
	snap := &fileSnap{data: data, entries: entries}
	f.last.Store(snap)
	return snap, nil
}

// fileEntry is one key. Exactly one of Position and PositionBase64 is set.
type fileEntry struct {
	Position       json.RawMessage `json:"position,omitempty"`
	PositionBase64 *string         `json:"position_base64,omitempty"`
	SavedAt        string          `json:"saved_at,omitempty"`
}

// encodeEntry returns the JSON of an entry, indented for its place in the file.
func encodeEntry(pos cdc.Position, savedAt string) []byte {
	e := fileEntry{SavedAt: savedAt}
	if isCompactJSON(pos) {
		e.Position = json.RawMessage(pos)
	} else {
		s := base64.StdEncoding.EncodeToString(pos)
		e.PositionBase64 = &s
	}
	return encodeJSON(e, "    ")
}

// encodeJSON encodes v without escaping HTML characters (raw positions stay byte for
// byte), indented by two spaces after prefix, without a trailing newline.
func encodeJSON(v any, prefix string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		panic("offsets: encoding offsets: " + err.Error()) // only checked JSON and strings are encoded
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// encodeFile lays out the file as json.MarshalIndent would, from the entries' JSON.
func encodeFile(entries map[string]*fileSlot) []byte {
	keys := make([]string, 0, len(entries))
	size := 128
	for k, slot := range entries {
		keys = append(keys, k)
		size += len(k) + len(slot.enc) + 16
	}
	slices.Sort(keys)
	buf := make([]byte, 0, size)
	buf = fmt.Appendf(buf, "{\n  \"format\": %q,\n  \"version\": %d,\n  \"offsets\": {", fileFormat, fileVersion)
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n    "...)
		buf = append(buf, encodeJSON(k, "")...)
		buf = append(buf, ": "...)
		buf = append(buf, entries[k].enc...)
	}
	if len(keys) > 0 {
		buf = append(buf, "\n  "...)
	}
	return append(buf, "}\n}\n"...)
}

// decode returns the entry's position, or a description of what is wrong with it.
func (e fileEntry) decode() (cdc.Position, string) {
	switch {
	case e.Position != nil && e.PositionBase64 != nil:
		return nil, `has both "position" and "position_base64"`
	case e.Position != nil:
		if string(e.Position) == "null" {
			return nil, `has a null "position"`
		}
		var buf bytes.Buffer
		buf.Grow(len(e.Position))
		if err := json.Compact(&buf, e.Position); err != nil {
			return nil, fmt.Sprintf(`has an unreadable "position": %v`, err)
		}
		return clone(buf.Bytes()), ""
	case e.PositionBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*e.PositionBase64)
		if err != nil {
			return nil, fmt.Sprintf(`has an unreadable "position_base64": %v`, err)
		}
		return clone(b), ""
	default:
		return nil, `has neither "position" nor "position_base64"`
	}
}

// isCompactJSON reports whether b can be written as raw JSON and read back byte for byte:
// valid UTF-8 JSON without insignificant whitespace. null is excluded, as it would read
// as a missing position.
func isCompactJSON(b []byte) bool {
	if len(b) == 0 || string(b) == "null" || !utf8.Valid(b) || !json.Valid(b) {
		return false
	}
	var buf bytes.Buffer
	buf.Grow(len(b))
	if err := json.Compact(&buf, b); err != nil {
		return false
	}
	return bytes.Equal(buf.Bytes(), b)
}

// parseFile reads the content of an offsets file, or says what is wrong with it.
func parseFile(path string, data []byte) (map[string]*fileSlot, error) {
	var head struct {
		Format  *string         `json:"format"`
		Version json.RawMessage `json:"version"`
		Offsets json.RawMessage `json:"offsets"`
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, corrupt(path, "is empty", "")
	}
	if err := json.Unmarshal(data, &head); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, corrupt(path, fmt.Sprintf("is not valid JSON, it may have been truncated or damaged (%v)", err), "")
		}
		return nil, corrupt(path, fmt.Sprintf("is not a tributary offsets file (%v)", err), "")
	}
	if head.Format == nil || *head.Format != fileFormat {
		got := "missing"
		if head.Format != nil {
			got = fmt.Sprintf("%q", *head.Format)
		}
		return nil, corrupt(path, fmt.Sprintf("is not a tributary offsets file (\"format\" is %s, want %q)", got, fileFormat), "")
	}
	var version int
	if head.Version == nil || json.Unmarshal(head.Version, &version) != nil || version < 1 {
		return nil, corrupt(path, fmt.Sprintf("has a bad \"version\" (%s, want %d)", orMissing(head.Version), fileVersion), "")
	}
	if version > fileVersion {
		return nil, corrupt(path, fmt.Sprintf("has version %d, written by a newer version of tributary (this one reads version %d)", version, fileVersion),
			"run the newer version, or remove the file to start over, which takes a new snapshot")
	}
	if head.Offsets == nil || string(head.Offsets) == "null" {
		return nil, corrupt(path, `has no "offsets" object`, "")
	}
	var entries map[string]fileEntry
	if err := json.Unmarshal(head.Offsets, &entries); err != nil {
		return nil, corrupt(path, fmt.Sprintf(`has an unreadable "offsets" object (%v)`, err), "")
	}
	slots := make(map[string]*fileSlot, len(entries))
	for k, e := range entries {
		pos, problem := e.decode()
		if problem != "" {
			return nil, corrupt(path, fmt.Sprintf("key %q %s", k, problem), "")
		}
		slots[k] = &fileSlot{pos: pos, savedAt: e.SavedAt}
	}
	return slots, nil
}

func orMissing(raw json.RawMessage) string {
	if raw == nil {
		return "missing"
	}
	return string(raw)
}

// corrupt builds the error for an unreadable offsets file.
func corrupt(path, problem, fix string) error {
	if fix == "" {
		fix = "repair it, or remove it to start over, which takes a new snapshot"
	}
	return fmt.Errorf("%w: offsets file %s %s: %s", cdc.ErrCorruptOffsets, path, problem, fix)
}

// writeAtomic replaces the file at path with data: it writes a temporary file in the same
// directory, fsyncs it, renames it over path and fsyncs the directory.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("offsets: cannot write the offsets file %s: %w", path, err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("offsets: write %s: %w", tmp.Name(), err)
	}
	if err = tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("offsets: chmod %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("offsets: fsync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("offsets: close %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("offsets: replace the offsets file: %w", err)
	}
	renamed = true
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("offsets: fsync directory %s after replacing %s: %w", dir, path, err)
	}
	return nil
}

// removeStaleTemps removes temporary files left next to path by saves that crashed.
// It is called with the file lock held, so no other save is writing one.
func removeStaleTemps(path string) {
	dir, prefix := filepath.Dir(path), filepath.Base(path)+tempInfix
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

var _ cdc.OffsetStore = (*File)(nil)

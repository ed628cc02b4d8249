package offsets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	fileVersion = 1       // the version of files without blob entries, readable by every release
	blobVersion = 2       // the version of files with at least one blob entry
	tempInfix   = ".tmp-" // temporary files are "<name>.tmp-<random>" in the same directory

	// BlobThreshold is the size from which File keeps a value in a blob file of its own
	// instead of in the offsets file.
	BlobThreshold = 64 << 10

	blobInfix   = ".blob-" // blob files are "<name>.blob-<blobHexLen hex digits>"
	blobHexLen  = 32       // the first 16 bytes of the SHA-256 of the content
	blobRetries = 100      // at most this many reads of the offsets file while blobs change under a Load
)

// File is an OffsetStore that keeps its keys in one JSON file, and values of
// [BlobThreshold] bytes or more in blob files next to it (the format is described in the
// package documentation).
//
// Save reads the file, changes one key and writes the whole file again: to a temporary
// file in the same directory (mode 0600), which is fsynced and renamed over the old file,
// after which the directory is fsynced. A crash leaves the old or the new file, never a
// mix; temporary files left by a crash are ignored, and removed by the next Save.
// Saves are serialised inside the process by a mutex and between processes (and between
// File values on the same path) by an advisory lock (flock) on "<path>.lock", which is
// created next to the file and never removed. On systems without flock (Windows) only
// saves through one File value are serialised, and only one File value may save to a
// path at a time.
//
// A value of BlobThreshold bytes or more (a few MB of schema history, say) is written to
// its own file, "<path>.blob-<first 16 bytes of its SHA-256 in hex>", the same way
// (temporary file, fsync, rename, directory fsync), and the offsets file only names it
// with its size and SHA-256. The blob is written before the offsets file that names it,
// and blobs are removed only after an offsets file that no longer names them has
// replaced the old one on disk, so at every instant the offsets file on disk names only
// blobs that are completely on disk; a crash in between leaves at most an unnamed blob,
// which the next Save removes. Blob names come from their content, so a blob that
// already exists is not written again: a Save of a small key writes a small offsets file
// and leaves the blobs alone, whatever their size.
//
// Load reads the file every time, so it sees saves made by other processes, and does not
// wait for saves in progress. A Load of a key kept in a blob reads the blob and checks
// its size and SHA-256; Load and Save of any key check that every named blob exists with
// its size. A file that cannot be read as an offsets file, or names a blob that is
// missing or does not match, is reported with an error wrapping cdc.ErrCorruptOffsets,
// by Load and by Save, which then leaves it untouched.
//
// The File remembers the last content it read or wrote, so that a Save that finds the
// file unchanged only encodes the key it changes.
type File struct {
	path    string
	mu      sync.Mutex // serialises Saves
	swept   bool       // stale temporary files were removed; guarded by mu
	last    atomic.Pointer[fileSnap]
	noBlobs bool // keep every value inline, as before blobs existed (benchmarks only)
}

// fileSnap is the parsed content of the file. It is never modified once built.
type fileSnap struct {
	data    []byte               // the file's bytes
	entries map[string]*fileSlot // by key
}

// fileSlot is one key of a fileSnap. It is never modified once built.
type fileSlot struct {
	pos     cdc.Position // the position; nil when it is kept in a blob
	blob    *blobRef     // the blob holding the position, or nil when it is inline
	savedAt string
	enc     []byte // the entry's JSON as it appears in the file; nil when not encoded yet
}

// blobRef names the blob file holding a position.
type blobRef struct {
	name string // file name, in the directory of the offsets file
	size int64
	sum  [sha256.Size]byte
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
	var prev []byte // the offsets file of the previous try
	for try := 1; ; try++ {
		snap, err := f.read()
		if err != nil || snap == nil {
			return nil, err
		}
		slot, ok := snap.entries[key]
		if !ok {
			return nil, nil
		}
		if slot.blob == nil {
			return clone(slot.pos), nil
		}
		pos, err := readBlob(f.path, key, slot.blob)
		// A Save in another process may have replaced the offsets file and removed the
		// blob since the file was read: the blob is missing or wrong only if it still is
		// when read again for the same offsets file.
		if err == nil || !isBlobError(err) || bytes.Equal(snap.data, prev) || try == blobRetries {
			return pos, err
		}
		prev = snap.data
	}
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
	old, err := f.read() // checks that every blob it names is on disk
	if err != nil {
		return err
	}
	entries := make(map[string]*fileSlot)
	if old != nil {
		entries = make(map[string]*fileSlot, len(old.entries)+1)
		for k, slot := range old.entries {
			entries[k] = slot.encoded()
		}
	}
	slot := &fileSlot{savedAt: time.Now().UTC().Format(time.RFC3339)}
	if len(pos) >= BlobThreshold && !f.noBlobs {
		// The blob goes to disk before the offsets file that names it.
		if slot.blob, err = writeBlob(f.path, pos); err != nil {
			return err
		}
	} else {
		slot.pos = clone(pos)
	}
	entries[key] = slot.encoded()
	data := encodeFile(entries)
	if err := writeAtomic(f.path, data); err != nil {
		return err
	}
	f.last.Store(&fileSnap{data: data, entries: entries})
	// Only now that the new file is on disk may the blobs it no longer names go, with
	// those of Saves that crashed before writing their offsets file.
	removeUnnamedBlobs(f.path, entries)
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

// read reads and checks the whole file, and checks that the blobs it names are on disk
// with their sizes (their content is checked when their key is loaded). It returns nil
// when the file does not exist.
func (f *File) read() (*fileSnap, error) {
	var prev []byte // the offsets file of the previous try
	for try := 1; ; try++ {
		snap, data, err := f.readOnce()
		// A blob named by the file that was read may have been removed by a Save that
		// replaced the file since: the blob is missing or wrong only if it still is when
		// checked again for the same offsets file. (The same bytes read again may be a
		// newer file equal to the old one, whose Save wrote the blob again before it.)
		if err == nil || !isBlobError(err) || bytes.Equal(data, prev) || try == blobRetries {
			return snap, err
		}
		prev = data
	}
}

// readOnce is one try of read. It also returns the bytes of the offsets file.
func (f *File) readOnce() (*fileSnap, []byte, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("offsets: cannot read the offsets file: %w", err)
	}
	snap := f.last.Load()
	if snap == nil || !bytes.Equal(snap.data, data) {
		entries, err := parseFile(f.path, data)
		if err != nil {
			return nil, data, err
		}
		snap = &fileSnap{data: data, entries: entries}
	}
	// Blob names come from their content, so the blobs of a file that did not change
	// have not changed either, unless something other than a Save touched them: only
	// their presence and size are checked, which is cheap.
	for k, slot := range snap.entries {
		if slot.blob != nil {
			if err := statBlob(f.path, k, slot.blob); err != nil {
				return nil, data, err
			}
		}
	}
	f.last.Store(snap)
	return snap, data, nil
}

// fileEntry is one key. Exactly one of Position, PositionBase64 and Blob is set; Size and
// SHA256 go with Blob.
type fileEntry struct {
	Position       json.RawMessage `json:"position,omitempty"`
	PositionBase64 *string         `json:"position_base64,omitempty"`
	Blob           *string         `json:"blob,omitempty"`
	Size           *int64          `json:"size,omitempty"`
	SHA256         *string         `json:"sha256,omitempty"`
	SavedAt        string          `json:"saved_at,omitempty"`
}

// encoded returns the slot with its JSON, indented for its place in the file.
func (s *fileSlot) encoded() *fileSlot {
	if s.enc != nil {
		return s
	}
	e := fileEntry{SavedAt: s.savedAt}
	switch {
	case s.blob != nil:
		sum := hex.EncodeToString(s.blob.sum[:])
		e.Blob, e.Size, e.SHA256 = &s.blob.name, &s.blob.size, &sum
	case isCompactJSON(s.pos):
		e.Position = json.RawMessage(s.pos)
	default:
		b64 := base64.StdEncoding.EncodeToString(s.pos)
		e.PositionBase64 = &b64
	}
	return &fileSlot{pos: s.pos, blob: s.blob, savedAt: s.savedAt, enc: encodeJSON(e, "    ")}
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
	version := fileVersion
	for _, slot := range entries {
		if slot.blob != nil {
			version = blobVersion // readers of version 1 cannot read blob entries
			break
		}
	}
	buf := make([]byte, 0, size)
	buf = fmt.Appendf(buf, "{\n  \"format\": %q,\n  \"version\": %d,\n  \"offsets\": {", fileFormat, version)
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

// decode returns the entry's slot, or a description of what is wrong with it and how to
// fix it (fix is empty for the usual advice). path is the offsets file's, version its
// version.
func (e fileEntry) decode(path string, version int) (slot *fileSlot, problem, fix string) {
	kinds := 0
	for _, set := range []bool{e.Position != nil, e.PositionBase64 != nil, e.Blob != nil} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds > 1 && e.Blob == nil:
		return nil, `has both "position" and "position_base64"`, ""
	case kinds > 1:
		return nil, `has a "blob" and a "position" or "position_base64"`, ""
	case e.Position != nil:
		if string(e.Position) == "null" {
			return nil, `has a null "position"`, ""
		}
		var buf bytes.Buffer
		buf.Grow(len(e.Position))
		if err := json.Compact(&buf, e.Position); err != nil {
			return nil, fmt.Sprintf(`has an unreadable "position": %v`, err), ""
		}
		return &fileSlot{pos: clone(buf.Bytes()), savedAt: e.SavedAt}, "", ""
	case e.PositionBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*e.PositionBase64)
		if err != nil {
			return nil, fmt.Sprintf(`has an unreadable "position_base64": %v`, err), ""
		}
		return &fileSlot{pos: clone(b), savedAt: e.SavedAt}, "", ""
	case e.Blob != nil:
		ref, problem := e.decodeBlob(path, version)
		if problem != "" {
			return nil, problem, ""
		}
		return &fileSlot{blob: ref, savedAt: e.SavedAt}, "", ""
	default:
		return nil, `has neither "position", "position_base64" nor "blob"`, ""
	}
}

// decodeBlob returns the blob of an entry with a "blob", or what is wrong with it.
func (e fileEntry) decodeBlob(path string, version int) (*blobRef, string) {
	if version < blobVersion {
		return nil, fmt.Sprintf(`has a "blob", which files of version %d cannot have (blobs need version %d)`, version, blobVersion)
	}
	if e.Size == nil || *e.Size < 0 {
		return nil, `has a "blob" without a valid "size"`
	}
	ref := &blobRef{name: *e.Blob, size: *e.Size}
	if e.SHA256 == nil || len(*e.SHA256) != 2*sha256.Size {
		return nil, `has a "blob" without a valid "sha256" (64 hex digits)`
	}
	if _, err := hex.Decode(ref.sum[:], []byte(*e.SHA256)); err != nil {
		return nil, fmt.Sprintf(`has an unreadable "sha256": %v`, err)
	}
	if want := blobName(path, ref.sum); ref.name != want {
		return nil, fmt.Sprintf(`names blob file %q, but the blob of a value with that "sha256" is %q in the directory of the offsets file (if the offsets file was renamed, rename its blob files the same way)`, ref.name, want)
	}
	return ref, ""
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
	if version > blobVersion {
		return nil, corrupt(path, fmt.Sprintf("has version %d, written by a newer version of tributary (this one reads versions %d and %d)", version, fileVersion, blobVersion),
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
		slot, problem, fix := e.decode(path, version)
		if problem != "" {
			return nil, corrupt(path, fmt.Sprintf("key %q %s", k, problem), fix)
		}
		slots[k] = slot
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

// blobName returns the name of the blob file of content with SHA-256 sum, next to the
// offsets file at path.
func blobName(path string, sum [sha256.Size]byte) string {
	return filepath.Base(path) + blobInfix + hex.EncodeToString(sum[:blobHexLen/2])
}

// blobError marks the errors about a blob file that is missing or does not match what
// the offsets file says of it: they may come from reading a blob of an offsets file that
// a Save has since replaced, so the reader reads the offsets file again.
type blobError struct{ error }

func (e blobError) Unwrap() error { return e.error }

func isBlobError(err error) bool {
	var be blobError
	return errors.As(err, &be)
}

// badBlob builds the error for a blob file that is missing or does not match.
func badBlob(path, key string, ref *blobRef, problem string) error {
	blob := filepath.Join(filepath.Dir(path), ref.name)
	return blobError{corrupt(path, fmt.Sprintf("keeps key %q in blob file %s, which %s", key, blob, problem),
		"restore the blob file from a backup, or remove the offsets file (or that key's entry) to start over, which takes a new snapshot")}
}

// statBlob checks that the blob of key exists with the right size.
func statBlob(path, key string, ref *blobRef) error {
	st, err := os.Stat(filepath.Join(filepath.Dir(path), ref.name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return badBlob(path, key, ref, "is missing")
	case err != nil:
		return fmt.Errorf("offsets: cannot read the blob file of key %q: %w", key, err)
	case !st.Mode().IsRegular():
		return badBlob(path, key, ref, "is not a regular file")
	case st.Size() != ref.size:
		return badBlob(path, key, ref, fmt.Sprintf("has %d bytes instead of %d", st.Size(), ref.size))
	}
	return nil
}

// readBlob returns the content of the blob of key, after checking its size and SHA-256.
func readBlob(path, key string, ref *blobRef) (cdc.Position, error) {
	file, err := os.Open(filepath.Join(filepath.Dir(path), ref.name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, badBlob(path, key, ref, "is missing")
	}
	if err != nil {
		return nil, fmt.Errorf("offsets: cannot read the blob file of key %q: %w", key, err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("offsets: cannot read the blob file of key %q: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		return nil, badBlob(path, key, ref, "is not a regular file")
	}
	if st.Size() != ref.size {
		return nil, badBlob(path, key, ref, fmt.Sprintf("has %d bytes instead of %d", st.Size(), ref.size))
	}
	pos := make(cdc.Position, ref.size)
	if _, err := io.ReadFull(file, pos); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, badBlob(path, key, ref, "is shorter than its size")
		}
		return nil, fmt.Errorf("offsets: cannot read the blob file of key %q: %w", key, err)
	}
	if sha256.Sum256(pos) != ref.sum {
		return nil, badBlob(path, key, ref, `does not have the "sha256" of the offsets file: its content changed`)
	}
	return pos, nil
}

// writeBlob writes pos to its blob file next to the offsets file at path, unless the blob
// file already holds it, and returns the reference to it.
func writeBlob(path string, pos cdc.Position) (*blobRef, error) {
	ref := &blobRef{size: int64(len(pos)), sum: sha256.Sum256(pos)}
	ref.name = blobName(path, ref.sum)
	file := filepath.Join(filepath.Dir(path), ref.name)
	if sameContent(file, pos) {
		return ref, nil
	}
	if err := writeAtomic(file, pos); err != nil {
		return nil, err
	}
	return ref, nil
}

// sameContent reports whether the file at path is a regular file of mode 0600 holding
// exactly data. Same name meaning same content, the size is checked first, and the
// content is read only when the sizes agree.
func sameContent(path string, data []byte) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() != int64(len(data)) || st.Mode().Perm()&0o077 != 0 {
		return false
	}
	got, err := os.ReadFile(path)
	return err == nil && bytes.Equal(got, data)
}

// removeUnnamedBlobs removes the blob files of the offsets file at path that entries do
// not name, with their temporary files: blobs that an earlier Save replaced, and blobs
// written by a Save that crashed before writing the offsets file. It is called with the
// file lock held, once the offsets file holding entries is on disk. Errors are ignored:
// a blob left behind is removed by a later Save.
func removeUnnamedBlobs(path string, entries map[string]*fileSlot) {
	dir, prefix := filepath.Dir(path), filepath.Base(path)+blobInfix
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || len(rest) < blobHexLen || !isLowerHex(rest[:blobHexLen]) ||
			(len(rest) > blobHexLen && !strings.HasPrefix(rest[blobHexLen:], tempInfix)) {
			continue // not a blob file nor a blob's temporary file
		}
		if len(rest) == blobHexLen && blobNamed(entries, name) {
			continue
		}
		if e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

func blobNamed(entries map[string]*fileSlot, name string) bool {
	for _, slot := range entries {
		if slot.blob != nil && slot.blob.name == name {
			return true
		}
	}
	return false
}

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
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

package cdctest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-cdc/cdc"
)

// offsetOpTimeout bounds every store call the suite makes: a store that hangs fails the test
// instead of blocking it until the go test timeout.
const offsetOpTimeout = 30 * time.Second

// TestOffsetStore checks an OffsetStore against the cdc.OffsetStore contract.
// Every subtest calls newStore for a store of its own, which must start empty
// (use a fresh directory, table or key prefix).
//
// The contract checked:
//   - Load of a key never saved returns (nil, nil).
//   - Load returns exactly the bytes of the latest Save of that key: any bytes (not only
//     JSON, and JSON byte for byte), up to at least 1 MB.
//   - Keys are independent, including keys with '/', ':', spaces, upper case and
//     non-ASCII letters, and keys that are prefixes of each other.
//   - Positions are copied: changing the slice passed to Save, or returned by Load,
//     afterwards does not change what is stored.
//   - The store is safe for concurrent use: concurrent Saves of different keys all land,
//     and a Load concurrent with Saves of the same key returns one of the saved values,
//     never a mix.
//   - An empty position can be saved; Load then returns a position of length 0 (empty or
//     nil, without error).
//   - Save and Load with a cancelled context return (with or without an error) instead of
//     hanging, and a Save that returned nil did save.
func TestOffsetStore(t *testing.T, newStore func(t *testing.T) cdc.OffsetStore) {
	t.Helper()
	run := func(name string, f func(t *testing.T, s cdc.OffsetStore)) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			f(t, s)
		})
	}

	run("MissingKey", func(t *testing.T, s cdc.OffsetStore) {
		offsetMustLoad(t, s, "orders-sync", nil)
		offsetMustSave(t, s, "other", cdc.Position(`{"v":1}`))
		offsetMustLoad(t, s, "orders-sync", nil)
	})

	run("RoundTrip", func(t *testing.T, s cdc.OffsetStore) {
		pos := cdc.Position(`{"v":1,"lsn":"0/16B3748"}`)
		offsetMustSave(t, s, "orders-sync", pos)
		offsetMustLoad(t, s, "orders-sync", pos)
		offsetMustLoad(t, s, "orders-sync", pos) // Load does not consume
	})

	run("Overwrite", func(t *testing.T, s cdc.OffsetStore) {
		var last cdc.Position
		for i := range 5 {
			// Lengths go up and down, so that leftovers of a longer value would show.
			last = cdc.Position(fmt.Sprintf(`{"v":1,"lsn":"0/%X","pad":%q}`, i, strings.Repeat("x", (i%3)*40)))
			offsetMustSave(t, s, "orders-sync", last)
		}
		offsetMustLoad(t, s, "orders-sync", last)
		offsetMustSave(t, s, "orders-sync", cdc.Position(`{}`))
		offsetMustLoad(t, s, "orders-sync", cdc.Position(`{}`))
	})

	run("KeysIndependent", func(t *testing.T, s cdc.OffsetStore) {
		keys := []string{
			"orders-sync",
			"orders-sync/schema-history",
			"orders",
			"orders-sync/",
			"Orders-Sync",
			"a:b:c",
			"tributary:offsets:x",
			"with space",
			"trailing space ",
			" leading space",
			"tab\there",
			"ключ/日本語/🚀",
			"café",
			"cafe\u0301", // the same text as "café" in another normal form
			"quote\"back\\slash'",
			"percent%s{}[]*?",
			"dot.dot..",
			strings.Repeat("k", 200),
		}
		for i, k := range keys {
			offsetMustSave(t, s, k, cdc.Position(fmt.Sprintf(`{"v":1,"key":%d}`, i)))
		}
		for i, k := range keys {
			offsetMustLoad(t, s, k, cdc.Position(fmt.Sprintf(`{"v":1,"key":%d}`, i)))
		}
		for _, k := range []string{"orders-syn", "orders-sync/schema", "orders-sync ", "ORDERS-SYNC", "a:b", "with  space"} {
			offsetMustLoad(t, s, k, nil)
		}
		// Overwriting one key leaves the others alone.
		offsetMustSave(t, s, keys[0], cdc.Position(`{"v":2}`))
		offsetMustLoad(t, s, keys[0], cdc.Position(`{"v":2}`))
		for i, k := range keys[1:] {
			offsetMustLoad(t, s, k, cdc.Position(fmt.Sprintf(`{"v":1,"key":%d}`, i+1)))
		}
	})

	run("BinaryBytes", func(t *testing.T, s cdc.OffsetStore) {
		all := make([]byte, 512)
		for i := range all {
			all[i] = byte(i)
		}
		values := map[string][]byte{
			"zero":            {0},
			"zeros":           {0, 0, 0, 0},
			"all-bytes":       all,
			"high-bytes":      {0xff, 0xfe, 0x80, 0x00, 0x7f},
			"invalid-utf8":    []byte("\xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc"),
			"json-bad-utf8":   []byte("{\"a\":\"\xff\"}"),
			"text":            []byte("not json at all"),
			"truncated-json":  []byte(`{"v":1,"lsn":"0/16`),
			"null":            []byte("null"),
			"spaces":          []byte("   "),
			"newlines":        []byte("\n\r\n"),
			"json-padded":     []byte(" {\"v\":1} \n"),
			"base64-like":     []byte("AAECAwQ="),
			"crlf-json":       []byte("{\r\n\"v\": 1\r\n}"),
			"nul-inside-json": []byte("{\"v\":1}\x00"),
			"bom":             []byte("\xef\xbb\xbf{\"v\":1}"),
		}
		for k, v := range values {
			offsetMustSave(t, s, "bin/"+k, v)
		}
		for k, v := range values {
			offsetMustLoad(t, s, "bin/"+k, v)
		}
	})

	run("JSONByteIdentical", func(t *testing.T, s cdc.OffsetStore) {
		values := []string{
			`{"v":1,"lsn":"0/16B3748"}`,
			`{"v":1, "lsn": "0/16B3748"}`,
			"{\n  \"v\": 1,\n  \"lsn\": \"0/16B3748\"\n}",
			`{"z":1,"a":2,"m":3}`,
			`{"dup":1,"dup":2}`,
			`{"n":1.0e10,"m":-0.0,"big":123456789012345678901234567890,"f":1.50}`,
			`{"s":"\u00e9\u2028\u2029\ud83d\ude80","t":"é  🚀"}`,
			`{"html":"<a href=\"x\">&amp;</a>"}`,
			`{"esc":"\/\b\f\n\r\t\"\\"}`,
			`{"a":{"b":[{},[],null,true,false,"",0]}}`,
			`[1,2,3]`,
			`"just a string"`,
			`12345`,
			`true`,
			`{}`,
		}
		for i, v := range values {
			offsetMustSave(t, s, fmt.Sprintf("json/%d", i), cdc.Position(v))
		}
		for i, v := range values {
			offsetMustLoad(t, s, fmt.Sprintf("json/%d", i), cdc.Position(v))
		}
	})

	run("LargeValue", func(t *testing.T, s cdc.OffsetStore) {
		rnd := rand.New(rand.NewPCG(1, 2))
		bin := make([]byte, 1<<20)
		for i := range bin {
			bin[i] = byte(rnd.UintN(256))
		}
		var js strings.Builder
		js.WriteString(`{"v":1,"tables":[`)
		for i := 0; js.Len() < 1<<20; i++ {
			if i > 0 {
				js.WriteByte(',')
			}
			fmt.Fprintf(&js, `{"table":"public.t%d","ddl":"CREATE TABLE t%d (id bigint PRIMARY KEY, note text)"}`, i, i)
		}
		js.WriteString(`]}`)
		offsetMustSave(t, s, "orders-sync/schema-history", bin)
		offsetMustSave(t, s, "orders-sync/schema-history-json", cdc.Position(js.String()))
		offsetMustSave(t, s, "orders-sync", cdc.Position(`{"v":1}`))
		offsetMustLoad(t, s, "orders-sync/schema-history", bin)
		offsetMustLoad(t, s, "orders-sync/schema-history-json", cdc.Position(js.String()))
		offsetMustLoad(t, s, "orders-sync", cdc.Position(`{"v":1}`))
		// Replacing a large value with a small one leaves nothing of the large one.
		offsetMustSave(t, s, "orders-sync/schema-history", cdc.Position("x"))
		offsetMustLoad(t, s, "orders-sync/schema-history", cdc.Position("x"))
	})

	run("CopiesPositions", func(t *testing.T, s cdc.OffsetStore) {
		in := cdc.Position(`{"v":1,"lsn":"0/1"}`)
		offsetMustSave(t, s, "k", in)
		for i := range in {
			in[i] = 'X'
		}
		offsetMustLoad(t, s, "k", cdc.Position(`{"v":1,"lsn":"0/1"}`))

		out := offsetMustLoad(t, s, "k", cdc.Position(`{"v":1,"lsn":"0/1"}`))
		for i := range out {
			out[i] = 'Y'
		}
		_ = append(out, bytes.Repeat([]byte("Z"), 64)...) // nor writing into spare capacity
		offsetMustLoad(t, s, "k", cdc.Position(`{"v":1,"lsn":"0/1"}`))

		// Two Loads do not share memory.
		a := offsetMustLoad(t, s, "k", cdc.Position(`{"v":1,"lsn":"0/1"}`))
		b := offsetMustLoad(t, s, "k", cdc.Position(`{"v":1,"lsn":"0/1"}`))
		a[0] = '!'
		if b[0] == '!' {
			t.Error("two Loads returned the same slice: Load must return a copy")
		}
	})

	run("ConcurrentKeys", func(t *testing.T, s cdc.OffsetStore) {
		const goroutines, saves = 8, 10
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("engine-%d", g)
				for i := range saves {
					ctx, cancel := context.WithTimeout(context.Background(), offsetOpTimeout)
					err := s.Save(ctx, key, offsetPos(g, i))
					cancel()
					if err != nil {
						t.Errorf("Save(%q) #%d: %v", key, i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		for g := range goroutines {
			offsetMustLoad(t, s, fmt.Sprintf("engine-%d", g), offsetPos(g, saves-1))
		}
	})

	run("ConcurrentSameKey", func(t *testing.T, s cdc.OffsetStore) {
		const writers, saves, readers = 4, 15, 4
		// Every value the writers save, known before they start. Values differ in length
		// and content, so that a Load mixing two of them is not among them.
		valid := make(map[string]bool)
		initial := cdc.Position(`{"v":1,"writer":-1}`)
		valid[string(initial)] = true
		for w := range writers {
			for i := range saves {
				valid[string(offsetSharedValue(w, i))] = true
			}
		}
		offsetMustSave(t, s, "shared", initial)

		var wg sync.WaitGroup
		stop := make(chan struct{})
		var readersWG sync.WaitGroup
		for r := range readers {
			readersWG.Add(1)
			go func() {
				defer readersWG.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						if n > 0 {
							return
						}
					default:
					}
					ctx, cancel := context.WithTimeout(context.Background(), offsetOpTimeout)
					got, err := s.Load(ctx, "shared")
					cancel()
					if err != nil {
						t.Errorf("reader %d: Load: %v", r, err)
						return
					}
					if !valid[string(got)] {
						t.Errorf("reader %d: Load returned a value that was never saved (torn write?): %s", r, offsetAbbrev(got))
						return
					}
				}
			}()
		}
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range saves {
					ctx, cancel := context.WithTimeout(context.Background(), offsetOpTimeout)
					err := s.Save(ctx, "shared", offsetSharedValue(w, i))
					cancel()
					if err != nil {
						t.Errorf("writer %d: Save: %v", w, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		readersWG.Wait()
		if t.Failed() {
			return
		}
		got := offsetMustLoad(t, s, "shared", nil, offsetAnyValue)
		if !valid[string(got)] || bytes.Equal(got, initial) {
			t.Errorf("after all Saves, Load returned %s, not a value from the last Saves", offsetAbbrev(got))
		}
		last := false
		for w := range writers {
			last = last || bytes.Equal(got, offsetSharedValue(w, saves-1))
		}
		if !last {
			t.Errorf("after all Saves, Load returned %s, which is not the last value of any writer", offsetAbbrev(got))
		}
	})

	run("EmptyPosition", func(t *testing.T, s cdc.OffsetStore) {
		offsetMustSave(t, s, "empty", cdc.Position{})
		if got := offsetMustLoad(t, s, "empty", nil, offsetAnyValue); len(got) != 0 {
			t.Errorf("Load after saving an empty position = %s, want an empty position", offsetAbbrev(got))
		}
		offsetMustSave(t, s, "k", cdc.Position(`{"v":1}`))
		offsetMustSave(t, s, "k", cdc.Position{})
		if got := offsetMustLoad(t, s, "k", nil, offsetAnyValue); len(got) != 0 {
			t.Errorf("Load after replacing a position with an empty one = %s, want an empty position", offsetAbbrev(got))
		}
		offsetMustSave(t, s, "k", cdc.Position(`{"v":2}`))
		offsetMustLoad(t, s, "k", cdc.Position(`{"v":2}`))
	})

	run("CancelledContext", func(t *testing.T, s cdc.OffsetStore) {
		offsetMustSave(t, s, "k", cdc.Position(`{"v":1}`))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		saveErr := offsetBounded(t, "Save with a cancelled context", func() error {
			return s.Save(ctx, "k", cdc.Position(`{"v":2}`))
		})
		got := offsetMustLoad(t, s, "k", nil, offsetAnyValue)
		switch {
		case saveErr == nil && !bytes.Equal(got, cdc.Position(`{"v":2}`)):
			t.Errorf("Save with a cancelled context returned nil but Load returns %s: a Save that returns nil must have saved", offsetAbbrev(got))
		case saveErr != nil && !bytes.Equal(got, cdc.Position(`{"v":1}`)) && !bytes.Equal(got, cdc.Position(`{"v":2}`)):
			t.Errorf("after a failed Save, Load returns %s, neither the old nor the new value", offsetAbbrev(got))
		}

		var loaded cdc.Position
		loadErr := offsetBounded(t, "Load with a cancelled context", func() error {
			var err error
			loaded, err = s.Load(ctx, "k")
			return err
		})
		if loadErr == nil && !bytes.Equal(loaded, got) {
			t.Errorf("Load with a cancelled context = %s without error, want %s or an error", offsetAbbrev(loaded), offsetAbbrev(got))
		}

		// The store still works afterwards.
		offsetMustSave(t, s, "k", cdc.Position(`{"v":3}`))
		offsetMustLoad(t, s, "k", cdc.Position(`{"v":3}`))
	})
}

// offsetAnyValue, passed to offsetMustLoad, accepts whatever Load returns without error.
const offsetAnyValue = true

// offsetMustSave saves pos under key, failing the test on an error.
func offsetMustSave(t *testing.T, s cdc.OffsetStore, key string, pos cdc.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), offsetOpTimeout)
	defer cancel()
	if err := s.Save(ctx, key, pos); err != nil {
		t.Fatalf("Save(%q, %s): %v", key, offsetAbbrev(pos), err)
	}
}

// offsetMustLoad loads key and checks that it returns want (nil meaning "no position", which
// is distinct from an empty one) unless anything is set. It fails the test on an error.
func offsetMustLoad(t *testing.T, s cdc.OffsetStore, key string, want cdc.Position, anything ...bool) cdc.Position {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), offsetOpTimeout)
	defer cancel()
	got, err := s.Load(ctx, key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	if len(anything) > 0 && anything[0] {
		return got
	}
	switch {
	case want == nil && got != nil:
		t.Fatalf("Load(%q) = %s (len %d), want nil: the key was never saved", key, offsetAbbrev(got), len(got))
	case want != nil && got == nil:
		t.Fatalf("Load(%q) = nil, want %s", key, offsetAbbrev(want))
	case !bytes.Equal(got, want):
		t.Fatalf("Load(%q) = %s (len %d), want %s (len %d)", key, offsetAbbrev(got), len(got), offsetAbbrev(want), len(want))
	}
	return got
}

// offsetBounded runs f and returns its error, failing the test if f does not return in time.
func offsetBounded(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(offsetOpTimeout):
		t.Fatalf("%s did not return within %v", what, offsetOpTimeout)
		return errors.New("unreachable")
	}
}

// offsetPos is the i-th position saved by goroutine g.
func offsetPos(g, i int) cdc.Position {
	return cdc.Position(fmt.Sprintf(`{"v":1,"g":%d,"lsn":"0/%X"}`, g, 0x1000*g+i))
}

// offsetSharedValue is the i-th value writer w saves under the shared key: a few KB, with a
// length and filler that depend on the writer and the save.
func offsetSharedValue(w, i int) cdc.Position {
	fill := strings.Repeat(string(rune('a'+w)), 2048+w*997+i*31)
	return cdc.Position(fmt.Sprintf(`{"v":1,"writer":%d,"i":%d,"fill":"%s","end":%d}`, w, i, fill, w*1000+i))
}

// offsetAbbrev formats a position for a message.
func offsetAbbrev(p cdc.Position) string {
	if p == nil {
		return "nil"
	}
	const limit = 80
	if len(p) > limit {
		return fmt.Sprintf("%q...", []byte(p[:limit]))
	}
	return fmt.Sprintf("%q", []byte(p))
}

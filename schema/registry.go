package schema

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Registry stores schemas under subjects, Confluent Schema Registry style: each subject
// has numbered versions, each distinct schema a global id, and a compatibility level
// that every new version must satisfy. Schemas are Avro JSON text.
//
// MemoryRegistry is the embedded implementation, ConfluentRegistry talks to a
// Confluent-compatible REST server.
type Registry interface {
	// Register adds schema as the next version of subject, or returns the existing
	// id and version when the subject already holds the same schema (compared in
	// normalized form, so whitespace and attribute order do not matter). A schema that
	// breaks the subject's level fails with an *IncompatibleError (errors.Is
	// ErrIncompatible) that carries the report.
	Register(ctx context.Context, subject, schema string) (id, version int, err error)
	// ByID returns the schema with a global id, or an error wrapping ErrNotFound.
	ByID(ctx context.Context, id int) (string, error)
	// Latest returns the subject's latest version, or an error wrapping ErrNotFound.
	Latest(ctx context.Context, subject string) (Version, error)
	// CheckCompatibility checks schema against the subject's versions under its level,
	// without registering it. A subject without versions accepts anything.
	CheckCompatibility(ctx context.Context, subject, schema string) (Report, error)
	// SetLevel sets a subject's compatibility level; subject "" sets the global level.
	SetLevel(ctx context.Context, subject string, level Level) error
	// Level returns the level that applies to subject: its own, or the global level;
	// subject "" returns the global level.
	Level(ctx context.Context, subject string) (Level, error)
}

// Version is one registered version of a subject.
type Version struct {
	Subject string
	Version int
	ID      int
	Schema  string
}

// Registry errors. Test for them with errors.Is.
var (
	ErrNotFound     = errors.New("schema: not found")
	ErrIncompatible = errors.New("schema: incompatible with the subject's registered versions")
)

// IncompatibleError is returned when a schema breaks a subject's compatibility level.
type IncompatibleError struct {
	Subject string
	Report  Report
}

func (e *IncompatibleError) Error() string {
	return fmt.Sprintf("schema: subject %q: new schema is %s", e.Subject, e.Report.String())
}

// Unwrap makes errors.Is(err, ErrIncompatible) true.
func (e *IncompatibleError) Unwrap() error { return ErrIncompatible }

// MemoryRegistry is an in-process Registry: the embedded default. It enforces the
// compatibility level on Register like Confluent Schema Registry does. It is safe for
// concurrent use; its content lives as long as the value.
type MemoryRegistry struct {
	mu       sync.Mutex
	global   Level
	levels   map[string]Level
	subjects map[string][]memVersion
	schemas  []memSchema // by id-1
	ids      map[string]int
}

type memVersion struct {
	id   int
	text string
	node *Node
}

type memSchema struct {
	text string
	node *Node
}

// NewMemoryRegistry returns an empty registry whose global level is defaultLevel
// (Backward when empty, Confluent's default).
func NewMemoryRegistry(defaultLevel Level) *MemoryRegistry {
	if defaultLevel == "" {
		defaultLevel = Backward
	}
	return &MemoryRegistry{global: defaultLevel, levels: map[string]Level{},
		subjects: map[string][]memVersion{}, ids: map[string]int{}}
}

func (m *MemoryRegistry) levelLocked(subject string) Level {
	if l, ok := m.levels[subject]; ok && subject != "" {
		return l
	}
	return m.global
}

func (m *MemoryRegistry) checkLocked(subject string, n *Node) (Report, error) {
	vs := m.subjects[subject]
	history := make([]*Node, len(vs))
	for i, v := range vs {
		history[i] = v.node
	}
	return CheckNodes(history, n, m.levelLocked(subject))
}

// Register implements Registry.
func (m *MemoryRegistry) Register(_ context.Context, subject, schema string) (int, int, error) {
	if subject == "" {
		return 0, 0, errors.New("schema: Register: empty subject")
	}
	n, err := Parse(schema)
	if err != nil {
		return 0, 0, err
	}
	text := n.String()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, v := range m.subjects[subject] {
		if v.text == text {
			return v.id, i + 1, nil
		}
	}
	rep, err := m.checkLocked(subject, n)
	if err != nil {
		return 0, 0, err
	}
	if !rep.Compatible {
		return 0, 0, &IncompatibleError{Subject: subject, Report: rep}
	}
	id, ok := m.ids[text]
	if !ok {
		m.schemas = append(m.schemas, memSchema{text: text, node: n})
		id = len(m.schemas)
		m.ids[text] = id
	}
	m.subjects[subject] = append(m.subjects[subject], memVersion{id: id, text: text, node: n})
	return id, len(m.subjects[subject]), nil
}

// ByID implements Registry.
func (m *MemoryRegistry) ByID(_ context.Context, id int) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id < 1 || id > len(m.schemas) {
		return "", fmt.Errorf("%w: schema id %d", ErrNotFound, id)
	}
	return m.schemas[id-1].text, nil
}

// Latest implements Registry.
func (m *MemoryRegistry) Latest(_ context.Context, subject string) (Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := m.subjects[subject]
	if len(vs) == 0 {
		return Version{}, fmt.Errorf("%w: subject %q", ErrNotFound, subject)
	}
	v := vs[len(vs)-1]
	return Version{Subject: subject, Version: len(vs), ID: v.id, Schema: v.text}, nil
}

// Versions returns every version of a subject, oldest first (nil for an unknown subject).
func (m *MemoryRegistry) Versions(subject string) []Version {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Version
	for i, v := range m.subjects[subject] {
		out = append(out, Version{Subject: subject, Version: i + 1, ID: v.id, Schema: v.text})
	}
	return out
}

// Subjects returns the number of subjects with at least one version.
func (m *MemoryRegistry) Subjects() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.subjects)
}

// CheckCompatibility implements Registry.
func (m *MemoryRegistry) CheckCompatibility(_ context.Context, subject, schema string) (Report, error) {
	n, err := Parse(schema)
	if err != nil {
		return Report{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.checkLocked(subject, n)
}

// SetLevel implements Registry.
func (m *MemoryRegistry) SetLevel(_ context.Context, subject string, level Level) error {
	l, err := ParseLevel(string(level))
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if subject == "" {
		m.global = l
	} else {
		m.levels[subject] = l
	}
	return nil
}

// Level implements Registry.
func (m *MemoryRegistry) Level(_ context.Context, subject string) (Level, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.levelLocked(subject), nil
}

// Lookup finds a schema already registered under subject, Confluent's
// "POST /subjects/{subject}": ErrNotFound when the subject does not hold it.
func (m *MemoryRegistry) Lookup(subject, schema string) (Version, error) {
	n, err := Parse(schema)
	if err != nil {
		return Version{}, err
	}
	text := n.String()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, v := range m.subjects[subject] {
		if v.text == text {
			return Version{Subject: subject, Version: i + 1, ID: v.id, Schema: v.text}, nil
		}
	}
	return Version{}, fmt.Errorf("%w: subject %q does not hold the schema", ErrNotFound, subject)
}

var _ Registry = (*MemoryRegistry)(nil)

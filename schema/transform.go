package schema

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tributary-cdc/cdc"
)

// Header keys under which the Register transform puts the registered schema ids
// (int values) on each event.
const (
	HeaderKeySchemaID   = "key_schema_id"
	HeaderValueSchemaID = "value_schema_id"
)

// Policy says what the Register transform does when a table's new schema breaks its
// subject's compatibility level.
type Policy int

const (
	// PolicyFail returns an error carrying the report: the engine stops, and the event
	// is not handled (a restart meets it again, after the operator acted).
	PolicyFail Policy = iota
	// PolicyForce registers the schema anyway: it sets the subject's level to NONE,
	// registers, and sets the level back to the level that applied before (which
	// becomes the subject's own level if it came from the global one). It logs the
	// report at Warn. Consumers of the subject must cope with the break.
	PolicyForce
	// PolicySkip drops every event of that table version (they count as handled),
	// after logging the report at Warn once per table version. A later schema version
	// that is compatible again is registered and delivered normally.
	PolicySkip
)

func (p Policy) String() string {
	switch p {
	case PolicyFail:
		return "fail"
	case PolicyForce:
		return "force"
	case PolicySkip:
		return "skip"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// RegisterOption configures the Register transform.
type RegisterOption func(*registerConfig)

type registerConfig struct {
	policy   Policy
	logger   *slog.Logger
	derive   []Option
	prefix   bool
	subjects func(ev *cdc.Event) (key, value string)
	rows     bool
}

// WithPolicy sets the incompatible-change policy (default PolicyFail).
func WithPolicy(p Policy) RegisterOption { return func(c *registerConfig) { c.policy = p } }

// WithLogger sets the logger (default slog.Default(): an incompatible change under
// PolicyForce or PolicySkip is never silent).
func WithLogger(l *slog.Logger) RegisterOption { return func(c *registerConfig) { c.logger = l } }

// WithSchemaOptions passes options to AvroSchemas. Without WithPrefix among them, the
// prefix is the engine name (Event.Source.Name), like Debezium's topic prefix.
func WithSchemaOptions(opts ...Option) RegisterOption {
	return func(c *registerConfig) { c.derive = append(c.derive, opts...) }
}

// WithRowValues registers the Value record (the row) as the value schema instead of
// the Envelope: for topics that carry flattened rows (a transform that unwraps the
// envelope) rather than change events. The default, the Envelope, is what Debezium
// registers and what codec.AvroConfluent writes.
func WithRowValues() RegisterOption { return func(c *registerConfig) { c.rows = true } }

// WithSubjects replaces the subject naming strategy. The default is Confluent's
// TopicNameStrategy: "<destination>-key" and "<destination>-value".
func WithSubjects(fn func(ev *cdc.Event) (key, value string)) RegisterOption {
	return func(c *registerConfig) { c.subjects = fn }
}

// TopicNameStrategy names the subjects after the event's destination (its topic); an
// event without one (not delivered by an engine) uses the engine's default destination
// "<engine name>.<schema or database>.<table>".
func TopicNameStrategy(ev *cdc.Event) (key, value string) {
	d := ev.Destination
	if d == "" {
		name := ev.Source.Name
		if name == "" {
			name = DefaultPrefix
		}
		d = name
		for _, p := range []string{ev.Table.Namespace(), ev.Table.Name} {
			if p != "" {
				d += "." + p
			}
		}
	}
	return d + "-key", d + "-value"
}

// Registrar is the transform returned by Register.
type Registrar struct {
	reg Registry
	cfg registerConfig
	err error

	mu      sync.Mutex
	cache   map[regKey]*regEntry
	byTable map[tableKey]*regEntry
}

type regKey struct {
	ts   *cdc.TableSchema
	dest string
}

type tableKey struct {
	table cdc.TableID
	dest  string
}

type regEntry struct {
	keyID, valueID any // boxed int ids; keyID nil when the table has no key
	skip           bool
	keyJSON        string
	valueJSON      string
	schemas        *Schemas
}

// Register returns a transform that keeps a registry in step with the captured tables:
// on each event whose table schema (TableSchema pointer or Version) it has not seen, it
// derives the Avro schemas (AvroSchemas), checks the key schema and the value schema
// (the Envelope, like Debezium; the Value row with WithRowValues) against the
// subjects' compatibility level, registers them, and from then on sets the ids on
// every event of that table version as the headers HeaderKeySchemaID and
// HeaderValueSchemaID (int values; no key header for tables without a primary key).
// An incompatible schema follows the policy (WithPolicy). Events without a schema
// (messages, heartbeats) pass through. When nothing changed, the cost is a map look-up.
//
// Use it as the last transform, after any routing transform has set the destination.
func Register(reg Registry, opts ...RegisterOption) *Registrar {
	r := &Registrar{reg: reg, cache: map[regKey]*regEntry{}, byTable: map[tableKey]*regEntry{}}
	for _, o := range opts {
		o(&r.cfg)
	}
	for _, o := range r.cfg.derive {
		var probe options
		o(&probe)
		r.cfg.prefix = r.cfg.prefix || probe.prefixSet
	}
	if r.cfg.logger == nil {
		r.cfg.logger = slog.Default()
	}
	if r.cfg.subjects == nil {
		r.cfg.subjects = TopicNameStrategy
	}
	switch {
	case reg == nil:
		r.err = cdc.ConfigError("schema.Register", "registry must not be nil: pass NewMemoryRegistry(...) or NewConfluentRegistry(...)")
	case r.cfg.policy < PolicyFail || r.cfg.policy > PolicySkip:
		r.err = cdc.ConfigError("schema.WithPolicy", fmt.Sprintf("%v is not a policy: use PolicyFail, PolicyForce or PolicySkip", r.cfg.policy))
	}
	return r
}

var _ cdc.Transform = (*Registrar)(nil)

// Apply implements cdc.Transform.
func (r *Registrar) Apply(ctx context.Context, ev *cdc.Event) (bool, error) {
	if ev.Schema == nil {
		return true, nil
	}
	if r.err != nil {
		return false, r.err
	}
	r.mu.Lock()
	e := r.cache[regKey{ev.Schema, ev.Destination}]
	r.mu.Unlock()
	if e == nil {
		var err error
		if e, err = r.miss(ctx, ev); err != nil {
			return false, err
		}
	}
	if e.skip {
		return false, nil
	}
	if cap(ev.Headers)-len(ev.Headers) < 2 {
		h := make([]cdc.Header, len(ev.Headers), len(ev.Headers)+2)
		copy(h, ev.Headers)
		ev.Headers = h
	}
	if e.keyID != nil {
		ev.SetHeader(HeaderKeySchemaID, e.keyID)
	}
	ev.SetHeader(HeaderValueSchemaID, e.valueID)
	return true, nil
}

// Schemas returns the schemas derived for the event's table version, when Apply has
// seen it (codecs use them to avoid deriving again).
func (r *Registrar) Schemas(ev *cdc.Event) (*Schemas, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.cache[regKey{ev.Schema, ev.Destination}]
	if e == nil {
		return nil, false
	}
	return e.schemas, true
}

// schemaOptions returns the AvroSchemas options to use for an event: the configured
// ones, with the engine name as prefix unless they set one.
func schemaOptions(ev *cdc.Event, opts []Option, prefixSet bool) []Option {
	if prefixSet {
		return opts
	}
	p := ev.Source.Name
	if p == "" {
		p = DefaultPrefix
	}
	return append([]Option{WithPrefix(p)}, opts...)
}

func (r *Registrar) miss(ctx context.Context, ev *cdc.Event) (*regEntry, error) {
	s, err := AvroSchemas(ev.Schema, schemaOptions(ev, r.cfg.derive, r.cfg.prefix)...)
	if err != nil {
		return nil, err
	}
	value := s.Envelope
	if r.cfg.rows {
		value = s.Value
	}
	e := &regEntry{valueJSON: value.JSON, schemas: s}
	if s.Key != nil {
		e.keyJSON = s.Key.JSON
	}
	tk := tableKey{ev.Table, ev.Destination}
	rk := regKey{ev.Schema, ev.Destination}

	r.mu.Lock()
	last := r.byTable[tk]
	r.mu.Unlock()
	if last != nil && last.keyJSON == e.keyJSON && last.valueJSON == e.valueJSON {
		// The same schema under a new TableSchema value (a reconnect re-sent it).
		r.mu.Lock()
		r.cache[rk] = last
		r.mu.Unlock()
		return last, nil
	}

	keySubject, valueSubject := r.cfg.subjects(ev)
	type part struct {
		subject string
		avro    *Avro
		id      *any
	}
	parts := []part{{valueSubject, value, &e.valueID}}
	if s.Key != nil {
		parts = append([]part{{keySubject, s.Key, &e.keyID}}, parts...)
	}
	log := r.cfg.logger.With("table", ev.Table.String(), "version", ev.Schema.Version)

	// Check every subject before registering anything, so that a refused change does not
	// leave the key registered without the value.
	var refused []*IncompatibleError
	for _, p := range parts {
		rep, err := r.reg.CheckCompatibility(ctx, p.subject, p.avro.JSON)
		if err != nil {
			return nil, fmt.Errorf("schema: table %s: %w", ev.Table, err)
		}
		if !rep.Compatible {
			refused = append(refused, &IncompatibleError{Subject: p.subject, Report: rep})
		}
	}
	force := map[string]bool{}
	if len(refused) > 0 {
		errs := make([]error, len(refused))
		for i, ie := range refused {
			errs[i] = ie
		}
		joined := errors.Join(errs...)
		switch r.cfg.policy {
		case PolicyFail:
			return nil, fmt.Errorf("schema: table %s schema version %d cannot be registered: %w", ev.Table, ev.Schema.Version, joined)
		case PolicySkip:
			for _, ie := range refused {
				log.Warn("schema: incompatible table schema; dropping the events of this table version (policy skip)",
					"subject", ie.Subject, "report", ie.Report.String())
			}
			e.skip = true
			r.store(rk, tk, e)
			return e, nil
		case PolicyForce:
			for _, ie := range refused {
				log.Warn("schema: incompatible table schema; registering it anyway with the subject's level set to NONE (policy force)",
					"subject", ie.Subject, "report", ie.Report.String())
				force[ie.Subject] = true
			}
		}
	}
	for _, p := range parts {
		id, version, err := r.register(ctx, p.subject, p.avro.JSON, force[p.subject])
		if err != nil {
			return nil, fmt.Errorf("schema: table %s: %w", ev.Table, err)
		}
		*p.id = id
		log.Debug("schema: registered", "subject", p.subject, "id", id, "subject_version", version)
	}
	r.store(rk, tk, e)
	return e, nil
}

func (r *Registrar) store(rk regKey, tk tableKey, e *regEntry) {
	r.mu.Lock()
	r.cache[rk] = e
	r.byTable[tk] = e
	r.mu.Unlock()
}

func (r *Registrar) register(ctx context.Context, subject, text string, force bool) (int, int, error) {
	if !force {
		return r.reg.Register(ctx, subject, text)
	}
	prev, err := r.reg.Level(ctx, subject)
	if err != nil {
		return 0, 0, err
	}
	if err := r.reg.SetLevel(ctx, subject, None); err != nil {
		return 0, 0, err
	}
	id, version, err := r.reg.Register(ctx, subject, text)
	if rerr := r.reg.SetLevel(ctx, subject, prev); rerr != nil {
		err = errors.Join(err, fmt.Errorf("restore the level %s of subject %q: %w", prev, subject, rerr))
	}
	return id, version, err
}

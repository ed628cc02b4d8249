package schema

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/twmb/franz-go/pkg/sr"
)

// ConfluentRegistry is a Registry on a Confluent Schema Registry compatible REST
// server (Confluent, Redpanda, Karapace, Apicurio's ccompat API), through franz-go's sr
// client. It uses:
//
//	POST /subjects/{subject}/versions                 Register
//	POST /subjects/{subject}                          Register (its version number)
//	GET  /schemas/ids/{id}                            ByID
//	GET  /subjects/{subject}/versions/latest          Latest
//	POST /compatibility/subjects/{subject}/versions/latest?verbose=true
//	POST /compatibility/subjects/{subject}/versions?verbose=true   (TRANSITIVE levels)
//	GET  /config/{subject}?defaultToGlobal=true, GET /config
//	PUT  /config/{subject}, PUT /config
//
// The server decides compatibility: its verbose messages become the report's issues.
// A Register refused as incompatible (HTTP 409) is followed by a verbose compatibility
// check, so the returned *IncompatibleError carries the server's reasons.
type ConfluentRegistry struct {
	cl *sr.Client
}

// NewConfluentRegistry returns a registry client for the servers at urls (tried in
// order); opts are franz-go sr client options (authentication, TLS, HTTP client, ...).
func NewConfluentRegistry(urls []string, opts ...sr.ClientOpt) (*ConfluentRegistry, error) {
	if len(urls) == 0 {
		return nil, errors.New("schema: NewConfluentRegistry: no URL given")
	}
	cl, err := sr.NewClient(append([]sr.ClientOpt{sr.URLs(urls...)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("schema: schema registry client: %w", err)
	}
	return &ConfluentRegistry{cl: cl}, nil
}

// Client returns the underlying sr client, for the API calls this type does not wrap.
func (c *ConfluentRegistry) Client() *sr.Client { return c.cl }

// mapErr turns registry error codes into this package's sentinels.
func mapErr(err error, what string) error {
	var re *sr.ResponseError
	if errors.As(err, &re) {
		switch {
		case re.ErrorCode == 40401 || re.ErrorCode == 40402 || re.ErrorCode == 40403 ||
			(re.ErrorCode == 0 && re.StatusCode == http.StatusNotFound):
			return fmt.Errorf("%w: %s: %s", ErrNotFound, what, re.Message)
		case re.ErrorCode == 42201 || re.ErrorCode == 422:
			return fmt.Errorf("%w: %s: %s", ErrInvalidSchema, what, re.Message)
		}
	}
	return fmt.Errorf("schema: %s: %w", what, err)
}

func isIncompatible(err error) bool {
	var re *sr.ResponseError
	return errors.As(err, &re) && (re.ErrorCode == 409 || re.StatusCode == http.StatusConflict)
}

// Register implements Registry.
func (c *ConfluentRegistry) Register(ctx context.Context, subject, schema string) (int, int, error) {
	s := sr.Schema{Schema: schema, Type: sr.TypeAvro}
	id, err := c.cl.RegisterSchema(ctx, subject, s, -1, -1)
	if err != nil {
		if isIncompatible(err) {
			rep, cerr := c.CheckCompatibility(ctx, subject, schema)
			if cerr != nil {
				rep = Report{Issues: []Issue{{Message: err.Error()}}}
			}
			rep.Compatible = false
			return 0, 0, &IncompatibleError{Subject: subject, Report: rep}
		}
		return 0, 0, mapErr(err, fmt.Sprintf("register subject %q", subject))
	}
	ss, err := c.cl.LookupSchema(ctx, subject, s)
	if err != nil {
		return id, 0, mapErr(err, fmt.Sprintf("look up the version of schema %d in subject %q", id, subject))
	}
	return id, ss.Version, nil
}

// ByID implements Registry.
func (c *ConfluentRegistry) ByID(ctx context.Context, id int) (string, error) {
	s, err := c.cl.SchemaByID(ctx, id)
	if err != nil {
		return "", mapErr(err, fmt.Sprintf("schema id %d", id))
	}
	return s.Schema, nil
}

// Latest implements Registry.
func (c *ConfluentRegistry) Latest(ctx context.Context, subject string) (Version, error) {
	ss, err := c.cl.SchemaByVersion(ctx, subject, -1)
	if err != nil {
		return Version{}, mapErr(err, fmt.Sprintf("subject %q", subject))
	}
	return Version{Subject: subject, Version: ss.Version, ID: ss.ID, Schema: ss.Schema.Schema}, nil
}

// CheckCompatibility implements Registry.
func (c *ConfluentRegistry) CheckCompatibility(ctx context.Context, subject, schema string) (Report, error) {
	level, err := c.Level(ctx, subject)
	if err != nil {
		return Report{}, err
	}
	version := -1 // the latest version
	if level.Transitive() {
		version = -2 // every version
	}
	res, err := c.cl.CheckCompatibility(sr.WithParams(ctx, sr.Verbose), subject, version, sr.Schema{Schema: schema, Type: sr.TypeAvro})
	if err != nil {
		var re *sr.ResponseError
		if errors.As(err, &re) && (re.ErrorCode == 40401 || re.ErrorCode == 40402) {
			return Report{Level: level, Compatible: true}, nil // nothing registered yet
		}
		return Report{}, mapErr(err, fmt.Sprintf("check compatibility with subject %q", subject))
	}
	rep := Report{Level: level, Compatible: res.Is}
	for _, m := range res.Messages {
		rep.Issues = append(rep.Issues, Issue{Message: m})
	}
	if !res.Is && len(rep.Issues) == 0 {
		rep.Issues = []Issue{{Message: "the schema registry reports the schema as incompatible (it gave no reason)"}}
	}
	return rep, nil
}

func toSR(l Level) (sr.CompatibilityLevel, error) {
	var c sr.CompatibilityLevel
	if err := c.UnmarshalText([]byte(l)); err != nil {
		return 0, fmt.Errorf("schema: level %q: %w", l, err)
	}
	return c, nil
}

// SetLevel implements Registry.
func (c *ConfluentRegistry) SetLevel(ctx context.Context, subject string, level Level) error {
	if _, err := ParseLevel(string(level)); err != nil {
		return err
	}
	l, err := toSR(level)
	if err != nil {
		return err
	}
	res := c.cl.SetCompatibility(ctx, sr.SetCompatibility{Level: l}, subject)
	if err := res[0].Err; err != nil {
		return mapErr(err, fmt.Sprintf("set the level of subject %q", subject))
	}
	return nil
}

// Level implements Registry.
func (c *ConfluentRegistry) Level(ctx context.Context, subject string) (Level, error) {
	res := c.cl.Compatibility(sr.WithParams(ctx, sr.DefaultToGlobal), subject)
	if err := res[0].Err; err != nil {
		return "", mapErr(err, fmt.Sprintf("level of subject %q", subject))
	}
	return ParseLevel(res[0].Level.String())
}

var _ Registry = (*ConfluentRegistry)(nil)

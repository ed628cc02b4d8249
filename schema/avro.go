package schema

// This file is the only one in the package that imports the Avro library. The library
// is github.com/hamba/avro/v2; its maintained continuation,
// github.com/confluentinc/confluent-avro-go/v2, has the same API and package name, so
// switching is a change of this import path (and of go.mod).

import (
	"encoding/json"
	"fmt"

	"github.com/hamba/avro/v2"
)

// Avro is one derived Avro schema in its three forms.
type Avro struct {
	Name   string      // full name, e.g. "shop.public.orders.Value"
	JSON   string      // normalized JSON text (Node.String): what is registered
	Node   *Node       // the model walked by Check, Plan and the codecs
	Schema avro.Schema // the same schema parsed by the Avro library
}

// parseLib parses schema text with the Avro library. Each call uses its own name cache:
// the library's default cache is global, and two versions of a table define the same
// record names differently.
func parseLib(text string) (avro.Schema, error) {
	return avro.ParseWithCache(text, "", &avro.SchemaCache{})
}

// FromLibrary converts a schema parsed by the Avro library to a Node, through its full
// JSON form (which keeps defaults, aliases and properties, unlike its canonical form).
func FromLibrary(s avro.Schema) (*Node, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	return Parse(string(b))
}

// CheckSchemas is Check on schemas parsed by the Avro library.
func CheckSchemas(history []avro.Schema, next avro.Schema, level Level) (Report, error) {
	nodes := make([]*Node, len(history))
	for i, h := range history {
		n, err := FromLibrary(h)
		if err != nil {
			return Report{}, fmt.Errorf("history version %d: %w", i+1, err)
		}
		nodes[i] = n
	}
	n, err := FromLibrary(next)
	if err != nil {
		return Report{}, fmt.Errorf("new schema: %w", err)
	}
	return CheckNodes(nodes, n, level)
}
